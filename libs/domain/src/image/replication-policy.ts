import { invalid } from '../errors.js';
import { type Image, VISIBILITIES, type Visibility } from './image.js';

/**
 * Where the replicator keeps copies of active images: for the images of one visibility (or `*`, every other
 * one), either these named stores, or this many copies in any writable stores.
 */
export type ReplicationRule = { visibility: Visibility | '*' } & ({ stores: string[] } | { copies: number });

/**
 * Parses GLIMPSE_REPLICATION_POLICY: rules separated by `;`, each `<visibility|*>=<stores joined by ,|N>`, e.g.
 * `public=a,b;*=2` (every public image in stores a and b, every other image in two stores). The first rule that
 * names the image's visibility applies, else the `*` rule; an image no rule covers is left as it is.
 */
export function parseReplicationPolicy(text: string): ReplicationRule[] {
  const rules: ReplicationRule[] = [];
  for (const part of text.split(';').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z*]+)\s*=\s*(.+)$/.exec(part);
    const visibility = m?.[1] as Visibility | '*' | undefined;
    if (!m || !visibility || (visibility !== '*' && !VISIBILITIES.includes(visibility))) {
      throw invalid(`replication rule "${part}": expected <visibility|*>=<stores|copies>`);
    }
    if (rules.some((r) => r.visibility === visibility)) throw invalid(`replication rule "${part}": ${visibility} has a rule already`);
    const target = m[2]!.trim();
    if (/^\d+$/.test(target)) {
      const copies = Number(target);
      if (copies < 1) throw invalid(`replication rule "${part}": at least one copy`);
      rules.push({ visibility, copies });
    } else {
      const stores = [...new Set(target.split(',').map((s) => s.trim()).filter(Boolean))];
      rules.push({ visibility, stores });
    }
  }
  return rules;
}

/** The rule that applies to an image of this visibility, if any. */
export function ruleFor(rules: readonly ReplicationRule[], visibility: Visibility): ReplicationRule | undefined {
  return rules.find((r) => r.visibility === visibility) ?? rules.find((r) => r.visibility === '*');
}

/**
 * The stores a new copy of an active image should be written to: those the policy wants it in but where it
 * has no good copy, and those whose copy the auditor found bad (replaced from a good one). `writable` lists
 * the stores copies may go to, in preference order. Empty when the image has no good copy to copy from.
 */
export function replicaTargets(image: Pick<Image, 'visibility' | 'locations'>, rules: readonly ReplicationRule[], writable: readonly string[]): string[] {
  const good = new Set(image.locations.filter((l) => l.status === 'active').map((l) => l.store));
  if (good.size === 0) return [];
  const bad = image.locations.filter((l) => l.status === 'bad').map((l) => l.store);
  const targets = new Set(bad.filter((s) => writable.includes(s) && !good.has(s)));
  const rule = ruleFor(rules, image.visibility);
  if (rule && 'stores' in rule) {
    for (const s of rule.stores) if (!good.has(s) && writable.includes(s)) targets.add(s);
  } else if (rule) {
    // Repairs first count towards the copies; then the writable stores in order of preference.
    for (const s of writable) {
      if (good.size + targets.size >= rule.copies) break;
      if (!good.has(s)) targets.add(s);
    }
  }
  return [...targets];
}
