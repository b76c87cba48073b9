/**
 * The operators' dashboard: per database, both heartbeats, the standby's replica lag against the
 * RPO budget, and the verdicts, incidents and RTO the workflow records.
 */
import { Duration } from 'aws-cdk-lib';
import { Dashboard, GraphWidget, HorizontalAnnotation, Metric, Stats, TextWidget, type IWidget } from 'aws-cdk-lib/aws-cloudwatch';
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
    for (const db of config.databases) {
      const where = `${db.primary.region} → ${db.standby.region} (${db.standby.readiness})`;
      this.dashboard.addWidgets(new TextWidget({ markdown: `## ${db.name} (${db.engine}): ${where}, writer record \`${db.dns.recordName}\``, width: 24, height: 1 }));
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
        new GraphWidget({ title: `${db.name}: incidents`, width: 4, height: 6, left: [product(METRICS.incident, db.name, Stats.SUM).with({ label: 'incidents' })] }),
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
