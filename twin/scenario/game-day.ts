/**
 * The default game day (docs/scenarios.md "Command": no `--scenario`): the primary crashes, the
 * workflow fails over on its own, the original Region recovers, the failback is approved and the
 * original Region serves again. Shipped as scenarios/game-day.json for the example config; built
 * here for any config (`--config`), so its timings follow that config's settings.
 *
 * What the game day expects: `failed-back`, writer `primary` and 2 promotions; with failback policy
 * `never`: `failed-over`, writer `standby` and 1 promotion.
 *
 * How many promotions a failed-back game day expects (`expect.failovers`): **2**.
 * docs/scenarios.md defines `failovers` as "how many promotions happened", not "how many failover
 * runs". A failback ends with a planned switchover that promotes the rebuilt replica in the
 * original Region (PromoteReadReplica of the rebuilt instance, SwitchoverGlobalCluster on Aurora):
 * that is a promotion. The contract's own invariant `verified-before-promotion` ("every promotion
 * followed a confirmed-down verdict or a human approval") counts it the same way: the failback's
 * promotion is the one justified by the human approval. So the failover's promotion plus the
 * failback's switchover make 2, and a report's `failovers` must count both. (A run that only fails
 * over reports 1; policy `never` rebuilds a standby without promoting it, so it stays at 1.)
 */
import type { FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { validateScenario } from './load.js';
import type { Scenario, ScenarioEventInput, ScenarioFileInput } from './schema.js';

/** Label used as the built-in game day's source in messages and reports. */
export const GAME_DAY_SOURCE = 'built-in game day';

/** When the primary crashes: late enough for heartbeats and alarms to have a healthy baseline. */
const CRASH_AT = 5 * 60;
/** When the original primary comes back. */
const RECOVER_AT = 30 * 60;
/** Allowance for rebuilding the original site as a cross-Region replica ("tens of minutes"). */
const REBUILD_ALLOWANCE = 90 * 60;
/** RTO objective of the automatic path (detect ~3 min, verify, fence, promote 1-2 min, DNS + TTL ~1.5 min), with margin. */
const AUTOMATIC_RTO_OBJECTIVE = 15 * 60;
const HOUR = 3600;

/**
 * The game day as a scenario file object (what scenarios/game-day.json holds for the example
 * config). `database` defaults to the config's first database.
 */
export function gameDayFile(config: FailoverConfig, database?: string): ScenarioFileInput {
  const db = database === undefined ? config.databases[0] : config.databases.find((d) => d.name === database);
  if (!db) throw new Error(`game day: no database "${database}" in the config`);
  const events: ScenarioEventInput[] = [{ at: CRASH_AT, fault: 'primary-crash' }];

  // Manual failover mode: an operator approves once the request is (estimated to be) pending.
  let approvalDelay = 0;
  if (db.failover.mode === 'manual') {
    const hb = db.detection.heartbeat;
    const detect = hb.periodSeconds * hb.evaluationPeriods + 60;
    const verify = db.detection.probeRounds * (db.detection.probeIntervalSeconds + 5) + 60;
    approvalDelay = detect + verify + Math.min(5 * 60, (db.failover.approvalTimeoutMinutes * 60) / 2);
    events.push({ at: CRASH_AT + approvalDelay, operator: 'approve', step: 'failover' });
  }

  events.push({ at: RECOVER_AT, fault: 'primary-recover' });

  const policy = db.failback.policy;
  let lastAt = RECOVER_AT;
  if (policy === 'manual-approval') {
    // Offered after the rebuild and `stabilityMinutes` of health; answered well after that.
    lastAt = RECOVER_AT + db.failback.stabilityMinutes * 60 + REBUILD_ALLOWANCE;
    events.push({ at: lastAt, operator: 'approve', step: 'failback' });
  } else if (policy === 'automatic') {
    lastAt = RECOVER_AT + db.failback.stabilityMinutes * 60 + REBUILD_ALLOWANCE;
  }
  const failsBack = policy !== 'never';

  return {
    name: 'game-day',
    description: failsBack
      ? 'Primary crash -> automatic failover -> the original Region recovers -> failback approved -> failed back. ' +
        'failovers counts promotions: the failover promotes the standby and the failback switchover promotes ' +
        'the rebuilt original, so a failed-back game day has 2.'
      : `Primary crash -> automatic failover -> the original Region recovers; failback policy "never" keeps the new primary (1 promotion).`,
    // Named only when needed, so the file form works with any single-database config (`--config`).
    ...(config.databases.length > 1 || database !== undefined ? { database: db.name } : {}),
    runFor: Math.max(4 * HOUR, lastAt + HOUR),
    events,
    expect: {
      outcome: failsBack ? 'failed-back' : 'failed-over',
      writer: failsBack ? 'primary' : 'standby',
      failovers: failsBack ? 2 : 1,
      maxRtoSeconds: AUTOMATIC_RTO_OBJECTIVE + approvalDelay,
      maxDataLossSeconds: db.failover.rpoBudgetSeconds,
    },
  };
}

export interface GameDayOptions {
  /** Database to drill. Default: the config's first database. */
  database?: string;
  /** Where `config` came from, recorded as the scenario's `configSource`. Default: `built-in game day`. */
  configSource?: string;
}

/** The default game day for `config`, validated and normalized like any scenario file. */
export function defaultGameDay(config: FailoverConfig, options: GameDayOptions = {}): Scenario {
  return validateScenario(gameDayFile(config, options.database), {
    source: GAME_DAY_SOURCE,
    defaultName: 'game-day',
    fallbackConfig: () => ({ config, source: options.configSource ?? GAME_DAY_SOURCE, warnings: [] }),
  });
}
