/**
 * One fixed-seed chaos campaign (twin/chaos/campaign.ts): 100 random scenarios, configs drawn from
 * the whole config space (game days included: drill pairs, drills by hand and on a schedule), on 2
 * worker processes. Every run is judged by the safety invariants AND
 * the liveness checks (docs/scenarios.md "Liveness"): no drill may throw, no invariant may break, no
 * liveness check may fail. A failure lists each run with its config, drill seed and what broke
 * (safety and liveness apart); reproduce one with `npx tsx bin/failover.ts chaos --runs 100 --seed 1`
 * (which shrinks and saves it under chaos-out/).
 */
import { describe, expect, it } from 'vitest';
import { runCampaign, type CampaignSummary, type RunRecord } from '../../../twin/chaos/campaign.js';
import { LIVENESS_NAMES } from '../../../twin/report/types.js';

const RUNS = 100;
const SEED = 1;

const who = (r: RunRecord): string => `run ${r.index} (config ${r.configId}${r.verdict.config ? `: ${r.verdict.config}` : ''}; drill seed ${r.drillSeed})`;
const threw = (r: RunRecord): string => `${who(r)}: threw ${(r.verdict.threw ?? '').split('\n')[0]}`;
const safety = (r: RunRecord): string => `${who(r)}: ${r.verdict.violations.map((v) => `${v.name}: ${v.detail}`).join('; ')}`;
const liveness = (r: RunRecord): string => `${who(r)}: ${(r.verdict.liveness ?? []).map((v) => `${v.name}: ${v.detail}`).join('; ')}`;

describe('chaos campaign', () => {
  let summary: CampaignSummary;

  it(`runs ${RUNS} random scenarios (seed ${SEED}), judging each by the invariants and the liveness checks`, { timeout: 1_800_000 }, async () => {
    const started = performance.now();
    summary = await runCampaign({ runs: RUNS, seed: SEED, workers: 2, shrink: false });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `chaos campaign: ${RUNS} runs in ${seconds.toFixed(1)} s (synthesis ${(summary.phasesMs.synth / 1000).toFixed(1)} s), outcomes ${JSON.stringify(summary.outcomes)}, escalations ${summary.escalations.length}`,
    );
    expect(summary.runs).toBe(RUNS);
    expect(Object.values(summary.outcomes).reduce((a, b) => a + b, 0)).toBe(RUNS);
    // Not a vacuous campaign: runs failed over and stood down, and every run that ran was judged on all three liveness checks.
    expect(summary.outcomes['failed-over'] ?? 0).toBeGreaterThan(0);
    expect(summary.outcomes['no-failover'] ?? 0).toBeGreaterThan(0);
    for (const r of summary.records.filter((x) => !x.verdict.threw)) expect(r.verdict.livenessChecked, who(r)).toEqual([...LIVENESS_NAMES]);
    // Game days are part of the config space: configs with a drill pair ran, and drills ran in them.
    const gameDays = new Set(summary.palette.filter((p) => / game day on /.test(p.label)).map((p) => p.id));
    expect(gameDays.size).toBeGreaterThan(0);
    expect(summary.records.filter((r) => gameDays.has(r.configId)).length).toBeGreaterThan(0);
    expect(summary.records.filter((r) => (r.verdict.drills?.runs ?? 0) > 0).length).toBeGreaterThan(0);
  });

  it('no drill threw', () => {
    expect(summary.crashes.map(threw)).toEqual([]);
  });

  it('no safety invariant broke', () => {
    expect(summary.violatingRuns.map(safety)).toEqual([]);
  });

  it('every liveness check held', () => {
    expect(summary.livenessViolatingRuns.map(liveness)).toEqual([]);
  });

  it('every escalation named a cause the world confirms', () => {
    expect(
      summary.escalations
        .filter((x) => !x.cause || !x.evidence)
        .map((x) => `run ${x.index} (config ${x.configId}) ${x.stateMachine} at t=${x.t}s: ${x.cause || 'no cause named'}`),
    ).toEqual([]);
  });
});
