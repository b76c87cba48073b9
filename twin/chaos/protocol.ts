/**
 * Messages between the chaos campaign (twin/chaos/pool.ts) and its worker processes
 * (twin/chaos/worker.ts), and the verdict of one drill as the campaign keeps it.
 */
import type { FailoverConfigInput } from '../../lambdas/shared/config-schema.js';
import type { ChaosScenarioFile } from './generate.js';

/** What the campaign keeps of one drill: no timeline, only what it judges. */
export interface DrillVerdict {
  outcome?: string;
  failovers?: number;
  /** Invariants that did not hold (safety). */
  violations: Array<{ name: string; detail: string }>;
  /** Liveness checks that did not hold (absent in a drill that threw). */
  liveness?: Array<{ name: string; detail: string }>;
  /** Liveness checks the report judged (all three in every report a drill makes). */
  livenessChecked?: string[];
  /** Every escalation of the run, with the cause it named and what the world shows for it. */
  escalations?: Array<{ t: number; stateMachine: string; cause: string; evidence: string }>;
  /** Drill runs (game days) in the run, how many of them stood down (the lease held, or the cooldown) and how many failed over. */
  drills?: { runs: number; stoodDown: number; failedOver?: number };
  /** Config in brief (engine, readiness, fencing, ...), to list a failing run. */
  config?: string;
  /** Wall time of the drill in the worker (validation included). */
  wallMs: number;
  /** Set when the drill threw (a twin or app crash): the error's stack. */
  threw?: string;
}

export type WorkerRequest =
  | { type: 'drill'; id: number; file: ChaosScenarioFile; seed: number }
  /** Synthesize (or load from the cache) the app of a config, so the runs after it hit the cache. */
  | { type: 'synth'; id: number; config: FailoverConfigInput };

export type WorkerResponse = { type: 'drill'; id: number; verdict: DrillVerdict } | { type: 'synth'; id: number; cache: string; ms: number; error?: string };

/** The failing "invariant" name given to a run whose drill threw. */
export const CRASH = 'drill-threw';

/** What a verdict fails: its broken invariants' and liveness checks' names, plus {@link CRASH} when the drill threw. */
export const failures = (verdict: DrillVerdict): string[] => [
  ...verdict.violations.map((v) => v.name),
  ...(verdict.liveness ?? []).map((v) => v.name),
  ...(verdict.threw ? [CRASH] : []),
];
