/**
 * The size and count limits CloudFormation, IAM, CloudWatch, EventBridge and Step Functions enforce
 * on a deployment (docs/aws-behaviour.md "CloudFormation and IAM size limits"). The twin's deploy
 * refuses a stack that breaks one, as CloudFormation would fail its creation (the template is
 * refused before anything is created; a policy, dashboard, rule or state machine fails its
 * resource), and the limits test (test/lib/limits.test.ts) checks the product's synthesized
 * output with the same function.
 *
 * Sizes are measured on what AWS receives: the template as written (`cdk synth`'s file, here the
 * template JSON without indentation, as the stacks write it), and every policy document resolved
 * (intrinsics replaced by their values) without whitespace, as IAM counts it.
 */

/** The limits (each with where AWS documents it: docs/aws-behaviour.md). */
export const DEPLOY_LIMITS = {
  /** CloudFormation template body, characters (1 MB; CDK checks the same 1,000,000). */
  templateChars: 1_000_000,
  /** Resources in one stack. */
  resourcesPerStack: 500,
  /** Outputs of one stack. */
  outputsPerStack: 200,
  /** One customer managed policy document, characters without whitespace. */
  managedPolicyChars: 6_144,
  /** All inline policies of one role together, characters without whitespace. */
  inlinePolicyCharsPerRole: 10_240,
  /** Managed policies attached to one role (default quota). */
  managedPoliciesPerRole: 10,
  /** Widgets on one dashboard. */
  dashboardWidgets: 500,
  /** Metrics (and expressions) in one dashboard graph. */
  metricsPerDashboardWidget: 500,
  /** One EventBridge event pattern, characters. */
  eventPatternChars: 2_048,
  /** One Step Functions state machine definition, bytes. */
  stateMachineDefinitionBytes: 1_048_576,
} as const;

export type DeployLimit = keyof typeof DEPLOY_LIMITS;

/** A limit a stack breaks. */
export interface LimitViolation {
  readonly stack: string;
  readonly limit: DeployLimit;
  /** What breaks it: the stack itself, or a resource's logical id. */
  readonly subject: string;
  readonly value: number;
  readonly max: number;
}

/** What the checks read of a stack. */
export interface StackForLimits {
  readonly name: string;
  /** The template as synthesized (its size is the body's). */
  readonly template: { Resources: Record<string, unknown>; Outputs?: Record<string, unknown>; [k: string]: unknown };
  /**
   * The template's Resources with every intrinsic resolved.
   * @default - the raw template's
   */
  readonly resolved?: { Resources: Record<string, unknown> };
  /**
   * The template body's size in characters as uploaded.
   * @default - the template as JSON without indentation
   */
  readonly templateChars?: number;
}

/** The sizes measured along the way (largest of each kind), for reports. */
export interface LimitMeasures {
  templateChars: number;
  resources: number;
  outputs: number;
  managedPolicyChars: number;
  inlinePolicyCharsPerRole: number;
  managedPoliciesPerRole: number;
  dashboardWidgets: number;
  dashboardBodyChars: number;
  metricsPerDashboardWidget: number;
  eventPatternChars: number;
  stateMachineDefinitionBytes: number;
}

interface Resource {
  Type?: string;
  Properties?: Record<string, unknown>;
}

/** A policy document's size as IAM counts it: its JSON without whitespace. */
export const policyChars = (document: unknown): number => JSON.stringify(document).replace(/\s/g, '').length;

