import { invalid } from '@glimpse/domain';
import type { MetadefContent } from './metadef.repository.js';

/** A namespace in Glance's JSON shape (an API body, or a definition file of Glance's etc/metadefs). */
export interface NamespaceBody {
  namespace: string;
  display_name?: string;
  description?: string;
  visibility?: 'public' | 'private';
  protected?: boolean;
  owner?: string;
  resource_type_associations?: Array<{ name?: string; prefix?: string; properties_target?: string }>;
  properties?: Record<string, Record<string, unknown>>;
  objects?: Array<{ name?: string; description?: string; required?: string[]; properties?: Record<string, Record<string, unknown>> }>;
  tags?: Array<{ name?: string }>;
}

/**
 * The content records a namespace document holds (its resource type associations, properties, objects and tags),
 * each named, created at `at`: one reading for the API's create and for glimpse-metadefs' loader.
 */
export function contentsOf(b: NamespaceBody, at: Date): MetadefContent[] {
  const item = (kind: MetadefContent['kind'], name: string, body: Record<string, unknown>): MetadefContent => ({ kind, name, body, createdAt: at, updatedAt: at });
  const named = <T extends { name?: string }>(list: T[] | undefined, what: string): Array<T & { name: string }> =>
    (list ?? []).map((x) => {
      if (typeof x.name !== 'string' || !x.name) throw invalid(`Couldn't create metadata namespace: every ${what} needs a name`);
      return x as T & { name: string };
    });
  return [
    ...named(b.resource_type_associations, 'resource type association').map(({ name, ...rest }) => item('resource_type_association', name, rest)),
    ...named(Object.entries(b.properties ?? {}).map(([name, { name: _n, ...schema }]) => ({ ...schema, name })), 'property').map(({ name, ...schema }) =>
      item('property', name, schema),
    ),
    ...named(b.objects, 'object').map(({ name, ...rest }) => item('object', name, rest)),
    ...named(b.tags, 'tag').map(({ name }) => item('tag', name, {})),
  ];
}
