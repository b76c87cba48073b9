/**
 * What starts one database's failover in the control Region: a rule on the product bus
 * (its alarms — the in-Region one forwarded from the primary's Region, the cross-Region one
 * forwarded from the control Region's default bus by the stack's one forwarding rule —, RDS events
 * about the primary, operator requests), and the cross-Region heartbeat itself. The rule starts the
 * failover state machine with `{ database, event }`, retries, and keeps what it could not deliver in
 * the dead-letter queue.
 */
import { Duration } from 'aws-cdk-lib';
import { Rule, type IEventBus } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { DatabaseConfig } from '../../lambdas/shared/config-schema.js';
import { asEventPattern, failoverRuleInput, failoverTriggerPattern } from '../event-patterns.js';
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
  public readonly crossRegionHeartbeat: HeartbeatMonitor;

  constructor(scope: Construct, id: string, props: DatabaseTriggersProps) {
    super(scope, id);
    const { database, prefix } = props;
    this.trigger = new Rule(this, 'Trigger', {
      eventBus: props.bus,
      description: `Starts the failover of ${database.name}: its heartbeat alarms, failure events of its primary, operator requests`,
      eventPattern: asEventPattern(failoverTriggerPattern(prefix, database)),
      targets: [
        new SfnStateMachine(props.failover, {
          input: failoverRuleInput(database),
          deadLetterQueue: props.deadLetterQueue,
          retryAttempts: TRIGGER_RETRY_ATTEMPTS,
          maxEventAge: TRIGGER_MAX_EVENT_AGE,
        }),
      ],
    });
    this.crossRegionHeartbeat = new HeartbeatMonitor(this, 'CrossRegionHeartbeat', { prefix, database, site: 'cross-region', heartbeat: props.heartbeat });
  }
}
