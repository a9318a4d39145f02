import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { invalid } from '@glimpse/domain';

const ajv = new Ajv({ allErrors: false, strict: false, allowUnionTypes: true });
const cache = new WeakMap<object, ValidateFunction>();

/** Validates a document against one of our served schemas; 400 in Glance's words on the first failure. */
export function assertMatchesSchema(schemaName: string, schema: object, value: unknown): void {
  let validate = cache.get(schema);
  if (!validate) {
    const { links: _links, name: _name, ...jsonSchema } = schema as Record<string, unknown>;
    validate = ajv.compile({ type: 'object', ...jsonSchema });
    cache.set(schema, validate);
  }
  if (!validate(value)) {
    throw invalid(`Provided object does not match schema '${schemaName}': ${describe(validate.errors?.[0], value)}`);
  }
}

function describe(error: ErrorObject | undefined, root: unknown): string {
  if (!error) return 'invalid document';
  const path = error.instancePath.split('/').filter(Boolean).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let value: unknown = root;
  for (const p of path) value = (value as Record<string, unknown>)?.[p];
  const shown = JSON.stringify(value);
  const where = path.length ? ` On instance['${path.join("']['")}']` : '';
  switch (error.keyword) {
    case 'type':
      return `${shown} is not of type '${String(error.params.type)}'.${where}`;
    case 'enum':
      return `${shown} is not one of ${JSON.stringify(error.params.allowedValues)}.${where}`;
    case 'maxLength':
      return `${shown} is too long.${where}`;
    case 'pattern':
      return `${shown} does not match '${String(error.params.pattern)}'.${where}`;
    case 'minimum':
    case 'maximum':
      return `${shown} is ${error.keyword === 'minimum' ? 'less than the minimum' : 'greater than the maximum'} of ${String(error.params.limit)}.${where}`;
    default:
      return `${error.message ?? 'invalid'}.${where}`;
  }
}
