/**
 * Shrinks a failing chaos scenario to a small one that still fails the same way, and saves it as a
 * scenario file that replays with `failover drill --scenario FILE --seed S`.
 *
 * Shrinking is greedy and judged by a {@link Judge} (the campaign's judge runs a drill; tests pass
 * a fake): drop events one at a time, keeping each drop after which the SAME invariant still
 * fails, until a whole pass drops nothing; then shorten `runFor` (bisecting between the last
 * event and the current horizon) while it still fails. The drill seed never changes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
    for (let i = 0; i < current.events.length && judgements < maxJudgements; ) {
      const candidate = { ...current, events: current.events.filter((_, j) => j !== i) };
      if (await stillFails(candidate)) {
        current = candidate;
        changed = true;
      } else {
        i++;
      }
    }
  }

  // 2. Shorten runFor: bisect between the last event (or the minimum) and the current horizon.
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
  const out = { name, description, config: file.config, runFor: file.runFor, events: file.events };
  writeFileSync(path, `${JSON.stringify(out, null, 2)}\n`);
  return path;
}
