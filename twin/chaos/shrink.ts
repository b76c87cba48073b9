/**
 * Shrinks a failing chaos scenario to a small one that still fails the same way, and saves it as a
 * scenario file that replays with `failover drill --scenario FILE --seed S`.
 *
 * Shrinking is greedy and judged by a {@link Judge} (the campaign's judge runs a drill; tests pass
 * a fake): drop events one at a time, keeping each drop after which the SAME invariant still
 * fails, until a whole pass drops nothing; then shrink the config (drop the databases the
 * scenario does not act on, vantage points, optional settings), keeping each change after which
 * the config is still valid (`validateConfig`) and the same check still fails; then shorten
 * `runFor` (bisecting between the last event and the current horizon) while it still fails. The
 * drill seed never changes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FailoverConfigInput } from '../../lambdas/shared/config-schema.js';
import { validateConfig } from '../../lib/config/index.js';
import type { ChaosScenarioFile } from './generate.js';

/** What a scenario fails: the names of the invariants that broke (or `drill-threw`). */
export type Judge = (file: ChaosScenarioFile) => Promise<readonly string[]>;

export interface ShrinkOptions {
  /** Most judge calls (each one is a drill). @default 60 */
  maxJudgements?: number;
  /** `runFor` is not shortened below this, seconds. @default 600 */
  minRunForSeconds?: number;
  /** `runFor` bisection stops when the bounds are closer than this, seconds. @default 300 */
  runForResolutionSeconds?: number;
}

export interface ShrinkResult {
  file: ChaosScenarioFile;
  /** Judge calls made. */
  judgements: number;
  /** Events dropped, runFor before and after. */
  droppedEvents: number;
  runForBefore: number;
}

/**
 * Shrinks `file`, which fails `target`, to a smaller scenario that still fails `target`.
 * The input is not changed. The judge is not asked about `file` itself (the caller knows it fails).
 */
export async function shrinkScenario(file: ChaosScenarioFile, target: string, judge: Judge, options: ShrinkOptions = {}): Promise<ShrinkResult> {
  const maxJudgements = options.maxJudgements ?? 60;
  const minRunFor = options.minRunForSeconds ?? 600;
  const resolution = options.runForResolutionSeconds ?? 300;
  let judgements = 0;
  const stillFails = async (candidate: ChaosScenarioFile): Promise<boolean> => {
    judgements++;
    return (await judge(candidate)).includes(target);
  };
  let current: ChaosScenarioFile = structuredClone(file);

  // 1. Drop events one at a time until a whole pass drops nothing.
  let changed = true;
  while (changed && judgements < maxJudgements) {
    changed = false;
    for (let i = 0; i < current.events.length && judgements < maxJudgements;) {
      const candidate = { ...current, events: current.events.filter((_, j) => j !== i) };
      if (await stillFails(candidate)) {
        current = candidate;
        changed = true;
      } else {
        i++;
      }
    }
  }

  // 2. Shrink the config, one change at a time, until a whole pass changes nothing.
  changed = true;
  while (changed && judgements < maxJudgements) {
    changed = false;
    for (const candidate of configShrinks(current)) {
      if (judgements >= maxJudgements) break;
      if (await stillFails(candidate)) {
        current = candidate;
        changed = true;
        break; // the list of changes is recomputed from the smaller config
      }
    }
  }

  // 3. Shorten runFor: bisect between the last event (or the minimum) and the current horizon.
  const lastAt = Math.max(0, ...current.events.map((e) => Number(e.at)));
  let lo = Math.max(minRunFor, Math.ceil(lastAt / 60) * 60);
  let hi = current.runFor;
  if (lo < hi && judgements < maxJudgements && (await stillFails({ ...current, runFor: lo }))) {
    hi = lo;
  } else {
    while (hi - lo > resolution && judgements < maxJudgements) {
      const mid = Math.round((lo + hi) / 2 / 60) * 60;
      if (mid <= lo || mid >= hi) break;
      if (await stillFails({ ...current, runFor: mid })) hi = mid;
      else lo = mid;
    }
  }
  current = { ...current, runFor: hi };
  return { file: current, judgements, droppedEvents: file.events.length - current.events.length, runForBefore: file.runFor };
}

type Database = FailoverConfigInput['databases'][number];

/**
 * Smaller configs than `file`'s, each one change away and each valid: without a database the
 * scenario does not act on, without one vantage point (the quorum lowered to fit), without an
 * optional setting (credentials' replicas, traffic, heartbeat, the failback's optional limits, a
 * game day no `request-drill` event needs and its optional settings, a drill target no game day names).
 */
