/**
 * The scenario library (scenarios/*.json), run through the drill with their expectations. The
 * expectations are written from the contract (what SHOULD happen); every file must pass (exit 0),
 * except the ones listed in KNOWN_PRODUCT_GAPS: drills that found a product bug not fixed yet.
 * Those must fail exactly as described, so the list cannot go stale: when the product is fixed
 * the test says so, and the entry must be removed.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runDrill } from '../../../twin/drill/run.js';
import { exitStatus } from '../../../twin/report/judge.js';
import { LIVENESS_NAMES, type Report } from '../../../twin/report/types.js';
import { FAULTS, OPERATOR_ACTIONS, isFaultEvent, loadScenarioFile, type Scenario } from '../../../twin/scenario/index.js';

const DIR = fileURLToPath(new URL('../../../scenarios/', import.meta.url));
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const scenarios: Array<[string, Scenario]> = files.map((f) => [f, loadScenarioFile(join(DIR, f))]);

/**
 * A config of another topology (other Regions, control Region, database name, instance ids,
 * vantage point names and order): every library scenario that does not say it needs its own
 * config must run on it (docs/scenarios.md "Topology").
 */
const OTHER_TOPOLOGY = fileURLToPath(new URL('../../fixtures/configs/other-topology.json', import.meta.url));
const portable = scenarios.filter(([, s]) => s.needsOwnConfig === undefined);

/**
 * Drills that disagree with the contract because of a product bug (see the report of issue 3):
 * broken invariants, missed expectations and liveness checks that did not hold (`dead`).
 */
const KNOWN_PRODUCT_GAPS: Record<string, { why: string; broken: string[]; missed: string[]; dead: string[] }> = {};

const failures = (r: Report) => ({
  broken: r.invariants.filter((i) => !i.held).map((i) => i.name),
  missed: r.expectations.filter((e) => !e.held).map((e) => e.name),
  dead: (r.liveness ?? []).filter((l) => !l.held).map((l) => l.name),
});

/** Every event kind the library uses (an operator's answer with its step: `approve failback`). */
const used = new Set(
  scenarios.flatMap(([, s]) =>
    s.events.map((e) =>
      isFaultEvent(e) ? e.fault : e.operator === 'start-failover' || e.operator === 'request-drill' ? e.operator : `${e.operator} ${e.step}`,
    ),
  ),
);

/** A clean drill: every invariant and liveness check held, every expectation met, exit 0. */
function expectClean(report: Report): void {
  expect(
    failures(report),
    JSON.stringify({
      outcome: report.outcome,
      invariants: report.invariants.filter((i) => !i.held),
      expectations: report.expectations.filter((e) => !e.held),
      liveness: (report.liveness ?? []).filter((l) => !l.held),
    }),
  ).toEqual({ broken: [], missed: [], dead: [] });
  expect(exitStatus(report)).toBe(0);
}

describe('the scenario library', () => {
  it.each([
    'crash-hot',
    'crash-warm',
    'crash-cold',
    'crash-aurora-global',
    'partition-one-vantage',
    'partition-quorum',
    'region-outage',
    'lag-over-budget-approved',
    'lag-over-budget-rejected',
    'alarm-flap',
    'duplicate-alarms',
    'throttling-and-transient-errors',
    'lambda-error-once',
    'lambda-error-for-good',
    'manual-mode',
    'approval-timeout',
    // issue 4: failback
    'game-day',
    'failback-rejected',
    'failback-approval-timeout',
    'failback-relapse',
    'failback-automatic',
    'failback-never',
    'drain-rolled-back',
    'aurora-switchover',
    // issue 9: data at risk, measured as data
    'region-outage-postgres-automatic',
    'failback-quiet-postgres',
  ])('has the scenario the issues ask for: %s', (name) => {
    expect(files).toContain(`${name}.json`);
  });

  // Every event of docs/scenarios.md at least once (each operator answer for both steps where the contract allows it).
  it.each([
    ...FAULTS.map((f) => [f, f]),
    ...OPERATOR_ACTIONS.map((a) => [a, a === 'start-failover' || a === 'request-drill' ? a : `${a} `]),
    ...['approve failback', 'reject failback', 'reject failover'].map((u) => [u, u]),
  ])('uses the event %s', (_event, use) => {
    expect(
      [...used].some((u) => u === use || (use.endsWith(' ') && u.startsWith(use))),
      `no scenario uses ${use.trim()}`,
    ).toBe(true);
  });

  it('has at least 20 scenarios that run on any topology', () => {
    expect(portable.length).toBeGreaterThanOrEqual(20);
  });

  it.each(scenarios)('%s says why it needs a config of its own if it has one, and only then', (file, s) => {
    const own = s.configSource.endsWith('#config');
    expect(s.needsOwnConfig !== undefined, `${file}: ${own ? 'has a "config" but no needsOwnConfig' : 'has needsOwnConfig'}`).toBe(own);
  });

  it.each(portable)(
    `%s: runs on a config of another topology (${OTHER_TOPOLOGY.split('/').pop()}): invariants, liveness and expectations hold`,
    async (file) => {
      const scenario = loadScenarioFile(join(DIR, file), { configOverride: OTHER_TOPOLOGY });
      expect(scenario.configSource).toBe(OTHER_TOPOLOGY);
      expect(scenario.database).toBe('ledger');
      expectClean(await runDrill(scenario, { seed: 1 }));
    },
  );

  const library = scenarios.map(([file, scenario]) => {
    const gap = KNOWN_PRODUCT_GAPS[file];
    const title = gap
      ? `${file}: fails as the known product gap says (${gap.why})`
      : `${file}: every invariant and liveness check holds and every expectation is met`;
    return [title, file, scenario] as const;
  });
  it.each(library)('%s', async (_title, file, scenario) => {
    const gap = KNOWN_PRODUCT_GAPS[file];
    const report = await runDrill(scenario, { seed: 1 });
    if (gap) {
      expect(failures(report)).toEqual({ broken: gap.broken, missed: gap.missed, dead: gap.dead });
      expect(exitStatus(report)).toBe(1);
    } else {
      expectClean(report);
      expect(report.liveness?.map((l) => l.name)).toEqual([...LIVENESS_NAMES]);
    }
  });
});
