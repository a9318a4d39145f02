import type { MetadefContent, MetadefNamespace, MetadefResourceType } from '@glimpse/persistence';

type Json = Record<string, unknown>;

/** Glance's timestamps: ISO 8601 to the second, UTC. */
export function isoTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const times = (c: { createdAt: Date; updatedAt: Date | null }): Json => ({
  created_at: isoTime(c.createdAt),
  ...(c.updatedAt ? { updated_at: isoTime(c.updatedAt) } : {}),
});

export const namespaceHref = (ns: string) => `/v2/metadefs/namespaces/${ns}`;

/**
 * The namespace's URL for a Location header: its name as one path segment, every byte outside RFC 3986's
 * pchar percent-encoded (a header cannot carry a newline or a character past Latin-1; the body's `self` keeps
 * the name as Glance shows it).
 */
export function namespaceLocation(ns: string): string {
  let segment = '';
  for (const byte of Buffer.from(ns, 'utf8')) {
    const c = String.fromCharCode(byte);
    segment += /[\w\-.~!$&'()*+,;=:@]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return namespaceHref(segment);
}

/** What a namespace shows beside its own fields (GET /v2/metadefs/namespaces/{ns} fills all four). */
export interface NamespaceParts {
  associations?: MetadefContent[];
  properties?: MetadefContent[];
  objects?: MetadefContent[];
  tags?: MetadefContent[];
}

export function namespaceView(ns: MetadefNamespace, parts: NamespaceParts = {}, prefix = ''): Json {
  const view: Json = {
    namespace: ns.namespace,
    ...(ns.displayName !== null ? { display_name: ns.displayName } : {}),
    ...(ns.description !== null ? { description: ns.description } : {}),
    visibility: ns.visibility,
    protected: ns.protected,
    owner: ns.owner,
    ...times(ns),
  };
  if (parts.associations?.length) view.resource_type_associations = parts.associations.map(associationView);
  if (parts.properties?.length) view.properties = propertiesMap(parts.properties, prefix);
  if (parts.objects?.length) view.objects = parts.objects.map((o) => objectView(ns.namespace, o, prefix));
  if (parts.tags?.length) view.tags = parts.tags.map((t) => ({ name: t.name }));
  view.self = namespaceHref(ns.namespace);
  view.schema = '/v2/schemas/metadefs/namespace';
  return view;
}

export function objectView(namespace: string, o: MetadefContent, prefix = ''): Json {
  const { properties, required, ...rest } = o.body as { properties?: Json; required?: string[] };
  return {
    name: o.name,
    ...rest,
    ...(required ? { required: required.map((r) => prefix + r) } : {}),
    ...(properties ? { properties: prefixKeys(properties, prefix) } : {}),
    ...times(o),
    self: `${namespaceHref(namespace)}/objects/${o.name}`,
    schema: '/v2/schemas/metadefs/object',
  };
}

export function propertiesMap(properties: MetadefContent[], prefix = ''): Json {
  return Object.fromEntries(properties.map((p) => [prefix + p.name, p.body]));
}

export const propertyView = (p: MetadefContent, shownName = p.name): Json => ({ name: shownName, ...p.body });

export const tagView = (t: MetadefContent): Json => ({ name: t.name, ...times(t) });

export const associationView = (a: MetadefContent): Json => ({ name: a.name, ...a.body, ...times(a) });

export const resourceTypeView = (r: MetadefResourceType): Json => ({ name: r.name, ...times(r) });

function prefixKeys(map: Json, prefix: string): Json {
  return prefix ? Object.fromEntries(Object.entries(map).map(([k, v]) => [prefix + k, v])) : map;
}
