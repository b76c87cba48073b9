/**
 * twin/services/cfn-limits.ts: the twin refuses, as CloudFormation, IAM, CloudWatch, EventBridge
 * and Step Functions would, a deployment that breaks a size or count limit (docs/aws-behaviour.md
 * "CloudFormation and IAM size limits"): each limit at its maximum passes, one over fails naming
 * it; and `deploy` refuses the product's own app with one policy made too large.
 */
import { describe, expect, it } from 'vitest';
import { DeployLimitError, deploy } from '../../twin/drill/deploy.js';
import { checkStackLimits, DEPLOY_LIMITS, policyChars, type StackForLimits } from '../../twin/services/cfn-limits.js';
import { World } from '../../twin/world.js';
import { synthApp } from '../helpers/synth.js';

/** A policy document of exactly `chars` characters (whitespace excluded). */
function documentOf(chars: number): Record<string, unknown> {
  const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'rds:DescribeDBInstances', Resource: '' }] };
  doc.Statement[0]!.Resource = 'x'.repeat(chars - policyChars(doc));
  expect(policyChars(doc)).toBe(chars);
  return doc;
}
const role = { Type: 'AWS::IAM::Role', Properties: { RoleName: 'r' } };
const stackWith = (resources: Record<string, unknown>, extra: Partial<StackForLimits> = {}): StackForLimits => ({
  name: 's',
  template: { Resources: resources },
  ...extra,
});
const many = (n: number, make: (i: number) => unknown) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`R${i}`, make(i)]));
const dashboard = (widgets: number, metrics: number) => ({
  Type: 'AWS::CloudWatch::Dashboard',
  Properties: {
    DashboardBody: JSON.stringify({
      widgets: Array.from({ length: widgets }, () => ({ type: 'metric', properties: { metrics: Array.from({ length: metrics }, () => ['ns', 'm']) } })),
    }),
  },
});
const pattern = (chars: number) => {
  const p = { source: [''] };
  p.source[0] = 'x'.repeat(chars - JSON.stringify(p).length);
  return { Type: 'AWS::Events::Rule', Properties: { EventPattern: p } };
};

describe('cfn-limits: each limit at its maximum passes, one over is refused naming the limit', () => {
  const cases: Array<[string, (n: number) => StackForLimits, number, keyof typeof DEPLOY_LIMITS]> = [
    ['template characters', (n) => stackWith({}, { templateChars: n }), DEPLOY_LIMITS.templateChars, 'templateChars'],
    ['resources per stack', (n) => stackWith(many(n, () => ({ Type: 'AWS::SNS::Topic' }))), 500, 'resourcesPerStack'],
    ['outputs per stack', (n) => ({ name: 's', template: { Resources: {}, Outputs: many(n, () => ({ Value: 'x' })) } }), 200, 'outputsPerStack'],
    [
      'managed policy characters',
      (n) => stackWith({ role, P: { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: documentOf(n), Roles: ['r'] } } }),
      6_144,
      'managedPolicyChars',
    ],
    [
      "a role's inline policies together",
      (n) =>
        stackWith({
          role,
          A: { Type: 'AWS::IAM::Policy', Properties: { PolicyDocument: documentOf(n - 5_000), Roles: ['r'] } },
          B: { Type: 'AWS::IAM::Policy', Properties: { PolicyDocument: documentOf(5_000), Roles: ['r'] } },
        }),
      10_240,
      'inlinePolicyCharsPerRole',
    ],
    [
      'managed policies per role',
      (n) => stackWith({ role, ...many(n, () => ({ Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: documentOf(200), Roles: ['r'] } })) }),
      10,
      'managedPoliciesPerRole',
    ],
    ['dashboard widgets', (n) => stackWith({ D: dashboard(n, 1) }), 500, 'dashboardWidgets'],
    ['metrics per dashboard widget', (n) => stackWith({ D: dashboard(1, n) }), 500, 'metricsPerDashboardWidget'],
    ['event pattern characters', (n) => stackWith({ E: pattern(n) }), 2_048, 'eventPatternChars'],
    [
      'state machine definition bytes',
      (n) => stackWith({ M: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: 'x'.repeat(n) } } }, { templateChars: 1 }),
      1_048_576,
      'stateMachineDefinitionBytes',
    ],
  ];
  it.each(cases)('%s', (_, make, max, limit) => {
    expect(DEPLOY_LIMITS[limit]).toBe(max);
    expect(checkStackLimits(make(max)).violations).toEqual([]);
    expect(checkStackLimits(make(max + 1)).violations).toEqual([expect.objectContaining({ limit, value: max + 1, max })]);
  });

  it('measures a policy as IAM does: whitespace excluded', () => {
    expect(policyChars({ Statement: [{ Effect: 'Allow', Action: 'a b' }] })).toBe(JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'ab' }] }).length);
  });
});

describe('twin deploy refuses what CloudFormation and IAM refuse', () => {
  it("refuses the product's app with one of its policies grown past 6,144 characters, naming the limit", async () => {
    const app = structuredClone(synthApp().resolvedApp);
    const control = app.stacks[app.controlStack]!;
    const [roleId] = Object.entries(control.resolved.Resources).find(([, r]) => r.Type === 'AWS::IAM::Role')!;
    control.resolved.Resources.TooLarge = { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: documentOf(6_145), Roles: [roleId] } };
    const world = new World({ seed: 1, startMs: Date.UTC(2026, 0, 1) });
    const refused = await deploy(world, app).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(DeployLimitError);
    expect(String((refused as Error).message)).toContain(
      `failover-control/TooLarge: 6145 characters of a managed policy (whitespace excluded), over the limit of 6144 (managedPolicyChars)`,
    );
  });

  it("deploys the product's app as synthesized", () => {
    for (const stack of Object.values(synthApp().resolvedApp.stacks)) expect(checkStackLimits(stack).violations, stack.name).toEqual([]);
  });
});
