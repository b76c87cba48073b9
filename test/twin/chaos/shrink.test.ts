/**
 * The chaos shrinker (twin/chaos/shrink.ts) with a fake judge (no drills): it keeps only the events
 * the failure needs, shortens the horizon, and saves a file the drill command accepts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertValidCase, generatePalette, type ChaosScenarioFile } from '../../../twin/chaos/generate.js';
import { configShrinks, saveFinding, shrinkScenario, type Judge } from '../../../twin/chaos/shrink.js';
import { validateConfig } from '../../../lib/config/index.js';
import type { FailoverConfigInput } from '../../../lambdas/shared/config-schema.js';
import { validateScenario } from '../../../twin/scenario/load.js';

// A one-database config (the palette's first without a game day's drill pair).
const palette = generatePalette(1, 8).filter((p) => p.config.databases.length === 1);
const primaryRegion = palette[0]!.config.databases[0]!.primary.region;
const file: ChaosScenarioFile = {
  name: 'chaos-1-0',
  description: 'test',
  config: palette[0]!.config,
  runFor: 6 * 3600,
  events: [
    { at: 60, fault: 'api-throttle', service: 'rds', count: 2 },
    { at: 300, fault: 'primary-crash' },
    { at: 400, operator: 'approve', step: 'failback' },
    { at: 900, fault: 'region-outage', region: primaryRegion },
    { at: 1200, fault: 'lambda-error', function: 'switch-dns', count: 1 },
    { at: 5000, operator: 'reject', step: 'failover' },
  ],
};

/** Fails single-writer when a crash and an outage both happen and the run lasts at least 2 h; always fails dns-follows-writer. */
const judge: Judge = async (f) => {
  const kinds = f.events.map((e) => ('fault' in e ? e.fault : e.operator));
  const failing = ['dns-follows-writer'];
  if (kinds.includes('primary-crash') && kinds.includes('region-outage') && f.runFor >= 7200) failing.push('single-writer');
  return failing;
};

const dir = mkdtempSync(join(tmpdir(), 'chaos-shrink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('chaos shrinker', () => {
  it('drops the events the failure does not need and shortens runFor while the same invariant fails', async () => {
    const asked: ChaosScenarioFile[] = [];
    const result = await shrinkScenario(file, 'single-writer', async (f) => (asked.push(f), judge(f)));
    expect(result.file.events).toEqual([
      { at: 300, fault: 'primary-crash' },
      { at: 900, fault: 'region-outage', region: primaryRegion },
    ]);
    expect(result.droppedEvents).toBe(4);
    // Bisected down to within the resolution (300 s) above the 2 h the failure needs.
    expect(result.file.runFor).toBeGreaterThanOrEqual(7200);
    expect(result.file.runFor).toBeLessThanOrEqual(7200 + 300);
    expect(result.judgements).toBe(asked.length);
    expect(file.events).toHaveLength(6); // the input is not changed
    expect(() => assertValidCase(result.file)).not.toThrow();
  });

  it('only counts the target invariant (another one failing keeps nothing alive)', async () => {
    // dns-follows-writer always fails: every event and most of the horizon can go.
    const result = await shrinkScenario(file, 'dns-follows-writer', judge);
    expect(result.file.events).toEqual([]);
    expect(result.file.runFor).toBe(600);
  });

  it('stops after maxJudgements drills', async () => {
    let calls = 0;
    await shrinkScenario(file, 'single-writer', async (f) => (calls++, judge(f)), { maxJudgements: 3 });
    expect(calls).toBe(3);
  });

  it('saves a replayable scenario file named after the invariant, seed and run, with the drill seed in its description', async () => {
    const { file: shrunk } = await shrinkScenario(file, 'single-writer', judge);
    const path = saveFinding(shrunk, { outDir: dir, invariant: 'single-writer', campaignSeed: 1, index: 0, drillSeed: 12345 });
    expect(path).toBe(join(dir, 'single-writer-1-0.json'));
    const raw = JSON.parse(readFileSync(path, 'utf8')) as { description: string; config: unknown };
    expect(raw.description).toContain('--seed 12345');
    expect(raw.config).toEqual(shrunk.config);
    const scenario = validateScenario(raw, { source: path });
    expect(scenario.name).toBe('single-writer-1-0');
    expect(scenario.events.map((e) => ('fault' in e ? e.fault : e.operator))).toEqual(['primary-crash', 'region-outage']);
  });

  describe('shrinks the config too', () => {
    // A config with multi databases, traffic, heartbeat and failback settings, replicated secrets.
    const big = generatePalette(31337, 8).find((p) => p.config.databases.length === 2 && !p.config.databases.some((d) => d.gameDay))!.config;
    const multi: FailoverConfigInput = structuredClone(big);
    const first = multi.databases[0]!;
    first.traffic = {
      hostedZoneId: 'Z0EXAMPLE',
      recordName: `app.${first.name}.internal`,
      type: 'CNAME',
      targets: [
        { region: first.primary.region, setIdentifier: 'p', value: 'p.example.com' },
        { region: first.standby.region, setIdentifier: 's', value: 's.example.com' },
      ],
      alarmNames: ['x-5xx'],
    };
    first.detection.heartbeat = { periodSeconds: 120, evaluationPeriods: 3, datapointsToAlarm: 2 };
    first.failback = { ...first.failback, maxLagSeconds: 1 };
    const scenario: ChaosScenarioFile = {
      name: 'c',
      description: 'd',
      config: multi,
      database: first.name,
      runFor: 3600,
      events: [{ at: 300, fault: 'primary-crash' }],
    };

    it('proposes only valid, smaller configs, one change each', () => {
      expect(() => validateConfig(multi, 'test')).not.toThrow();
      const candidates = configShrinks(scenario);
      expect(candidates.length).toBeGreaterThan(4);
      for (const c of candidates) {
        expect(() => validateConfig(c.config, 'candidate')).not.toThrow();
        expect(JSON.stringify(c.config).length).toBeLessThan(JSON.stringify(multi).length);
        // The database the events act on is always kept.
        expect(c.config.databases.map((d) => d.name)).toContain(first.name);
      }
    });

    it('drops databases, vantage points and optional settings while the same check fails', async () => {
      // Fails whatever the config: everything optional goes.
      const always: Judge = async () => ['failover-when-warranted'];
      const { file: small } = await shrinkScenario(scenario, 'failover-when-warranted', always, { maxJudgements: 200 });
      expect(small.config.databases.map((d) => d.name)).toEqual([first.name]);
      expect(small.database).toBeUndefined();
      const d = small.config.databases[0]!;
      expect(d.traffic).toBeUndefined();
      expect(d.detection.heartbeat).toBeUndefined();
      expect(d.failback?.maxLagSeconds).toBeUndefined();
      expect(d.detection.vantagePoints.length).toBeLessThan(first.detection.vantagePoints.length);
      expect(() => assertValidCase(small)).not.toThrow();
    });

    it('keeps what the failure needs', async () => {
      // Fails only while the traffic records are there.
      const needsTraffic: Judge = async (f) => (f.config.databases.some((x) => x.traffic) ? ['failback-when-approved'] : []);
      const { file: small } = await shrinkScenario(scenario, 'failback-when-approved', needsTraffic, { maxJudgements: 200 });
      expect(small.config.databases.find((x) => x.name === first.name)!.traffic).toBeDefined();
      expect(small.config.databases).toHaveLength(1);
    });
  });
});
