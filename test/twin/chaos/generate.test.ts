/**
 * The chaos generator (twin/chaos/generate.ts): deterministic from its seed, and everything it
 * generates is accepted by the product's own validators (config and scenario).
 */
import { describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../../lambdas/shared/contracts.js';
import { validateConfig } from '../../../lib/config/index.js';
import {
  assertValidCase,
  generateCampaign,
  generateCase,
  generatePalette,
  MAX_EVENTS,
  MAX_RUN_FOR_SECONDS,
  MIN_RUN_FOR_SECONDS,
  STANDBY_KINDS,
  vantageNames,
} from '../../../twin/chaos/generate.js';

describe('chaos generator', () => {
  it('gives the same palette and scenarios for the same seed', () => {
    const a = generateCampaign({ seed: 7, runs: 50 });
    const b = generateCampaign({ seed: 7, runs: 50 });
    expect(b).toEqual(a);
    // A case does not depend on how many runs the campaign has.
    expect(generateCase(7, 42, a.palette)).toEqual(a.cases[42]);
  });

  it('gives different scenarios for different seeds', () => {
    const a = generateCampaign({ seed: 1, runs: 20 }).cases.map((c) => c.file.events);
    const b = generateCampaign({ seed: 2, runs: 20 }).cases.map((c) => c.file.events);
    expect(b).not.toEqual(a);
  });

  it('draws a palette of K valid configs that covers every standby kind', () => {
    const palette = generatePalette(3, 8);
    expect(palette.map((p) => p.id)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7']);
    for (const p of palette) expect(() => validateConfig(p.config, p.id)).not.toThrow();
    const kinds = new Set(palette.map((p) => p.label.split(' ')[0]));
    expect([...kinds].sort()).toEqual([...STANDBY_KINDS].sort());
    const policies = new Set(palette.map((p) => p.config.databases[0]!.failback?.policy));
    expect(policies).toEqual(new Set(['manual-approval', 'automatic', 'never']));
    expect(new Set(palette.map((p) => p.config.databases[0]!.failover.fencing)).size).toBe(2);
    expect(generatePalette(3, 2)).toEqual(palette.slice(0, 2));
    expect(() => generatePalette(3, 0)).toThrow(RangeError);
  });

  it('generates only scenarios the drill accepts (300 of them, over several palettes)', () => {
    const kinds = new Map<string, number>();
    for (const seed of [1, 2, 3]) {
      const plan = generateCampaign({ seed, runs: 100, configs: 8 });
      for (const c of plan.cases) {
        const scenario = assertValidCase(c.file);
        expect(scenario.events.length).toBeGreaterThanOrEqual(1);
        expect(scenario.events.length).toBeLessThanOrEqual(MAX_EVENTS);
        expect(scenario.runFor).toBeGreaterThanOrEqual(MIN_RUN_FOR_SECONDS);
        expect(scenario.runFor).toBeLessThanOrEqual(MAX_RUN_FOR_SECONDS);
        expect(scenario.expect).toEqual({});
        expect(c.file.description).toContain(`--seed ${c.drillSeed}`);
        for (const e of c.file.events) {
          const kind = 'fault' in e ? e.fault : `operator:${e.operator}`;
          kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
          if ('fault' in e && e.fault === 'lambda-error') expect(FUNCTION_NAMES).toContain(e.function);
          if ('fault' in e && e.fault === 'primary-unreachable') for (const v of e.from) expect(vantageNames(c.file.config)).toContain(v);
        }
      }
    }
    // Every fault kind and operator action shows up.
    expect([...kinds.keys()].sort()).toEqual(
      [
        'alarm-flap', 'api-error', 'api-throttle', 'duplicate-alarm', 'lambda-error', 'primary-crash', 'primary-recover', 'primary-unreachable',
        'region-outage', 'region-recover', 'replica-crash', 'replica-lag', 'operator:approve', 'operator:reject', 'operator:start-failover',
      ].sort(),
    );
  });
});
