import { forbidden, type Policy, type PolicyTarget, type RequestContext } from '@glimpse/domain';

/** 403 in Glance's words unless the policy allows the action. */
export function enforce(policy: Policy, ctx: RequestContext, action: string, target: PolicyTarget = {}): void {
  if (!policy.allows(ctx, action, target)) throw forbidden(`You are not authorized to complete ${action} action.`);
}

/** The target of collection actions (listing, creating): the caller's own project. */
export const ownProject = (ctx: RequestContext): PolicyTarget => ({ project_id: ctx.projectId });
