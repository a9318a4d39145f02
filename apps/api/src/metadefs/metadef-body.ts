import { forbidden, invalid } from '@glimpse/domain';
import { assertMatchesSchema } from '../schemas/schema-validator.js';

/**
 * Checks a request body as Glance's metadefs deserializers do: a JSON object is required (400), server-set
 * attributes are refused with 403, then the body must match the resource's schema (400), and the name it gives
 * (`namespace` or `name`) must not be empty: it becomes a path segment of the resource.
 */
export function checkBody<T>(body: unknown, schemaName: string, schema: object, readOnly: string[]): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('Body expected in request.');
  const key = readOnly.find((k) => k in body);
  if (key) throw forbidden(`Attribute '${key}' is read-only.`);
  assertMatchesSchema(schemaName, schema, body);
  const { namespace, name } = body as { namespace?: unknown; name?: unknown };
  if (namespace === '' || name === '') throw invalid(`A ${schemaName} needs a name.`);
  return body as T;
}

export const READ_ONLY = ['self', 'schema', 'created_at', 'updated_at'];
export const READ_ONLY_TIMES = ['created_at', 'updated_at'];
