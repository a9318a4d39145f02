/**
 * Glance's policy defaults, by rule name. `secure-rbac` follows Glance's current defaults (the project-admin,
 * project-member and project-reader personas); `legacy` follows its deprecated ones, where most rules are empty
 * and ownership alone (checked by the services) decides.
 */
const member = 'role:member and project_id:%(project_id)s';
const reader = 'role:reader and project_id:%(project_id)s';
const visibleTo = (role: string) =>
  `role:${role} and (project_id:%(project_id)s or project_id:%(member_id)s or 'community':%(visibility)s or 'public':%(visibility)s or 'shared':%(visibility)s)`;
const adminOr = (rule: string) => `role:admin or (${rule})`;
const metadefRead = adminOr("role:reader and (project_id:%(project_id)s or 'public':%(visibility)s)");

const ADMIN_ONLY = [
  'publicize_image', 'copy_image', 'delete_image_location', 'manage_image_cache', 'tasks_api_access',
  // The cache API (Glance's policies/cache.py): admin in both sets of defaults.
  'cache_image', 'cache_list', 'cache_delete', 'cache_clean', 'cache_prune', 'list_cached_nodes',
];
const METADEF_WRITES = [
  'add_metadef_namespace', 'modify_metadef_namespace', 'delete_metadef_namespace',
  'add_metadef_object', 'modify_metadef_object', 'delete_metadef_object',
  'add_metadef_resource_type_association', 'remove_metadef_resource_type_association',
  'add_metadef_property', 'modify_metadef_property', 'remove_metadef_property',
  'add_metadef_tag', 'add_metadef_tags', 'modify_metadef_tag', 'delete_metadef_tag', 'delete_metadef_tags',
];
const METADEF_READS = [
  'get_metadef_namespace', 'get_metadef_object', 'get_metadef_objects', 'list_metadef_resource_types',
  'get_metadef_resource_type', 'get_metadef_property', 'get_metadef_properties', 'get_metadef_tag', 'get_metadef_tags',
];

const common: Record<string, string> = {
  context_is_admin: 'role:admin',
  metadef_admin: 'role:admin',
  ...Object.fromEntries(ADMIN_ONLY.map((name) => [name, 'role:admin'])),
  ...Object.fromEntries(METADEF_WRITES.map((name) => [name, 'rule:metadef_admin'])),
  /** Glimpse's own admin API (maintenance runs and findings). */
  run_maintenance: 'role:admin',
  /** The operator console (/console) and the queue board behind it. */
  use_console: 'role:admin',
  /** Reading a location's URL, and the stores' details: admins, and services (Nova) acting for users. */
  fetch_image_location: 'role:admin or role:service',
  stores_info_detail: 'role:admin or role:service',
};

export const SECURE_RBAC_DEFAULTS: Readonly<Record<string, string>> = {
  ...common,
  default: '',
  metadef_default: '',
  add_image: adminOr(`${member} and project_id:%(owner)s`),
  get_image: adminOr(visibleTo('reader')),
  get_images: adminOr(reader),
  modify_image: adminOr(member),
  communitize_image: adminOr(member),
  delete_image: adminOr(member),
  download_image: adminOr(visibleTo('member')),
  upload_image: adminOr(member),
  get_image_location: adminOr(reader),
  set_image_location: adminOr(member),
  /** v1's x-glance-api-copy-from: the rule web-download imports answer to (modify_image). */
  copy_from: adminOr(member),
  add_member: adminOr(member),
  delete_member: adminOr(member),
  get_member: `role:admin or role:reader and (project_id:%(project_id)s or project_id:%(member_id)s)`,
  get_members: `role:admin or role:reader and (project_id:%(project_id)s or project_id:%(member_id)s)`,
  modify_member: adminOr('role:member and project_id:%(member_id)s'),
  deactivate: adminOr(member),
  reactivate: adminOr(member),
  get_metadef_namespaces: adminOr(reader),
  ...Object.fromEntries(METADEF_READS.map((name) => [name, metadefRead])),
  get_task: 'rule:default',
  get_tasks: 'rule:default',
  add_task: 'rule:default',
  modify_task: 'rule:default',
};

export const LEGACY_DEFAULTS: Readonly<Record<string, string>> = {
  ...common,
  default: '',
  metadef_default: '',
  ...Object.fromEntries(
    Object.keys(SECURE_RBAC_DEFAULTS)
      .filter((name) => !(name in common) && name !== 'default' && name !== 'metadef_default')
      .map((name) => [name, name.includes('metadef') || name === 'list_metadef_resource_types' ? 'rule:metadef_default' : 'rule:default']),
  ),
};

export type PolicyDefaults = 'secure-rbac' | 'legacy';
export const POLICY_DEFAULTS: Record<PolicyDefaults, Readonly<Record<string, string>>> = {
  'secure-rbac': SECURE_RBAC_DEFAULTS,
  legacy: LEGACY_DEFAULTS,
};
