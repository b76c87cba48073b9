/**
 * Warnings: settings that are legal but risky. They never stop a deploy; the CLI prints them and
 * the stacks add them as synth-time annotations.
 */
import type { DatabaseConfig, FailoverConfig } from '../../lambdas/shared/config-schema.js';
import type { ConfigProblem } from './problems.js';
import { strictUnseenFloorSeconds } from '../../lambdas/check-data-loss-budget/core.js';
import { HEARTBEAT_TIMEOUT_SECONDS } from '../../lambdas/heartbeat/core.js';

/** Longest record TTL that still lets clients follow a failover within a few minutes. */
export const MAX_QUICK_TTL_SECONDS = 300;

type DatabaseWarning = (db: DatabaseConfig, path: string) => ConfigProblem | undefined;

const noWitness: DatabaseWarning = (db, path) => {
  const sites = new Set([db.primary.region, db.standby.region]);
  if (db.detection.vantagePoints.some((vp) => !sites.has(vp.region))) return undefined;
  return {
    path: `${path}.detection.vantagePoints`,
    message: `should include a witness outside the primary (${db.primary.region}) and standby (${db.standby.region}) Regions: without one, a network partition between those two Regions looks like a dead primary to the standby side`,
    value: [...new Set(db.detection.vantagePoints.map((vp) => vp.region))],
  };
};

const quorumOfOne: DatabaseWarning = (db, path) =>
  db.detection.quorum !== 1
    ? undefined
    : {
        path: `${path}.detection.quorum`,
        message: 'should be at least 2: with 1, a single vantage point (or its own network trouble) can confirm the primary is down',
        value: 1,
      };

const singleRound: DatabaseWarning = (db, path) =>
  db.detection.probeRounds !== 1
    ? undefined
    : {
        path: `${path}.detection.probeRounds`,
        message: 'should be at least 2: with 1, one transient blip seen by a quorum of probes starts a failover',
        value: 1,
      };

const zeroBudgetWithReplica: DatabaseWarning = (db, path) =>
  db.failover.rpoBudgetSeconds !== 0 || db.standby.readiness === 'cold'
    ? undefined
    : {
        path: `${path}.failover.rpoBudgetSeconds`,
        message: `should be above 0 with a replica standby (readiness ${JSON.stringify(db.standby.readiness)}): asynchronous replication always lags a little, so every failover will ask a human to accept data loss`,
        value: 0,
      };

const strictBudgetBelowFloor: DatabaseWarning = (db, path) => {
  if (db.failover.rpoEstimate !== 'strict' || db.standby.readiness === 'cold' || db.failover.mode !== 'automatic') return undefined;
  const floor = strictUnseenFloorSeconds(db.detection.heartbeat.periodSeconds, HEARTBEAT_TIMEOUT_SECONDS);
  return db.failover.rpoBudgetSeconds >= floor
    ? undefined
    : {
        path: `${path}.failover.rpoBudgetSeconds`,
        message:
          `should be at least ${floor} s with rpoEstimate "strict": the bound adds what the last sample cannot see ` +
          `(its 60 s metric period, a ${db.detection.heartbeat.periodSeconds} s heartbeat period and the ${HEARTBEAT_TIMEOUT_SECONDS} s heartbeat timeout), so nearly every failover will ask a human (only a failure RDS reports as an event at once can be judged sooner)`,
        value: db.failover.rpoBudgetSeconds,
      };
};

const automaticWithoutFence: DatabaseWarning = (db, path) =>
  db.failover.mode !== 'automatic' || db.failover.fencing !== 'best-effort'
    ? undefined
    : {
        path: `${path}.failover.fencing`,
        message:
          'should be "required" when failover.mode is "automatic": an automatic failover that goes on without a confirmed fence risks split brain (two writable primaries)',
        value: 'best-effort',
      };

const slowTtl: DatabaseWarning = (db, path) =>
  db.dns.ttlSeconds <= MAX_QUICK_TTL_SECONDS
    ? undefined
    : {
        path: `${path}.dns.ttlSeconds`,
        message: `should be <= ${MAX_QUICK_TTL_SECONDS}: clients keep the old writer's address for up to the TTL after the switch, which adds to the RTO`,
        value: db.dns.ttlSeconds,
      };

const cooldownShorterThanStability: DatabaseWarning = (db, path) =>
  db.failback.policy === 'never' || db.failover.cooldownMinutes >= db.failback.stabilityMinutes
    ? undefined
    : {
        path: `${path}.failover.cooldownMinutes`,
        message: `should be >= failback.stabilityMinutes (${db.failback.stabilityMinutes}): a shorter cooldown lets an automatic failover follow a failback sooner than the failback was allowed to follow the failover (flapping)`,
        value: db.failover.cooldownMinutes,
      };

const failbackCannotFence: DatabaseWarning = (db, path) =>
  db.failback.policy === 'never' || db.engine.startsWith('aurora-') || db.failover.fenceMethod !== 'revoke-ingress' || db.standby.securityGroupIds?.length
    ? undefined
    : {
        path: `${path}.standby.securityGroupIds`,
        message: `should list the standby's dedicated security groups when failover.fenceMethod is "revoke-ingress" and failback.policy is ${JSON.stringify(db.failback.policy)}: after a failover the standby is the primary, and the planned switchover back fences it first; with no groups to lock the fence is never confirmed and the switchover is called off (the failback then only rebuilds a standby)`,
      };

const DATABASE_WARNINGS: readonly DatabaseWarning[] = [
  failbackCannotFence,
  noWitness,
  quorumOfOne,
  singleRound,
  zeroBudgetWithReplica,
  strictBudgetBelowFloor,
  automaticWithoutFence,
  slowTtl,
  cooldownShorterThanStability,
];

/** Every warning for a valid config, in database order. */
export function configWarnings(config: FailoverConfig): ConfigProblem[] {
  return config.databases.flatMap((db, index) =>
    DATABASE_WARNINGS.map((warn) => warn(db, `databases[${index}]`)).filter((w): w is ConfigProblem => w !== undefined),
  );
}
