/**
 * The JSON Schemas of the metadata definitions API, served at /v2/schemas/metadefs/{name} and used to check
 * request bodies. Same documents as Glance's (glance/api/v2/metadef_*.py get_schema / get_collection_schema).
 */
type Json = Record<string, unknown>;

const TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string', null];

const positiveIntegers = {
  positiveInteger: { type: 'integer', minimum: 0 },
  positiveIntegerDefault0: { allOf: [{ $ref: '#/definitions/positiveInteger' }, { default: 0 }] },
};

/** The fields of one property definition (a JSON-Schema-like description of a metadata key). */
const propertyFields: Json = {
  name: { type: 'string', maxLength: 80 },
  title: { type: 'string' },
  description: { type: 'string' },
  operators: { type: 'array', items: { type: 'string' } },
  type: { type: 'string', enum: TYPES },
  required: { $ref: '#/definitions/stringArray' },
  minimum: { type: 'number' },
  maximum: { type: 'number' },
  maxLength: { $ref: '#/definitions/positiveInteger' },
  minLength: { $ref: '#/definitions/positiveIntegerDefault0' },
  pattern: { type: 'string', format: 'regex' },
  enum: { type: 'array' },
  readonly: { type: 'boolean' },
  default: {},
  items: { type: 'object', properties: { type: { type: 'string', enum: TYPES }, enum: { type: 'array' } } },
  maxItems: { $ref: '#/definitions/positiveInteger' },
  minItems: { $ref: '#/definitions/positiveIntegerDefault0' },
  uniqueItems: { type: 'boolean', default: false },
  additionalItems: { type: 'boolean' },
};

/** Definitions shared by namespace and object documents. */
const namespaceDefinitions: Json = {
  ...positiveIntegers,
  stringArray: { type: 'array', items: { type: 'string' }, uniqueItems: true },
  property: {
    type: 'object',
    additionalProperties: { type: 'object', required: ['title', 'type'], properties: propertyFields },
  },
};

const propertyDefinitions: Json = {
  ...positiveIntegers,
  stringArray: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true },
};

const readOnlyDate = (description: string) => ({ type: 'string', readOnly: true, description, format: 'date-time' });
const readOnlyString = { readOnly: true, type: 'string' };

function schema(name: string, properties: Json, required: string[] | null, definitions?: Json): Json {
  return {
    name,
    properties,
    additionalProperties: false,
    ...(definitions ? { definitions } : {}),
    ...(required ? { required } : {}),
  };
}

const collectionLinks = [
  { rel: 'first', href: '{first}' },
  { rel: 'next', href: '{next}' },
  { rel: 'describedby', href: '{schema}' },
];

/** A list document: `name` holds an array (or, for properties, a map) of items. */
function collection(name: string, item: Json, asMap = false): Json {
  const { definitions, ...itemWithoutDefinitions } = item;
  return {
    name,
    properties: {
      [name]: asMap ? { type: 'object', additionalProperties: itemWithoutDefinitions } : { type: 'array', items: itemWithoutDefinitions },
      first: { type: 'string' },
      next: { type: 'string' },
      schema: { type: 'string' },
    },
    links: collectionLinks,
    ...(definitions ? { definitions } : {}),
  };
}

export const namespaceSchema = schema(
  'namespace',
  {
    namespace: { type: 'string', description: 'The unique namespace text.', maxLength: 80 },
    display_name: { type: 'string', description: 'The user friendly name for the namespace. Used by UI if available.', maxLength: 80 },
    description: { type: 'string', description: 'Provides a user friendly description of the namespace.', maxLength: 500 },
    visibility: { type: 'string', description: 'Scope of namespace accessibility.', enum: ['public', 'private'] },
    protected: { type: 'boolean', description: 'If true, namespace will not be deletable.' },
    owner: { type: 'string', description: 'Owner of the namespace.', maxLength: 255 },
    created_at: readOnlyDate('Date and time of namespace creation'),
    updated_at: readOnlyDate('Date and time of the last namespace modification'),
    schema: readOnlyString,
    self: readOnlyString,
    resource_type_associations: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, prefix: { type: 'string' }, properties_target: { type: 'string' } } },
    },
    properties: { $ref: '#/definitions/property' },
    objects: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          description: { type: 'string' },
          required: { $ref: '#/definitions/stringArray' },
          properties: { $ref: '#/definitions/property' },
        },
      },
    },
    tags: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
  },
  ['namespace'],
  namespaceDefinitions,
);

export const objectSchema = schema(
  'object',
  {
    name: { type: 'string', maxLength: 80 },
    description: { type: 'string' },
    required: { $ref: '#/definitions/stringArray' },
    properties: { $ref: '#/definitions/property' },
    schema: readOnlyString,
    self: readOnlyString,
    created_at: readOnlyDate('Date and time of object creation'),
    updated_at: readOnlyDate('Date and time of the last object modification'),
  },
  ['name'],
  namespaceDefinitions,
);

export const propertySchema = schema('property', propertyFields, ['type', 'title', 'name'], propertyDefinitions);
/** A property inside an object or a properties map: its name is the key. */
export const unnamedPropertySchema = schema('property', propertyFields, ['type', 'title'], propertyDefinitions);

export const tagSchema = schema(
  'tag',
  {
    name: { type: 'string', maxLength: 80 },
    created_at: readOnlyDate('Date and time of tag creation'),
    updated_at: readOnlyDate('Date and time of the last tag modification'),
  },
  ['name'],
);

/** Body of POST /v2/metadefs/namespaces/{ns}/tags. */
export const tagListSchema = schema(
  'tags',
  { tags: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false } } },
  null,
);

export const resourceTypeAssociationSchema = schema(
  'resource_type_association',
  {
    name: {
      type: 'string',
      description:
        'Resource type names should be aligned with Heat resource types whenever possible: https://docs.openstack.org/heat/latest/template_guide/openstack.html',
      maxLength: 80,
    },
    prefix: {
      type: 'string',
      description:
        'Specifies the prefix to use for the given resource type. Any properties in the namespace should be prefixed with this prefix when being applied to the specified resource type. Must include prefix separator (e.g. a colon :).',
      maxLength: 80,
    },
    properties_target: {
      type: 'string',
      description:
        'Some resource types allow more than one key / value pair per instance.  For example, Cinder allows user and image metadata on volumes. Only the image properties metadata is evaluated by Nova (scheduling or drivers). This property allows a namespace target to remove the ambiguity.',
      maxLength: 80,
    },
    created_at: readOnlyDate('Date and time of resource type association'),
    updated_at: readOnlyDate('Date and time of the last resource type association modification'),
  },
  ['name'],
);

/** Every document served under /v2/schemas/metadefs/, by its last path segment. */
export const METADEF_SCHEMAS: Record<string, Json> = {
  namespace: namespaceSchema,
  namespaces: collection('namespaces', namespaceSchema),
  object: objectSchema,
  objects: collection('objects', objectSchema),
  property: propertySchema,
  properties: collection('properties', unnamedPropertySchema, true),
  tag: tagSchema,
  tags: collection('tags', tagSchema),
  resource_type: resourceTypeAssociationSchema,
  resource_types: collection('resource_type_associations', resourceTypeAssociationSchema),
};
