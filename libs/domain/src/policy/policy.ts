import type { RequestContext } from '../image/request-context.js';
import { POLICY_DEFAULTS, type PolicyDefaults } from './policy-defaults.js';
import { evaluate, parseRule, type RuleNode } from './policy-rule.js';

/** The attributes of what an action is on (an image, a namespace, a member), as rules name them. */
export type PolicyTarget = Record<string, string | null | undefined>;

export interface PolicySettings {
  defaults: PolicyDefaults;
  /** Rules from the operator's policy file, replacing the defaults of the same name. */
  overrides: Record<string, string>;
  /**
   * Every action applies to projects: a token scoped to the system or a domain is refused, as oslo.policy does
   * with enforce_scope.
   */
  enforceScope: boolean;
}

/** Keystone's default role implications: admin implies member, member implies reader. */
const IMPLIED: Record<string, string[]> = { admin: ['member', 'reader'], member: ['reader'] };

/**
 * Glance's policy engine: named rules (defaults, overridden by the operator's file) decide whether the caller
 * may take an action on a target. An action without a rule falls back to `default`.
 */
export class Policy {
  private readonly rules = new Map<string, RuleNode>();

  constructor(readonly settings: PolicySettings) {
    for (const [name, text] of Object.entries({ ...POLICY_DEFAULTS[settings.defaults], ...settings.overrides })) {
      this.rules.set(name, parseRule(text));
    }
  }

  allows(ctx: RequestContext, action: string, target: PolicyTarget = {}): boolean {
    if (this.settings.enforceScope && ctx.projectId === null && (ctx.systemScope || ctx.domainId)) return false;
    const roles = [...new Set(ctx.roles.flatMap((r) => [r, ...(Object.hasOwn(IMPLIED, r) ? IMPLIED[r]! : [])]))];
    const credentials: Record<string, unknown> = {
      roles,
      project_id: ctx.projectId,
      user_id: ctx.userId,
      domain_id: ctx.domainId ?? null,
      system_scope: ctx.systemScope ?? null,
      is_admin: ctx.isAdmin,
    };
    const seen = new Set<string>();
    const run = (name: string): boolean => {
      const node = this.rules.get(name) ?? (name === action ? this.rules.get('default') : undefined);
      if (!node || seen.has(name)) return false; // unknown, or a rule that refers back to itself
      seen.add(name);
      try {
        return evaluate(node, { credentials, target, rule: run });
      } finally {
        seen.delete(name);
      }
    };
    return run(action);
  }
}
