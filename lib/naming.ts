/**
 * Names of the resources the stacks create. Physical names are part of the product's contract:
 * the functions reach each other by name across Regions (probe-vantage invokes
 * `${prefix}-probe`), the CLI and the cloud twin find the table, bus and state machines by name,
 * and operators read them in the console. Change them only by adding.
 */
import type { FunctionName } from '../lambdas/shared/contracts.js';

export { alarmName, probeFunctionName } from '../lambdas/shared/names.js';

/** Stack names, all derived from the config's `prefix`. */
export const stackNames = {
  /** The orchestrator: table, topic, bus, functions, state machines, triggers, dashboard. */
  control: (prefix: string): string => `${prefix}-control`,
  /** Next to a primary: in-Region heartbeat, its alarms and the forwarding rules. */
  signal: (prefix: string, region: string): string => `${prefix}-signal-${region}`,
  /** A vantage-point Region: the probe function. */
  probe: (prefix: string, region: string): string => `${prefix}-probe-${region}`,
  /**
   * In the control Region, the triggers of the databases past the first
   * {@link DATABASES_PER_STACK} (the control stack holds those), {@link DATABASES_PER_STACK} per
   * stack, numbered from 2 (docs/scale.md).
   */
  databases: (prefix: string, group: number): string => `${prefix}-databases-${group}`,
  /** A Region holding a drill pair's primary: its game-day fault experiment templates (docs/game-days.md). */
  gameDay: (prefix: string, region: string): string => `${prefix}-game-day-${region}`,
} as const;

/**
 * Databases whose triggers (trigger rule, cross-Region heartbeat schedule and alarm: 3 resources,
 * about 3.3 KB of template each) one stack holds: the control stack the first ones, a
 * `databases` stack each further group (docs/scale.md).
 */
export const DATABASES_PER_STACK = 20;

/**
 * The most databases one deployment protects: what the limits test synthesizes and checks
 * against every CloudFormation and IAM limit (test/lib/limits.test.ts). The tightest limit there
 * is IAM's 10 managed policies per role (docs/scale.md has the figures).
 */
export const MAX_DATABASES = 100;

/** The trigger rules' dead-letter queue (named: the `databases` stacks reach it by ARN). */
export const triggerDeadLetterQueueName = (prefix: string): string => `${prefix}-trigger-dead-letters`;

/** The product's EventBridge bus in the control Region. */
export const eventBusName = (prefix: string): string => `${prefix}-events`;

/** The DynamoDB table holding leases, incidents, approvals and fence records. */
export const tableName = (prefix: string): string => `${prefix}-state`;

/** The SNS topic operators subscribe to. */
export const topicName = (prefix: string): string => `${prefix}-notifications`;

/** State machine names. */
export const stateMachineNames = {
  failover: (prefix: string): string => `${prefix}-failover`,
  failback: (prefix: string): string => `${prefix}-failback`,
} as const;

/** The CloudWatch dashboard. */
export const dashboardName = (prefix: string): string => `${prefix}-rds-failover`;

/**
 * Physical name of a deployed function: `${prefix}-${folder}`, except the probe (exactly
 * `${prefix}-probe`, see names.ts) and the in-Region heartbeat, which may share a Region with the
 * control Region's heartbeat and is therefore `${prefix}-heartbeat-in-region`.
 */
export function deployedFunctionName(prefix: string, fn: FunctionName, variant?: 'in-region'): string {
  return variant ? `${prefix}-${fn}-${variant}` : `${prefix}-${fn}`;
}

/** Tag key carried by every function: its folder name under `lambdas/` (scenario files name functions this way). */
export const FUNCTION_TAG = 'rds-failover:function';

/**
 * The stack's outputs (`cdk deploy` prints them; `aws cloudformation describe-stacks` lists them):
 * what an operator opens or names first. Their keys are part of the product's contract (the CLI's
 * `status` and `preflight` read them); add keys, never rename them.
 */
export const CONTROL_OUTPUTS = {
  failoverStateMachineArn: 'FailoverStateMachineArn',
  failbackStateMachineArn: 'FailbackStateMachineArn',
  notificationTopicArn: 'NotificationTopicArn',
  stateTableName: 'StateTableName',
  eventBusName: 'EventBusName',
  dashboardUrl: 'DashboardUrl',
  /** Only when `approvals.page` is not "none". */
  approvalPageUrl: 'ApprovalPageUrl',
} as const;

/** The CloudWatch console's link to a dashboard. */
export const dashboardConsoleUrl = (region: string, name: string): string =>
  `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${name}`;
