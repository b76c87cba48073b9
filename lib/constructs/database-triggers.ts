/**
 * What starts one database's failover in the control Region: a rule on the product bus
 * (its alarms — the in-Region one forwarded from the primary's Region, the cross-Region one
 * forwarded from the control Region's default bus by the stack's one forwarding rule —, RDS events
 * about the primary, operator requests), and the cross-Region heartbeat itself. The rule starts the
 * failover state machine with `{ database, event }`, retries, and keeps what it could not deliver in
 * the dead-letter queue. A database with a `gameDay` also gets the rule that starts drill runs on its
 * drill pair ("Drill Requested": docs/game-days.md "Drill runs").
 */
import { Duration } from 'aws-cdk-lib';
import { Rule, type IEventBus } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { DatabaseConfig, FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { asEventPattern, drillRuleInput, drillTriggerPattern, failoverRuleInput, failoverTriggerPattern } from '../event-patterns.js';
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
  /**
   * The config of the database's drill pair (`gameDay.drillPair`), when it has a `gameDay`: a
   * second rule starts drill runs of the failover workflow on that pair (docs/game-days.md).
   */
  readonly drillPair?: DatabaseConfig;
}

/** The config of `database`'s drill pair (`gameDay.drillPair`), when it has a game day. */
export const drillPairOf = (config: FailoverConfig, database: DatabaseConfig): DatabaseConfig | undefined =>
  database.gameDay ? config.databases.find((d) => d.name === database.gameDay?.drillPair) : undefined;

/** The triggers of one database. */
export class DatabaseTriggers extends Construct {
  /** On the product bus. */
  public readonly trigger: Rule;
  public readonly crossRegionHeartbeat: HeartbeatMonitor;
  /** Starts drill runs on the drill pair ("Drill Requested" for this database's game day), when it has one. */
  public readonly drill?: Rule;

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
    if (database.gameDay && props.drillPair) {
      this.drill = new Rule(this, 'DrillTrigger', {
        eventBus: props.bus,
        description: `Starts a drill run of the failover workflow on ${props.drillPair.name}, the drill pair of ${database.name} ("Drill Requested")`,
        eventPattern: asEventPattern(drillTriggerPattern(database, props.drillPair)),
        targets: [
          new SfnStateMachine(props.failover, {
            input: drillRuleInput(database, props.drillPair),
            deadLetterQueue: props.deadLetterQueue,
            retryAttempts: TRIGGER_RETRY_ATTEMPTS,
            maxEventAge: TRIGGER_MAX_EVENT_AGE,
          }),
        ],
      });
    }
    this.crossRegionHeartbeat = new HeartbeatMonitor(this, 'CrossRegionHeartbeat', { prefix, database, site: 'cross-region', heartbeat: props.heartbeat });
  }
}
