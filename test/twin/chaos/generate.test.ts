/**
 * The chaos generator (twin/chaos/generate.ts): deterministic from its seed, and everything it
 * generates is accepted by the product's own validators (config and scenario).
 */
import { describe, expect, it } from 'vitest';
import { regionProblems } from '../../../lib/config/region-support.js';
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
import { sdkRegions, SPACE } from '../../../twin/chaos/config-space.js';

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
          if ('fault' in e && e.fault === 'primary-unreachable') for (const v of e.from) expect(vantageNames(c.file.config, c.file.database)).toContain(v);
        }
      }
    }
    // Every fault kind and operator action shows up.
    expect([...kinds.keys()].sort()).toEqual(
      [
        'alarm-flap',
        'api-error',
        'api-throttle',
        'duplicate-alarm',
        'lambda-error',
        'primary-crash',
        'primary-recover',
        'primary-unreachable',
        'region-outage',
        'region-recover',
        'replica-crash',
        'replica-lag',
        'operator:approve',
        'operator:reject',
        'operator:start-failover',
        'operator:request-drill',
      ].sort(),
    );
  });

  it('draws configs from the whole config space of the schema, with Regions the AWS SDK knows', () => {
    const palettes = [1, 2, 3, 4, 5, 6, 7, 8].flatMap((seed) => generatePalette(seed, 8));
    const dbs = palettes.flatMap((p) => p.config.databases);
    for (const p of palettes) expect(() => validateConfig(p.config, p.id)).not.toThrow();
    // Every enum of the schema shows up.
    expect(new Set(dbs.map((d) => d.engine))).toEqual(new Set(SPACE.engines));
    expect(new Set(dbs.map((d) => d.standby.readiness))).toEqual(new Set(SPACE.readiness));
    expect(new Set(dbs.map((d) => d.failover.mode))).toEqual(new Set(SPACE.modes));
    expect(new Set(dbs.map((d) => d.failover.fencing))).toEqual(new Set(SPACE.fencing));
    expect(new Set(dbs.map((d) => d.failback?.policy))).toEqual(new Set(SPACE.policies));
    // One to three databases (and a game day's drill pair); two of them in one hosted zone.
    expect(new Set(palettes.map((p) => p.config.databases.filter((d) => !d.drillTarget).length))).toEqual(new Set([1, 2, 3]));
    expect(palettes.some((p) => p.config.databases.length > 1 && new Set(p.config.databases.map((d) => d.dns.hostedZoneId)).size === 1)).toBe(true);
    // Fencing with and without security groups; traffic records with and without gating alarms.
    expect(dbs.some((d) => !d.standby.securityGroupIds)).toBe(true);
    expect(dbs.some((d) => d.primary.securityGroupIds)).toBe(true);
    expect(dbs.some((d) => d.traffic && d.traffic.alarmNames)).toBe(true);
    expect(dbs.some((d) => d.traffic && !d.traffic.alarmNames)).toBe(true);
    // Vantage layouts with and without a witness.
    const witness = (d: (typeof dbs)[number]) => d.detection.vantagePoints.some((v) => v.region !== d.primary.region && v.region !== d.standby.region);
    expect(dbs.some(witness)).toBe(true);
    expect(dbs.some((d) => !witness(d))).toBe(true);
    // Regions: the SDK's list (more than a hand list would hold), every one used is in it.
    const regions = sdkRegions();
    expect(regions.length).toBeGreaterThan(25);
    expect(regions).toContain('us-east-1');
    const used = new Set(dbs.flatMap((d) => [d.primary.region, d.standby.region, ...d.detection.vantagePoints.map((v) => v.region)]));
    for (const r of used) expect(regions).toContain(r);
    expect(used.size).toBeGreaterThan(15);
  });

  it('draws the game days a user would write, each config passing failover validate', () => {
    const palettes = [1, 2, 3, 4, 5, 6, 7, 8].flatMap((seed) => generatePalette(seed, 8));
    for (const p of palettes) {
      // What `failover validate` checks: the config's rules, and the Regions' CloudFormation support.
      const { config } = validateConfig(p.config, p.id);
      expect(regionProblems(config), p.id).toEqual([]);
    }
    const games = palettes.flatMap((p) => p.config.databases.filter((d) => d.gameDay).map((d) => ({ d, p })));
    expect(games.length).toBeGreaterThan(palettes.length / 2);
    const pairOf = (x: (typeof games)[number]) => x.p.config.databases.find((d) => d.name === x.d.gameDay!.drillPair)!;
    // A designated drill pair (drillTarget) of its own, with and without a schedule, and in manual mode.
    const designated = games.filter((x) => pairOf(x) !== x.d);
    expect(designated.every((x) => pairOf(x).drillTarget === true && !x.d.gameDay!.allowProductionTarget)).toBe(true);
    expect(designated.some((x) => x.d.gameDay!.schedule)).toBe(true);
    expect(designated.some((x) => !x.d.gameDay!.schedule)).toBe(true);
    expect(designated.some((x) => pairOf(x).failover.mode === 'manual')).toBe(true);
    // A production pair drilled with the explicit opt-in.
    expect(games.some((x) => pairOf(x) === x.d && x.d.gameDay!.allowProductionTarget === true && !x.d.drillTarget)).toBe(true);
    // The faults fit the engine: Aurora cluster failover; instances a Multi-AZ reboot or the network cut.
    for (const x of games) {
      const aurora = pairOf(x).engine.startsWith('aurora-');
      for (const f of x.d.gameDay!.faults!)
        expect(aurora ? ['failover-db-cluster', 'disrupt-connectivity'] : ['reboot-with-failover', 'disrupt-connectivity']).toContain(f);
    }
    const faults = new Set(games.flatMap((x) => x.d.gameDay!.faults!));
    expect(faults).toEqual(new Set(['failover-db-cluster', 'reboot-with-failover', 'disrupt-connectivity']));
    // Both kinds of schedule: once (at) and recurring (cron, rate).
    expect(games.some((x) => x.d.gameDay!.schedule?.startsWith('at('))).toBe(true);
    expect(games.some((x) => /^(cron|rate)\(/.test(x.d.gameDay!.schedule ?? ''))).toBe(true);
  });

  it('asks for drills at random times, with the drill fault on the drill pair, and acts on the drill pair or on production', () => {
    const plan = generateCampaign({ seed: 7, runs: 200 });
    const gd = plan.cases.filter((c) => c.file.config.databases.some((d) => d.gameDay));
    expect(gd.length).toBeGreaterThan(50);
    const requests = gd.flatMap((c) => c.file.events.filter((e) => 'operator' in e && e.operator === 'request-drill').map((e) => Number(e.at)));
    expect(new Set(requests).size).toBeGreaterThan(30);
    const onPair = gd.filter((c) => c.file.database === c.file.config.databases.find((d) => d.gameDay)!.gameDay!.drillPair);
    expect(onPair.length).toBeGreaterThan(10);
    expect(gd.length - onPair.length).toBeGreaterThan(10);
    // On the pair: its primary crashes or is cut off shortly after a request (the drill's fault).
    expect(
      onPair.some((c) =>
        c.file.events.some(
          (e) =>
            'operator' in e &&
            e.operator === 'request-drill' &&
            c.file.events.some(
              (f) =>
                'fault' in f &&
                (f.fault === 'primary-crash' || f.fault === 'primary-unreachable') &&
                Number(f.at) > Number(e.at) &&
                Number(f.at) <= Number(e.at) + 120,
            ),
        ),
      ),
    ).toBe(true);
    for (const c of gd) assertValidCase(c.file);
  });

  it('acts on the database a multi-database case names', () => {
    const plan = generateCampaign({ seed: 31337, runs: 100 });
    const multi = plan.cases.filter((c) => c.file.config.databases.length > 1);
    expect(multi.length).toBeGreaterThan(0);
    for (const c of multi) {
      expect(c.file.config.databases.map((d) => d.name)).toContain(c.file.database);
      const scenario = assertValidCase(c.file);
      expect(scenario.database).toBe(c.file.database);
    }
  });
});
