/**
 * Watching the automation itself: a trigger lost in silence is the worst failure this product can
 * have. Alarms on every dead-letter queue (a trigger or forwarded signal EventBridge could not
 * deliver), on failed, timed-out and aborted executions of both state machines, and on errors of
 * the heartbeat functions, and (control Region) on configured emails whose subscription is pending
 * or removed. In the control Region they notify the product's topic directly; in a
 * primary Region (whose alarms cannot act on a topic of another Region) they are named
 * `<prefix>-automation.<what>`, forwarded to the product bus like the heartbeat alarms, and one
 * rule there publishes their ALARM changes to the topic (docs/aws-behaviour.md, "Watching the
 * automation").
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule, type IEventBus } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ALARM_DETAIL_TYPE } from '../../lambdas/accept-trigger/core.js';
import { METRICS } from '../../lambdas/shared/contracts.js';

/** Name of an automation alarm: `<prefix>-automation.<what>` (no database name can produce it: names have no dot). */
export const automationAlarmName = (prefix: string, what: string): string => `${prefix}-automation.${what}`;

/** How a set of automation alarms notifies: the topic itself (same Region), or by name through the product bus. */
export type AlarmRoute = { topic: ITopic } | { forwarded: true };

/** The three execution outcomes that mean the automation itself failed. */
const EXECUTION_FAILURES = [
  ['ExecutionsFailed', 'failed'],
  ['ExecutionsTimedOut', 'timed-out'],
  ['ExecutionsAborted', 'aborted'],
] as const;

export interface AutomationAlarmsProps {
  readonly prefix: string;
  /** How the alarms notify. */
  readonly route: AlarmRoute;
}

/** A group of alarms on the automation of one stack. */
export class AutomationAlarms extends Construct {
  public readonly alarms: Alarm[] = [];

  constructor(
    scope: Construct,
    id: string,
    private readonly props: AutomationAlarmsProps,
  ) {
    super(scope, id);
  }

  private add(id: string, what: string, description: string, metric: Metric, treatMissingData = TreatMissingData.NOT_BREACHING): Alarm {
    const alarm = new Alarm(this, id, {
      alarmName: automationAlarmName(this.props.prefix, what),
      alarmDescription: description,
      metric,
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData,
    });
    if ('topic' in this.props.route) alarm.addAlarmAction(new SnsAction(this.props.route.topic));
    this.alarms.push(alarm);
    return alarm;
  }

  /** An alarm whose missing data is breaching (its metric comes from a scheduled check of the product). */
  addMissingIsBreaching(id: string, what: string, description: string, metric: Metric): Alarm {
    return this.add(id, what, description, metric, TreatMissingData.BREACHING);
  }

  /** Any message in a dead-letter queue: an event EventBridge could not deliver. */
  deadLetters(id: string, queue: IQueue, what: string, holds: string): Alarm {
    return this.add(
      id,
      what,
      `${holds} are in the dead-letter queue ${queue.queueName}: EventBridge could not deliver them. Read them, find why (permissions, a throttled or deleted target), and start what was lost by hand.`,
      new Metric({
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensionsMap: { QueueName: queue.queueName },
        statistic: Stats.MAXIMUM,
        period: Duration.minutes(5),
      }),
    );
  }

  /** Failed, timed-out or aborted executions of a state machine (one alarm each). */
  executions(machine: StateMachine, label: string): Alarm[] {
    return EXECUTION_FAILURES.map(([metricName, outcome]) =>
      this.add(
        `${label}Executions${metricName.slice('Executions'.length)}`,
        `${label.toLowerCase()}-${outcome}`,
        `A ${label.toLowerCase()} execution ${outcome}: read its history (the operators were told why if the workflow itself escalated; an abort or a timeout has no message of its own).`,
        new Metric({
          namespace: 'AWS/States',
          metricName,
          dimensionsMap: { StateMachineArn: machine.stateMachineArn },
          statistic: Stats.SUM,
          period: Duration.minutes(1),
        }),
      ),
    );
  }

  /** Errors of a heartbeat function (a failing heartbeat looks like a failing database). */
  functionErrors(id: string, fn: IFunction, what: string): Alarm {
    return this.add(
      id,
      what,
      `The heartbeat function ${fn.functionName} fails: the heartbeat alarms may start failover verifications, or stay silent. Read its logs.`,
      new Metric({
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensionsMap: { FunctionName: fn.functionName },
        statistic: Stats.SUM,
        period: Duration.minutes(5),
      }),
    );
  }
}

/** Period of the subscription alarm: two runs of the hourly check, so a late run never leaves it empty. */
export const SUBSCRIPTION_ALARM_PERIOD = Duration.hours(2);

/**
 * Configured notification emails that receive nothing (subscription pending or removed), as the
 * scheduled check-subscriptions function counts them. Missing data is breaching: a check that no
 * longer runs or fails is seen too. The alarm notifies the same topic, so it reaches only the
 * confirmed addresses (docs/config.md, "Top level").
 */
export function unconfirmedSubscriptionsAlarm(alarms: AutomationAlarms, checkFunctionName: string): Alarm {
  return alarms.addMissingIsBreaching(
    'UnconfirmedEmailSubscriptions',
    'unconfirmed-email-subscriptions',
    `A configured notification email receives nothing: its subscription is pending confirmation or was removed (or the check ${checkFunctionName} did not run: read its logs). Confirm the subscription from its email, or subscribe the address again; until then that address hears of no failover.`,
    new Metric({ namespace: METRICS.namespace, metricName: METRICS.unconfirmedEmails, statistic: Stats.MAXIMUM, period: SUBSCRIPTION_ALARM_PERIOD }),
  );
}

/**
 * In the control Region: publishes to the topic every ALARM of an automation alarm forwarded from
 * a primary Region to the product bus.
 */
export function notifyForwardedAutomationAlarms(scope: Construct, id: string, prefix: string, controlRegion: string, bus: IEventBus, topic: ITopic): Rule {
  return new Rule(scope, id, {
    eventBus: bus,
    description: `Tells the operators when an alarm on the automation in a primary Region fires (${automationAlarmName(prefix, '*')})`,
    eventPattern: {
      // The control Region's own alarms notify the topic directly (they reach this bus too).
      region: [{ 'anything-but': controlRegion }] as unknown as string[],
      source: ['aws.cloudwatch'],
      detailType: [ALARM_DETAIL_TYPE],
      detail: { alarmName: [{ prefix: automationAlarmName(prefix, '') }], state: { value: ['ALARM'] } },
    },
    targets: [new SnsTopic(topic)],
  });
}
