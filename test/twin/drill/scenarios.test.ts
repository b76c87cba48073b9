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
const KNOWN_PRODUCT_GAPS: Record<string, { why: string; broken: string[]; missed: string[]; dead: string[] }> = {
};

const failures = (r: Report) => ({
  broken: r.invariants.filter((i) => !i.held).map((i) => i.name),
  missed: r.expectations.filter((e) => !e.held).map((e) => e.name),
  dead: (r.liveness ?? []).filter((l) => !l.held).map((l) => l.name),
});

describe('the scenario library', () => {
  it('has the scenarios the issue asks for', () => {
    for (const name of [
      'crash-hot', 'crash-warm', 'crash-cold', 'crash-aurora-global', 'partition-one-vantage', 'partition-quorum', 'region-outage',
      'lag-over-budget-approved', 'lag-over-budget-rejected', 'alarm-flap', 'duplicate-alarms', 'throttling-and-transient-errors',
      'lambda-error-once', 'lambda-error-for-good', 'manual-mode', 'approval-timeout',
      // issue 4: failback
      'game-day', 'failback-rejected', 'failback-approval-timeout', 'failback-relapse', 'failback-automatic', 'failback-never',
      'drain-rolled-back', 'aurora-switchover',
      // issue 9: data at risk, measured as data
      'region-outage-postgres-automatic', 'failback-quiet-postgres',
    ]) {
      expect(files).toContain(`${name}.json`);
    }
  });

  it('uses every event of docs/scenarios.md at least once (each operator answer for both steps where the contract allows it)', () => {
    const used = new Set<string>();
    for (const [, s] of scenarios) {
      for (const e of s.events) used.add(isFaultEvent(e) ? e.fault : e.operator === 'start-failover' || e.operator === 'request-drill' ? e.operator : `${e.operator} ${e.step}`);
    }
    for (const f of FAULTS) expect(used, f).toContain(f);
    for (const a of OPERATOR_ACTIONS) {
      if (a === 'start-failover' || a === 'request-drill') expect(used).toContain(a);
      else expect([...used].some((u) => u.startsWith(`${a} `)), a).toBe(true);
    }
    expect(used).toContain('approve failback');
    expect(used).toContain('reject failback');
    expect(used).toContain('reject failover');
  });

  it('says of every scenario with a config of its own why it needs it, and of no other', () => {
    for (const [file, s] of scenarios) {
      const own = s.configSource.endsWith('#config');
      expect(s.needsOwnConfig !== undefined, `${file}: ${own ? 'has a "config" but no needsOwnConfig' : 'has needsOwnConfig'}`).toBe(own);
    }
    expect(portable.length).toBeGreaterThanOrEqual(20);
  });

  for (const [file] of portable) {
    it(`${file}: runs on a config of another topology (${OTHER_TOPOLOGY.split('/').pop()}): invariants, liveness and expectations hold`, async () => {
      const scenario = loadScenarioFile(join(DIR, file), { configOverride: OTHER_TOPOLOGY });
      expect(scenario.configSource).toBe(OTHER_TOPOLOGY);
      expect(scenario.database).toBe('ledger');
      const report = await runDrill(scenario, { seed: 1 });
      const f = failures(report);
      expect(
        f,
        JSON.stringify({ outcome: report.outcome, invariants: report.invariants.filter((i) => !i.held), expectations: report.expectations.filter((e) => !e.held), liveness: (report.liveness ?? []).filter((l) => !l.held) }),
      ).toEqual({ broken: [], missed: [], dead: [] });
      expect(exitStatus(report)).toBe(0);
    });
  }

  for (const [file, scenario] of scenarios) {
    const gap = KNOWN_PRODUCT_GAPS[file];
    it(gap ? `${file}: fails as the known product gap says (${gap.why})` : `${file}: every invariant and liveness check holds and every expectation is met`, async () => {
      const report = await runDrill(scenario, { seed: 1 });
      const f = failures(report);
      if (gap) {
        expect(f).toEqual({ broken: gap.broken, missed: gap.missed, dead: gap.dead });
        expect(exitStatus(report)).toBe(1);
      } else {
        expect(
          f,
          JSON.stringify({ outcome: report.outcome, invariants: report.invariants.filter((i) => !i.held), expectations: report.expectations.filter((e) => !e.held), liveness: (report.liveness ?? []).filter((l) => !l.held) }),
        ).toEqual({ broken: [], missed: [], dead: [] });
        expect(report.liveness?.map((l) => l.name)).toEqual([...LIVENESS_NAMES]);
        expect(exitStatus(report)).toBe(0);
      }
    });
  }
});
