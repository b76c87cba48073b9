/**
 * The chaos shrinker (twin/chaos/shrink.ts) with a fake judge (no drills): it keeps only the events
 * the failure needs, shortens the horizon, and saves a file the drill command accepts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertValidCase, generatePalette, type ChaosScenarioFile } from '../../../twin/chaos/generate.js';
import { saveFinding, shrinkScenario, type Judge } from '../../../twin/chaos/shrink.js';
import { validateScenario } from '../../../twin/scenario/load.js';

const palette = generatePalette(1, 1);
const file: ChaosScenarioFile = {
  name: 'chaos-1-0',
  description: 'test',
  config: palette[0]!.config,
  runFor: 6 * 3600,
  events: [
    { at: 60, fault: 'api-throttle', service: 'rds', count: 2 },
    { at: 300, fault: 'primary-crash' },
    { at: 400, operator: 'approve', step: 'failback' },
    { at: 900, fault: 'region-outage', region: 'us-east-1' },
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
      { at: 900, fault: 'region-outage', region: 'us-east-1' },
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
    expect(raw.config).toEqual(file.config);
    const scenario = validateScenario(raw, { source: path });
    expect(scenario.name).toBe('single-writer-1-0');
    expect(scenario.events.map((e) => ('fault' in e ? e.fault : e.operator))).toEqual(['primary-crash', 'region-outage']);
  });
});
