/**
 * A `<prefix>-databases-<n>` stack in the control Region: the triggers of up to
 * {@link DATABASES_PER_STACK} databases past the ones the control stack holds (docs/scale.md).
 * Per database: the trigger rule on the product bus, the cross-Region heartbeat schedule and its
 * alarm, and its game-day schedule if it has one. They reach the control stack's bus, failover
 * state machine, dead-letter queue, heartbeat function, schedule group and scheduler role by name
 * (no cross-stack exports), as the signal stacks do.
 */
import { Aws, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { DatabaseConfig, FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { drillSchedulerRoleName } from '../../lambdas/shared/names.js';
import { Arns } from '../arns.js';
import { DatabaseTriggers, drillPairOf } from '../constructs/database-triggers.js';
import { addDrillSchedules } from '../constructs/game-day-schedules.js';
import { deployedFunctionName, eventBusName, stackNames, stateMachineNames, triggerDeadLetterQueueName } from '../naming.js';

export interface DatabaseStackProps extends StackProps {
  /** The validated config. */
  readonly config: FailoverConfig;
  /** The group's number (2 for the first `databases` stack: the control stack is group 1). */
  readonly group: number;
  /** The databases of this group. */
  readonly databases: readonly DatabaseConfig[];
}

/** The triggers of one group of databases. */
export class DatabaseStack extends Stack {
  public readonly triggers: Readonly<Record<string, DatabaseTriggers>>;

  constructor(scope: Construct, id: string, props: DatabaseStackProps) {
    const { config, group, databases, ...rest } = props;
    super(scope, id, {
      stackName: stackNames.databases(config.prefix, group),
      description: `RDS failover: triggers of ${databases.length} databases (${databases[0]?.name} to ${databases.at(-1)?.name}): rules, cross-Region heartbeats and their alarms`,
      env: { account: config.account, region: config.controlRegion },
      suppressTemplateIndentation: true, // see ControlStack
      ...rest,
    });
    const { prefix, controlRegion } = config;
    const arns = new Arns();
    const bus = EventBus.fromEventBusName(this, 'Bus', eventBusName(prefix));
    const failover = StateMachine.fromStateMachineName(this, 'Failover', stateMachineNames.failover(prefix));
    const deadLetterQueue = Queue.fromQueueArn(
      this,
      'TriggerDeadLetters',
      `arn:${Aws.PARTITION}:sqs:${controlRegion}:${Aws.ACCOUNT_ID}:${triggerDeadLetterQueueName(prefix)}`,
    );
    // The control stack's permission lets every heartbeat schedule of the Region invoke it (allowHeartbeatSchedules).
    const heartbeat = LambdaFunction.fromFunctionAttributes(this, 'Heartbeat', {
      functionArn: arns.lambdaFunction(controlRegion, deployedFunctionName(prefix, 'heartbeat')),
      sameEnvironment: true,
      skipPermissions: true,
    });
    const triggers: Record<string, DatabaseTriggers> = {};
    for (const database of databases) {
      triggers[database.name] = new DatabaseTriggers(this, `Database-${database.name}`, {
        prefix,
        database,
        bus,
        failover,
        deadLetterQueue,
        heartbeat,
        drillPair: drillPairOf(config, database),
      });
    }
    this.triggers = triggers;
    // Game days on a schedule: the control stack's group and role (this stack depends on it).
    addDrillSchedules(this, {
      prefix,
      databases,
      busArn: bus.eventBusArn,
      deadLetterQueueArn: deadLetterQueue.queueArn,
      roleArn: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${drillSchedulerRoleName(prefix, controlRegion)}`,
    });
  }
}
