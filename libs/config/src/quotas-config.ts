/** The four per-project quotas of Glance's unified limits, by their Keystone resource names. */
export const QUOTA_RESOURCES = ['image_size_total', 'image_stage_total', 'image_count_total', 'image_count_uploading'] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/** Limits of one project: sizes in MiB, counts in images; -1 = unlimited. */
export type QuotaLimits = Record<QuotaResource, number>;

export interface QuotasConfig {
  /** false when no limit is set anywhere: nothing is enforced and /v2/info/usage answers `{"usage": {}}` as Glance does. */
  enabled: boolean;
  defaults: QuotaLimits;
  projects: Record<string, Partial<QuotaLimits>>;
}

/** GLIMPSE_QUOTA_PROJECTS: `{"<project>": {"image_count_total": 10}}`; throws a one-line reason. */
export function parseQuotaProjects(json: string | undefined): Record<string, Partial<QuotaLimits>> {
  if (json === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('must be a JSON object {"<project id>": {"image_count_total": 10, ...}}');
  }
  if (!isObject(parsed)) throw new Error('must be a JSON object keyed by project id');
  const out: Record<string, Partial<QuotaLimits>> = {};
  for (const [project, limits] of Object.entries(parsed)) {
    if (!isObject(limits)) throw new Error(`project ${project}: must be an object of limits`);
    const entry: Partial<QuotaLimits> = {};
    for (const [name, value] of Object.entries(limits)) {
      if (!(QUOTA_RESOURCES as readonly string[]).includes(name)) throw new Error(`project ${project}: unknown limit ${name} (limits: ${QUOTA_RESOURCES.join(', ')})`);
      if (!Number.isSafeInteger(value) || (value as number) < -1) throw new Error(`project ${project}: ${name} must be an integer >= -1`);
      entry[name as QuotaResource] = value as number;
    }
    out[project] = entry;
  }
  return out;
}

/** The limits that apply to a project: its overrides over the defaults. */
export function limitsOf(quotas: QuotasConfig, project: string | null): QuotaLimits {
  return { ...quotas.defaults, ...(project === null ? {} : quotas.projects[project]) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