const asArray = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Checks one stack against {@link DEPLOY_LIMITS}; returns what it breaks (empty: deployable) and the largest sizes seen. */
export function checkStackLimits(stack: StackForLimits): { violations: LimitViolation[]; measures: LimitMeasures } {
  const violations: LimitViolation[] = [];
  const measures: LimitMeasures = {
    templateChars: 0,
    resources: 0,
    outputs: 0,
    managedPolicyChars: 0,
    inlinePolicyCharsPerRole: 0,
    managedPoliciesPerRole: 0,
    dashboardWidgets: 0,
    dashboardBodyChars: 0,
    metricsPerDashboardWidget: 0,
    eventPatternChars: 0,
    stateMachineDefinitionBytes: 0,
  };
  const check = (limit: Exclude<DeployLimit, 'resourcesPerStack' | 'outputsPerStack'>, subject: string, value: number) => {
    measures[limit] = Math.max(measures[limit], value);
    if (value > DEPLOY_LIMITS[limit]) violations.push({ stack: stack.name, limit, subject, value, max: DEPLOY_LIMITS[limit] });
  };
  check('templateChars', stack.name, stack.templateChars ?? JSON.stringify(stack.template).length);
  const resourceCount = Object.keys(stack.template.Resources ?? {}).length;
  measures.resources = resourceCount;
  if (resourceCount > DEPLOY_LIMITS.resourcesPerStack)
    violations.push({ stack: stack.name, limit: 'resourcesPerStack', subject: stack.name, value: resourceCount, max: DEPLOY_LIMITS.resourcesPerStack });
  const outputCount = Object.keys(stack.template.Outputs ?? {}).length;
  measures.outputs = outputCount;
  if (outputCount > DEPLOY_LIMITS.outputsPerStack)
    violations.push({ stack: stack.name, limit: 'outputsPerStack', subject: stack.name, value: outputCount, max: DEPLOY_LIMITS.outputsPerStack });

  const resources = (stack.resolved ?? stack.template).Resources as Record<string, Resource>;
  // Per role (by the name policies use to attach to it: RoleName, or the logical id as resolved here).
  const inline = new Map<string, number>();
  const managed = new Map<string, number>();
  const roles = new Map<string, string>();
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::IAM::Role') continue;
    const name = typeof r.Properties?.RoleName === 'string' ? r.Properties.RoleName : id;
    roles.set(name, id);
    const policies = asArray(r.Properties?.Policies) as Array<{ PolicyDocument?: unknown }>;
    inline.set(
      name,
      policies.reduce((sum, p) => sum + policyChars(p.PolicyDocument), 0),
    );
    managed.set(name, asArray(r.Properties?.ManagedPolicyArns).length);
  }
  for (const [id, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::IAM::Policy':
        for (const role of asArray(p.Roles)) inline.set(String(role), (inline.get(String(role)) ?? 0) + policyChars(p.PolicyDocument));
        break;
      case 'AWS::IAM::ManagedPolicy':
        check('managedPolicyChars', id, policyChars(p.PolicyDocument));
        for (const role of asArray(p.Roles)) managed.set(String(role), (managed.get(String(role)) ?? 0) + 1);
        break;
      case 'AWS::CloudWatch::Dashboard': {
        const body = typeof p.DashboardBody === 'string' ? p.DashboardBody : JSON.stringify(p.DashboardBody ?? '');
        measures.dashboardBodyChars = Math.max(measures.dashboardBodyChars, body.length);
        let widgets: Array<{ properties?: { metrics?: unknown[] } }> = [];
        try {
          widgets = (JSON.parse(body) as { widgets?: typeof widgets }).widgets ?? [];
        } catch {
          // An unresolved body (raw template): counted from the resolved one.
        }
        check('dashboardWidgets', id, widgets.length);
        for (const w of widgets) check('metricsPerDashboardWidget', id, (w.properties?.metrics ?? []).length);
        break;
      }
      case 'AWS::Events::Rule':
        if (p.EventPattern !== undefined)
          check('eventPatternChars', id, typeof p.EventPattern === 'string' ? p.EventPattern.length : JSON.stringify(p.EventPattern).length);
        break;
      case 'AWS::StepFunctions::StateMachine': {
        const definition = typeof p.DefinitionString === 'string' ? p.DefinitionString : JSON.stringify(p.Definition ?? p.DefinitionString ?? '');
        check('stateMachineDefinitionBytes', id, Buffer.byteLength(definition, 'utf8'));
        break;
      }
    }
  }
  for (const [role, chars] of inline) check('inlinePolicyCharsPerRole', roles.get(role) ?? role, chars);
  for (const [role, count] of managed) check('managedPoliciesPerRole', roles.get(role) ?? role, count);
  return { violations, measures };
}

/** A violation in words, naming the limit. */
export function describeViolation(v: LimitViolation): string {
  const what: Record<DeployLimit, string> = {
    templateChars: 'template body characters',
    resourcesPerStack: 'resources in a stack',
    outputsPerStack: 'outputs of a stack',
    managedPolicyChars: 'characters of a managed policy (whitespace excluded)',
    inlinePolicyCharsPerRole: "characters of a role's inline policies together (whitespace excluded)",
    managedPoliciesPerRole: 'managed policies attached to a role',
    dashboardWidgets: 'widgets on a dashboard',
    metricsPerDashboardWidget: 'metrics in a dashboard widget',
    eventPatternChars: 'characters of an event pattern',
    stateMachineDefinitionBytes: 'bytes of a state machine definition',
  };
  return `${v.stack}/${v.subject}: ${v.value} ${what[v.limit]}, over the limit of ${v.max} (${v.limit})`;
}
