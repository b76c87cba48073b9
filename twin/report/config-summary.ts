/** The `config` extension of a report: the settings a reader needs to interpret the run. */
import type { FailoverConfig } from '../../lambdas/shared/config-schema.js';
import type { ConfigSummary } from './types.js';

/**
 * Summarizes `database` of `config` for a report. Throws when the config has no such database
 * (a validated scenario always names one).
 */
export function summarizeConfig(config: FailoverConfig, database: string, source?: string): ConfigSummary {
  const db = config.databases.find((d) => d.name === database);
  if (!db) throw new Error(`no database "${database}" in the config`);
  return {
    database: db.name,
    engine: db.engine,
    controlRegion: config.controlRegion,
    primary: { region: db.primary.region, id: db.primary.instanceId ?? db.primary.clusterId ?? null },
    standby: { region: db.standby.region, id: db.standby.instanceId ?? db.standby.clusterId ?? null, readiness: db.standby.readiness },
    failoverMode: db.failover.mode,
    rpoBudgetSeconds: db.failover.rpoBudgetSeconds,
    rpoEstimate: db.failover.rpoEstimate,
    fencing: db.failover.fencing,
    failbackPolicy: db.failback.policy,
    vantagePoints: db.detection.vantagePoints.map((v) => `${v.name} (${v.region})`),
    quorum: db.detection.quorum,
    ...(source === undefined ? {} : { source }),
  };
}
