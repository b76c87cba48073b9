/**
 * The operators' dashboard, bounded in size however many databases are protected (docs/scale.md):
 * an overview of every database (one CloudWatch SEARCH per graph over the product's namespace:
 * heartbeats per Region, verdicts, incidents, RTO), then, for the first
 * {@link DETAILED_DATABASES} databases of the config, a section each: both heartbeats, the
 * standby's replica lag against the RPO budget, and the verdicts, incidents and RTO the workflow
 * records. Past that number the overview alone grows no further (the body stays far below
 * CloudWatch's 500 widgets and the template's size limit). Databases with a game day (at most
 * {@link DETAILED_DATABASES} of them) get one single-value widget each: their last drill's RTO,
 * data at risk and whether it met the objectives (docs/game-days.md, "Evidence").
 */
import { Duration } from 'aws-cdk-lib';
import {
  Dashboard,
  GraphWidget,
  HorizontalAnnotation,
  MathExpression,
  Metric,
  SingleValueWidget,
  Stats,
  TextWidget,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { isAurora, type DatabaseConfig, type FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { METRICS, VERDICTS } from '../../lambdas/shared/contracts.js';
import { dashboardName } from '../naming.js';
import { heartbeatMetric } from './heartbeat-monitor.js';

const product = (name: string, database: string, statistic: string, extra: Record<string, string> = {}) =>
  new Metric({ namespace: METRICS.namespace, metricName: name, dimensionsMap: { Database: database, ...extra }, statistic, period: Duration.minutes(5) });

/** The standby's replication lag, in the unit of `budget` (seconds, or milliseconds for Aurora). */
function lagWidget(db: DatabaseConfig): IWidget {
  const budget = db.failover.rpoBudgetSeconds;
  if (db.standby.readiness === 'cold') {
    return new TextWidget({
      markdown: `**Replica lag**\n\nCold standby: no replica. The data loss is bounded by the age of the replicated backups (RPO budget ${budget} s).`,
      width: 6,
      height: 6,
    });
  }
  const aurora = isAurora(db.engine);
  const id = aurora ? db.standby.clusterId : db.standby.instanceId;
  const annotation: HorizontalAnnotation = { value: aurora ? budget * 1000 : budget, label: `RPO budget (${budget} s)` };
  return new GraphWidget({
    title: `${db.name}: standby lag vs RPO budget`,
    width: 6,
    height: 6,
    left: [
      new Metric({
        namespace: 'AWS/RDS',
        metricName: aurora ? 'AuroraGlobalDBRPOLag' : 'ReplicaLag',
        dimensionsMap: aurora ? { DBClusterIdentifier: id ?? '' } : { DBInstanceIdentifier: id ?? '' },
        statistic: Stats.MAXIMUM,
        period: Duration.minutes(1),
        region: db.standby.region,
        label: aurora ? `${id} RPO lag (ms)` : `${id} ReplicaLag (s)`,
      }),
    ],
    leftAnnotations: [annotation],
  });
}

/** Databases with a section of their own on the dashboard (the first ones of the config); 6 widgets each. */
export const DETAILED_DATABASES = 10;

/** A graph of every database at once: a CloudWatch SEARCH over the product's namespace. */
function searchGraph(
  title: string,
  search: string,
  statistic: string,
  period: Duration,
  region?: string,
  extra: { stacked?: boolean; max?: number } = {},
): GraphWidget {
  return new GraphWidget({
    title,
    width: 8,
    height: 6,
    stacked: extra.stacked,
    left: [
      new MathExpression({
        expression: `SEARCH('${search}', '${statistic}', ${period.toSeconds()})`,
        usingMetrics: {},
        label: '',
        period,
        ...(region ? { searchRegion: region } : {}),
      }),
    ],
    ...(extra.max !== undefined ? { leftYAxis: { min: 0, max: extra.max } } : {}),
  });
}

/** The overview of every database: a fixed number of widgets (one heartbeat graph per Region that runs heartbeats). */
function overview(config: FailoverConfig): IWidget[] {
  const ns = METRICS.namespace;
  const regions = [...new Set([config.controlRegion, ...config.databases.map((db) => db.primary.region)])];
  const minute = Duration.minutes(1);
  return [
    new TextWidget({
      markdown: `## All ${config.databases.length} databases\n\nOne line per database (CloudWatch SEARCH over the ${ns} namespace)${config.databases.length > DETAILED_DATABASES ? `; the first ${DETAILED_DATABASES} have a section of their own below` : ''}.`,
      width: 24,
      height: 2,
    }),
    ...regions.map((region) =>
      searchGraph(
        `heartbeats written from ${region} (1 = wrote through the DNS name)`,
        `{${ns},Database,Site} MetricName="${METRICS.heartbeat}"`,
        'Minimum',
        minute,
        region,
        { max: 1 },
      ),
    ),
    searchGraph('verdicts, every database', `{${ns},Database,Verdict} MetricName="${METRICS.verdict}"`, 'Sum', Duration.minutes(5), undefined, {
      stacked: true,
    }),
    searchGraph('incidents, every database', `{${ns},Database} MetricName="${METRICS.incident}"`, 'Sum', Duration.minutes(5)),
    searchGraph('RTO (s), every database', `{${ns},Database} MetricName="${METRICS.rto}"`, 'Maximum', Duration.minutes(5)),
  ];
}

/** How far back the last drill is looked for: a quarter and some slack (a quarterly schedule always shows one). */
export const LAST_DRILL_WINDOW = '-P100D';

/**
 * The last drill of each database with a game day: its RTO, data at risk and objectives met (1/0),
 * the latest values published by record-incident under the database that asked for the drill.
 */
function lastDrills(config: FailoverConfig): IWidget[] {
  const withGameDay = config.databases.filter((db) => db.gameDay).slice(0, DETAILED_DATABASES);
  if (withGameDay.length === 0) return [];
  const day = Duration.days(1);
  const drill = (name: string, db: string, statistic: string, label: string) =>
    new Metric({ namespace: METRICS.namespace, metricName: name, dimensionsMap: { Database: db }, statistic, period: day, label });
  return [
    new TextWidget({
      markdown: `## Game days: the last drill (past 100 days)

RTO from the trigger to the first verified write; data at risk at the decision; objectives met = 1.`,
      width: 24,
      height: 2,
    }),
    ...withGameDay.map(
      (db) =>
        new SingleValueWidget({
          title: `${db.name}: last drill (on ${db.gameDay!.drillPair}; objectives RTO ${db.gameDay!.objectives.rtoSeconds} s, data ${db.gameDay!.objectives.rpoSeconds} s)`,
          width: 8,
          height: 4,
          start: LAST_DRILL_WINDOW,
          metrics: [
            drill(METRICS.drillRto, db.name, Stats.MAXIMUM, 'RTO (s)'),
            drill(METRICS.drillDataLoss, db.name, Stats.MAXIMUM, 'data at risk (s)'),
            drill(METRICS.drillObjectivesMet, db.name, Stats.MINIMUM, 'objectives met'),
          ],
        }),
    ),
  ];
}

export interface FailoverDashboardProps {
  readonly config: FailoverConfig;
}

/** The CloudWatch dashboard of the control Region. */
export class FailoverDashboard extends Construct {
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: FailoverDashboardProps) {
    super(scope, id);
    const { config } = props;
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: dashboardName(config.prefix) });
    this.dashboard.addWidgets(...overview(config));
    const drills = lastDrills(config);
    if (drills.length > 0) this.dashboard.addWidgets(...drills);
    for (const db of config.databases.slice(0, DETAILED_DATABASES)) {
      const where = `${db.primary.region} → ${db.standby.region} (${db.standby.readiness})`;
      this.dashboard.addWidgets(
        new TextWidget({ markdown: `## ${db.name} (${db.engine}): ${where}, writer record \`${db.dns.recordName}\``, width: 24, height: 1 }),
      );
      this.dashboard.addWidgets(
        new GraphWidget({
          title: `${db.name}: heartbeat (1 = wrote through the DNS name)`,
          width: 6,
          height: 6,
          left: [
            heartbeatMetric(db, 'in-region', db.primary.region).with({ label: `in-region (${db.primary.region})` }),
            heartbeatMetric(db, 'cross-region', config.controlRegion).with({ label: `cross-region (${config.controlRegion})` }),
          ],
          leftYAxis: { min: 0, max: 1 },
        }),
        lagWidget(db),
        new GraphWidget({
          title: `${db.name}: verdicts`,
          width: 4,
          height: 6,
          stacked: true,
          left: VERDICTS.map((v) => product(METRICS.verdict, db.name, Stats.SUM, { Verdict: v }).with({ label: v })),
        }),
        new GraphWidget({
          title: `${db.name}: incidents`,
          width: 4,
          height: 6,
          left: [product(METRICS.incident, db.name, Stats.SUM).with({ label: 'incidents' })],
        }),
        new GraphWidget({
          title: `${db.name}: RTO and data loss`,
          width: 4,
          height: 6,
          left: [
            product(METRICS.rto, db.name, Stats.MAXIMUM).with({ label: 'RTO (s)' }),
            product(METRICS.replicaLag, db.name, Stats.MAXIMUM).with({ label: 'replica lag at decision (s)' }),
          ],
        }),
      );
    }
  }
}