export function configShrinks(file: ChaosScenarioFile): ChaosScenarioFile[] {
  const config = file.config;
  const target = file.database ?? config.databases[0]!.name;
  const out: ChaosScenarioFile[] = [];
  const withDb = (i: number, change: (d: Database) => Database | undefined): void => {
    const db = structuredClone(config.databases[i]!);
    const next = change(db);
    if (!next) return;
    const databases = config.databases.map((d, j) => (j === i ? next : d));
    out.push({ ...file, config: { ...config, databases } });
  };
  // Databases the scenario does not act on.
  config.databases.forEach((d, i) => {
    if (d.name === target || config.databases.length < 2) return;
    const databases = config.databases.filter((_, j) => j !== i);
    const { database: _unused, ...rest } = file;
    out.push(databases.length > 1 ? { ...file, config: { ...config, databases } } : { ...rest, config: { ...config, databases } });
  });
  config.databases.forEach((d, i) => {
    // One vantage point less (not one a scenario event names), the quorum lowered to fit.
    const named = new Set(file.events.flatMap((e) => ('from' in e && Array.isArray(e.from) ? e.from : [])));
    d.detection.vantagePoints.forEach((v, k) => {
      if (named.has(v.name)) return;
      withDb(i, (db) => {
        db.detection.vantagePoints = db.detection.vantagePoints.filter((_, j) => j !== k);
        const total = db.detection.vantagePoints.length + (db.detection.includeControlPlane === false ? 0 : 1);
        db.detection.quorum = Math.min(db.detection.quorum, total);
        return db;
      });
    });
    if (d.credentials?.secretReplicaRegions) withDb(i, (db) => ({ ...db, credentials: { ...db.credentials!, secretReplicaRegions: undefined } }));
    if (d.traffic?.alarmNames) withDb(i, (db) => ({ ...db, traffic: { ...db.traffic!, alarmNames: undefined } }));
    if (d.traffic) withDb(i, (db) => ({ ...db, traffic: undefined }));
    if (d.detection.heartbeat) withDb(i, (db) => ({ ...db, detection: { ...db.detection, heartbeat: undefined } }));
    for (const key of ['maxWaitHours', 'maxLagSeconds', 'rebuildTimeoutMinutes'] as const) {
      if (d.failback?.[key] !== undefined) withDb(i, (db) => ({ ...db, failback: { ...db.failback, [key]: undefined } }));
    }
    // The game day (then its drill pair, no longer named, can go too), or its optional settings.
    if (d.gameDay && !file.events.some((e) => 'operator' in e && e.operator === 'request-drill')) withDb(i, (db) => ({ ...db, gameDay: undefined }));
    for (const key of ['schedule', 'objectives', 'scheduledFault'] as const) {
      if (d.gameDay?.[key] !== undefined) withDb(i, (db) => ({ ...db, gameDay: { ...db.gameDay!, [key]: undefined } }));
    }
    if (d.drillTarget && !config.databases.some((x) => x.gameDay?.drillPair === d.name)) withDb(i, (db) => ({ ...db, drillTarget: undefined }));
  });
  // Keep only what the product accepts; `undefined` keys are dropped as JSON drops them.
  return out
    .map((c) => JSON.parse(JSON.stringify(c)) as ChaosScenarioFile)
    .filter((c) => {
      try {
        validateConfig(c.config, 'shrink');
        return true;
      } catch {
        return false;
      }
    });
}

export interface SaveOptions {
  /** Directory of saved files. @default chaos-out */
  outDir?: string;
  /** What the file fails (an invariant name, or `drill-threw`). */
  invariant: string;
  campaignSeed: number;
  /** Run index in the campaign. */
  index: number;
  /** The seed to replay it with. */
  drillSeed: number;
  /** Extra description (what was found). */
  note?: string;
}

/** File name of a saved finding: `<invariant>-<seed>-<n>.json`. */
export const findingFileName = (invariant: string, campaignSeed: number, index: number): string => `${invariant}-${campaignSeed}-${index}.json`;

/**
 * Writes a (shrunk) failing scenario as a replayable scenario file (config embedded, the drill
 * seed in its description) and returns its path.
 */
export function saveFinding(file: ChaosScenarioFile, options: SaveOptions): string {
  const dir = options.outDir ?? 'chaos-out';
  mkdirSync(dir, { recursive: true });
  const path = join(dir, findingFileName(options.invariant, options.campaignSeed, options.index));
  const name = path.replace(/^.*[\\/]/, '').replace(/\.json$/, '');
  const description =
    `Chaos campaign seed ${options.campaignSeed}, run ${options.index}: fails ${options.invariant}. ` +
    `Replay: failover drill --scenario ${path} --seed ${options.drillSeed}` +
    (options.note ? `. ${options.note}` : '');
  const out = { name, description, config: file.config, ...(file.database ? { database: file.database } : {}), runFor: file.runFor, events: file.events };
  writeFileSync(path, `${JSON.stringify(out, null, 2)}\n`);
  return path;
}
