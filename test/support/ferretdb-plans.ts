export type PlanNode = Record<string, unknown>;

/** Every PostgreSQL plan node in a FerretDB explain (its `queryPlanner`), depth first. */
export function planNodes(plan: unknown, out: PlanNode[] = []): PlanNode[] {
  if (Array.isArray(plan)) for (const p of plan) planNodes(p, out);
  else if (plan && typeof plan === 'object') {
    if ('Node Type' in plan) out.push(plan as PlanNode);
    for (const v of Object.values(plan)) planNodes(v, out);
  }
  return out;
}
