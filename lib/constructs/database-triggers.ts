/**
 * What starts one database's failover in the control Region: a rule on the product bus
 * (forwarded alarms, RDS events about the primary, operator requests), a rule on the default bus
 * for the cross-Region heartbeat alarm, and that heartbeat itself. Both rules start the failover
 * state machine with `{ database, event }`, retry, and keep what they could not deliver in the
 * dead-letter queue.
 */
import { Duration } from 'aws-cdk-lib';
import { Rule, type IEventBus } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { DatabaseConfig } from '../../lambdas/shared/config-schema.js';
import { asEventPattern, crossRegionAlarmPattern, failoverRuleInput, failoverTriggerPattern } from '../event-patterns.js';
import { HeartbeatMonitor } from './heartbeat-monitor.js';

/** How long EventBridge keeps retrying to start a run before the event goes to the dead-letter queue. */
export const TRIGGER_MAX_EVENT_AGE = Duration.hours(2);
export const TRIGGER_RETRY_ATTEMPTS = 20;

export interface DatabaseTriggersProps {
  readonly prefix: string;
  readonly database: DatabaseConfig;
  /** The product bus (forwarded signals, operator requests). */
  readonly bus: IEventBus;
  readonly failover: IStateMachine;
  /**
   * Where undeliverable events go. Its policy must already let this account's rules send to it:
   * targets do not add a statement per rule (pass a reference, e.g. `Queue.fromQueueArn`).
   */
  readonly deadLetterQueue: IQueue;
  /** The control Region's heartbeat function (cross-Region heartbeat). */
  readonly heartbeat: IFunction;
}

/** The triggers of one database. */
export class DatabaseTriggers extends Construct {
  /** On the product bus. */
  public readonly trigger: Rule;
  /** On the control Region's default bus. */
  public readonly crossRegionAlarmTrigger: Rule;
  public readonly crossRegionHeartbeat: HeartbeatMonitor;

  constructor(scope: Construct, id: string, props: DatabaseTriggersProps) {
    super(scope, id);
    const { database, prefix } = props;
    const target = () =>
      new SfnStateMachine(props.failover, {
        input: failoverRuleInput(database),
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: TRIGGER_RETRY_ATTEMPTS,
        maxEventAge: TRIGGER_MAX_EVENT_AGE,
      });
    this.trigger = new Rule(this, 'Trigger', {
      eventBus: props.bus,
      description: `Starts the failover of ${database.name}: its heartbeat alarms, failure events of its primary, operator requests`,
      eventPattern: asEventPattern(failoverTriggerPattern(prefix, database)),
      targets: [target()],
    });
    this.crossRegionHeartbeat = new HeartbeatMonitor(this, 'CrossRegionHeartbeat', { prefix, database, site: 'cross-region', heartbeat: props.heartbeat });
    this.crossRegionAlarmTrigger = new Rule(this, 'CrossRegionAlarmTrigger', {
      description: `Starts the failover of ${database.name} when its cross-Region heartbeat alarm fires`,
      eventPattern: asEventPattern(crossRegionAlarmPattern(prefix, database)),
      targets: [target()],
    });
  }
}
