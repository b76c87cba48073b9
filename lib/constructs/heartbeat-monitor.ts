/**
 * One database's heartbeat at one site: a schedule that invokes the heartbeat function with a
 * constant input (so the function needs no config of its own), and the trigger alarm on the
 * `HeartbeatSuccess` metric it publishes. A missing heartbeat counts as a failed one.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, RuleTargetInput, Schedule, type IRuleTarget } from 'aws-cdk-lib/aws-events';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { z } from 'zod';
import { defaultPort, type DatabaseConfig } from '../../lambdas/shared/config-schema.js';
import { heartbeatInput, METRICS } from '../../lambdas/shared/contracts.js';
import { alarmName, heartbeatRuleName, heartbeatRuleNamePattern, type HeartbeatSite } from '../../lambdas/shared/names.js';

/**
 * Lets EventBridge invoke a Region's heartbeat function from every heartbeat schedule of `site`,
 * with ONE permission scoped to their rule names (not one permission per database, which would
 * cost a resource per database). Call once per heartbeat function.
 */
export function allowHeartbeatSchedules(heartbeat: IFunction, prefix: string, site: HeartbeatSite): void {
  const stack = Stack.of(heartbeat);
  heartbeat.addPermission('AllowHeartbeatSchedules', {
    principal: new ServicePrincipal('events.amazonaws.com'),
    action: 'lambda:InvokeFunction',
    sourceAccount: stack.account,
    sourceArn: `arn:${stack.partition}:events:${stack.region}:${stack.account}:rule/${heartbeatRuleNamePattern(prefix, site)}`,
  });
}

/** The heartbeat function's input for one database and site (validated against the contract). */
export type HeartbeatInput = z.input<typeof heartbeatInput>;

/**
 * The constant input of a database's heartbeat schedule: it writes through the DNS name (the
 * name clients use), with the database's credentials.
 */
export function heartbeatInputFor(database: DatabaseConfig, site: HeartbeatSite): HeartbeatInput {
  const input: HeartbeatInput = {
    site,
    database: database.name,
    engine: database.engine,
    host: database.dns.recordName,
    port: database.primary.port ?? defaultPort(database.engine),
    ...(database.credentials?.secretArn ? { secretArn: database.credentials.secretArn } : {}),
    ...(database.credentials?.secretArn && database.credentials.secretReplicaRegions
      ? { secretReplicaRegions: [...database.credentials.secretReplicaRegions] }
      : {}),
    ...(database.credentials?.iamUser ? { iamUser: database.credentials.iamUser } : {}),
    ...(database.credentials?.databaseName ? { databaseName: database.credentials.databaseName } : {}),
  };
  heartbeatInput.parse(input);
  return input;
}

/** The metric a database's heartbeat alarm watches at one site. */
export function heartbeatMetric(database: DatabaseConfig, site: HeartbeatSite, region?: string): Metric {
  return new Metric({
    namespace: METRICS.namespace,
    metricName: METRICS.heartbeat,
    dimensionsMap: { Database: database.name, Site: site },
    statistic: Stats.MINIMUM,
    period: Duration.seconds(database.detection.heartbeat.periodSeconds),
    ...(region ? { region } : {}),
  });
}

export interface HeartbeatMonitorProps {
  readonly prefix: string;
  readonly database: DatabaseConfig;
  readonly site: HeartbeatSite;
  /** The heartbeat function of this Region. */
  readonly heartbeat: IFunction;
}

/** Schedule + trigger alarm of one database at one site. */
export class HeartbeatMonitor extends Construct {
  public readonly schedule: Rule;
  public readonly alarm: Alarm;

  constructor(scope: Construct, id: string, props: HeartbeatMonitorProps) {
    super(scope, id);
    const { database, site } = props;
    const hb = database.detection.heartbeat;
    this.schedule = new Rule(this, 'Schedule', {
      ruleName: heartbeatRuleName(props.prefix, database.name, site),
      description: `Heartbeat of ${database.name} (${site}) every ${hb.periodSeconds} s`,
      schedule: Schedule.rate(Duration.seconds(hb.periodSeconds)),
    });
    // The function's permission comes from allowHeartbeatSchedules (one for every database), so
    // this target adds none of its own.
    const input = RuleTargetInput.fromObject(heartbeatInputFor(database, site));
    const target: IRuleTarget = {
      bind: () => ({
        arn: props.heartbeat.functionArn,
        input,
        targetResource: props.heartbeat,
        // A late heartbeat is a wrong heartbeat: no retries, and drop it after a minute.
        retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
      }),
    };
    this.schedule.addTarget(target);
    this.alarm = new Alarm(this, 'Alarm', {
      alarmName: alarmName(props.prefix, database.name, site),
      alarmDescription:
        `Heartbeat of ${database.name} through ${database.dns.recordName} failed (${site}). ` +
        'Starts the failover workflow, which verifies from several vantage points before acting.',
      metric: heartbeatMetric(database, site),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: hb.evaluationPeriods,
      datapointsToAlarm: hb.datapointsToAlarm,
      treatMissingData: TreatMissingData.BREACHING,
    });
  }
}
