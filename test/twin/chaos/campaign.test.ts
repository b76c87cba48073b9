/**
 * One fixed-seed chaos campaign (twin/chaos/campaign.ts): 100 random scenarios on 2 worker
 * processes, every invariant must hold in every run and no drill may throw. A failure lists each
 * run with its config, drill seed and what broke; reproduce one with
 * `npx tsx bin/failover.ts chaos --runs 100 --seed 1` (which shrinks and saves it under chaos-out/).
 */
import { describe, expect, it } from 'vitest';
import { runCampaign, type RunRecord } from '../../../twin/chaos/campaign.js';

const RUNS = 100;
const SEED = 1;

const describeRun = (r: RunRecord): string =>
  `run ${r.index} (config ${r.configId}, drill seed ${r.drillSeed}): ${r.verdict.threw ? `threw ${r.verdict.threw.split('\n')[0]}` : r.verdict.violations.map((v) => `${v.name}: ${v.detail}`).join('; ')}`;

describe('chaos campaign', () => {
  it(`runs ${RUNS} random scenarios (seed ${SEED}) with no invariant violation and no crash`, { timeout: 900_000 }, async () => {
    const started = performance.now();
    const summary = await runCampaign({ runs: RUNS, seed: SEED, workers: 2, shrink: false });
    const seconds = (performance.now() - started) / 1000;
    console.log(`chaos campaign: ${RUNS} runs in ${seconds.toFixed(1)} s (synthesis ${(summary.phasesMs.synth / 1000).toFixed(1)} s), outcomes ${JSON.stringify(summary.outcomes)}`);
    expect(summary.runs).toBe(RUNS);
    expect(Object.values(summary.outcomes).reduce((a, b) => a + b, 0)).toBe(RUNS);
    // Not a vacuous campaign: runs failed over, escalated, and stood down.
    expect(summary.outcomes['failed-over'] ?? 0).toBeGreaterThan(0);
    expect(summary.outcomes['no-failover'] ?? 0).toBeGreaterThan(0);
    expect(summary.crashes.map(describeRun)).toEqual([]);
    expect(summary.violatingRuns.map(describeRun)).toEqual([]);
  });
});
