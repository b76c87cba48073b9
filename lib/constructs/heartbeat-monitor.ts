/**
 * One database's heartbeat at one site: a schedule that invokes the heartbeat function with a
 * constant input (so the function needs no config of its own), and the trigger alarm on the
 * `HeartbeatSuccess` metric it publishes. A missing heartbeat counts as a failed one.
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { z } from 'zod';
import { defaultPort, type DatabaseConfig } from '../../lambdas/shared/config-schema.js';
import { heartbeatInput, METRICS } from '../../lambdas/shared/contracts.js';
import { alarmName, type HeartbeatSite } from '../../lambdas/shared/names.js';

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
    ...(database.credentials?.secretArn && database.credentials.secretReplicaRegions ? { secretReplicaRegions: [...database.credentials.secretReplicaRegions] } : {}),
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
      description: `Heartbeat of ${database.name} (${site}) every ${hb.periodSeconds} s`,
      schedule: Schedule.rate(Duration.seconds(hb.periodSeconds)),
    });
    this.schedule.addTarget(
      new LambdaFunction(props.heartbeat, {
        event: RuleTargetInput.fromObject(heartbeatInputFor(database, site)),
        // A late heartbeat is a wrong heartbeat: no retries, and drop it after a minute.
        retryAttempts: 0,
        maxEventAge: Duration.seconds(60),
      }),
    );
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
