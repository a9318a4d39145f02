import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseRule } from '@glimpse/domain';

/**
 * The operator's policy file, in oslo.policy's format (YAML or JSON: a map of rule name to rule string, as Glance's
 * policy.yaml). Every rule must parse: a typo is a configuration error, never a silently open or closed door.
 */
export function readPolicyFile(path: string): Record<string, string> {
  const doc: unknown = parse(readFileSync(path, 'utf8'));
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('expected a map of rule names to rule strings');
  const rules: Record<string, string> = {};
  for (const [name, rule] of Object.entries(doc)) {
    if (typeof rule !== 'string') throw new Error(`rule ${name}: expected a string`);
    parseRule(rule);
    rules[name] = rule;
  }
  return rules;
}
