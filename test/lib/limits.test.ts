/**
 * docs/scale.md: 1, 11, 50 and 100 databases synthesized as `cdk synth` does (cdk.json's context,
 * cdk-nag's checks on: synthesis throws on any unacknowledged finding), every stack checked
 * against the CloudFormation, IAM, CloudWatch, EventBridge and Step Functions limits the cloud
 * twin enforces on deploy (twin/services/cfn-limits.ts): template size as written, resources and
 * outputs per stack, managed policy and per-role inline policy sizes after token resolution without
 * whitespace, managed policies per role, dashboard widgets and metrics, event patterns, state
 * machine definitions.
 *
 * The four syntheses with cdk-nag take most of this file's time (each a few seconds; 100
 * databases the longest).
 */
import { describe, expect, it } from 'vitest';
import { DATABASES_PER_STACK, MAX_DATABASES } from '../../lib/naming.js';
import { checkStackLimits, DEPLOY_LIMITS, describeViolation, type LimitMeasures } from '../../twin/services/cfn-limits.js';
import { exampleWith } from '../fixtures/databases.js';
import { synthApp } from '../helpers/synth.js';

const configWith = exampleWith;

/**
 * What the CDK CLI adds to an app's context on `cdk synth` (the templates then carry each
 * resource's construct path, asset metadata and the CDK version in their Metadata: a few percent
 * larger than without).
 */
const CDK_CLI_CONTEXT = { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:version-reporting': true };

/** The largest of each measure over every stack, and what each stack breaks. */
function measure(n: number) {
  const app = synthApp({ config: configWith(n), nag: true, context: CDK_CLI_CONTEXT });
  const largest: Partial<LimitMeasures> = {};
  const violations: string[] = [];
  const perStack: Record<string, { templateChars: number; resources: number }> = {};
  for (const stack of Object.values(app.stacks)) {
    expect(stack.templateChars, `${stack.name}: the template file as written`).toBeGreaterThan(0);
    const result = checkStackLimits(stack);
    violations.push(...result.violations.map(describeViolation));
    perStack[stack.name] = { templateChars: result.measures.templateChars, resources: result.measures.resources };
    for (const [k, v] of Object.entries(result.measures) as Array<[keyof LimitMeasures, number]>) largest[k] = Math.max(largest[k] ?? 0, v);
  }
  return { app, largest: largest as LimitMeasures, violations, perStack };
}

describe('limits: every CloudFormation, IAM and service limit holds on the synthesized output, cdk-nag on', () => {
  it.each([1, 11, 50, MAX_DATABASES])('%i databases', (n) => {
    const { app, largest, violations, perStack } = measure(n);
    expect(violations).toEqual([]);
    // What was measured, so that the test cannot pass on an empty synthesis.
    expect(app.config.databases).toHaveLength(n);
    expect(largest.stateMachineDefinitionBytes).toBeGreaterThan(50_000);
    expect(largest.eventPatternChars).toBeGreaterThan(100);
    expect(largest.dashboardWidgets).toBeGreaterThan(5);
    expect(largest.inlinePolicyCharsPerRole).toBeGreaterThan(500);
    expect(Object.keys(app.stacks).filter((s) => s.includes('-databases-'))).toHaveLength(Math.max(0, Math.ceil(n / DATABASES_PER_STACK) - 1));
    // Figures for docs/scale.md.
    console.log(`${n} databases: ${JSON.stringify(largest)} ${JSON.stringify(perStack)}`);
  });

  it("at 100 databases: the functions' permissions continue in managed policies, all within the size limit and the quota, the dashboard bounded", () => {
    const { largest } = measure(MAX_DATABASES);
    expect(largest.managedPoliciesPerRole).toBeGreaterThan(1);
    expect(largest.managedPoliciesPerRole).toBeLessThanOrEqual(DEPLOY_LIMITS.managedPoliciesPerRole);
    expect(largest.managedPolicyChars).toBeGreaterThan(4_000);
    expect(largest.managedPolicyChars).toBeLessThanOrEqual(DEPLOY_LIMITS.managedPolicyChars);
    // The dashboard stops growing past 10 databases (its heading names the count: "All 50", "All 100").
    expect(Math.abs(largest.dashboardBodyChars - measure(50).largest.dashboardBodyChars)).toBeLessThanOrEqual(2);
  });
});

describe('limits with game days (docs/game-days.md)', () => {
  it(`${MAX_DATABASES} databases, each a drill target with a scheduled game day on itself: a drill rule and a schedule each, cdk-nag clean, every limit held`, () => {
    const config = configWith(MAX_DATABASES) as { databases: Record<string, unknown>[] };
    for (const db of config.databases) {
      db.drillTarget = true;
      db.gameDay = {
        drillPair: db.name,
        faults: ['disrupt-connectivity'],
        disruptSubnetIds: ['subnet-0a1b2c3d4e5f60718'],
        stopAlarmArns: [`arn:aws:cloudwatch:${(db.primary as { region: string }).region}:123456789012:alarm:business-errors`],
        schedule: 'cron(0 10 ? 1,4,7,10 TUE#2 *)',
        scheduleTimezone: 'Europe/Paris',
      };
    }
    const app = synthApp({ config, nag: true, context: CDK_CLI_CONTEXT });
    const violations = Object.values(app.stacks).flatMap((stack) => checkStackLimits(stack).violations.map(describeViolation));
    expect(violations).toEqual([]);
    // Each schedule in the stack of its database's triggers: the control stack holds the first ones' only.
    expect(app.control.resources('AWS::Scheduler::Schedule')).toHaveLength(DATABASES_PER_STACK);
    expect(Object.values(app.stacks).flatMap((s) => s.resources('AWS::Scheduler::Schedule'))).toHaveLength(MAX_DATABASES);
    const drillRules = Object.values(app.stacks).flatMap((s) => s.resources('AWS::Events::Rule').filter(([id]) => id.includes('DrillTrigger')));
    expect(drillRules).toHaveLength(MAX_DATABASES);
    console.log(
      `${MAX_DATABASES} databases with game days: control stack ${app.control.resources('AWS::Scheduler::Schedule').length} schedules, ${checkStackLimits(app.control).measures.resources} resources, ${checkStackLimits(app.control).measures.templateChars} template characters`,
    );
  });
});
