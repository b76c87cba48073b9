/**
 * `failover drill` in-process (bin/failover.ts `run(argv, io)`): the default game day exits 0 and
 * writes the JSON and HTML reports; an invalid scenario exits 2 naming the file, the path inside
 * it and the bad value, and nothing runs.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../../bin/failover.js';
import type { CliIo } from '../../../bin/cli/context.js';
import { parseSeed } from '../../../bin/commands/drill.js';
import { reportSchema } from '../../../twin/report/types.js';

function fakeIo() {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIo = {
    stdout: { write: (s: string) => stdout.push(s), isTTY: false },
    stderr: { write: (s: string) => stderr.push(s), isTTY: false },
    env: {},
    run: async () => 0,
  };
  return { io, stdout: () => stdout.join(''), stderr: () => stderr.join('') };
}

const dir = mkdtempSync(join(tmpdir(), 'drill-cli-'));

describe('failover drill', () => {
  it('runs the default game day, prints the timeline and the summary, writes --json and --html, exits 0', async () => {
    const t = fakeIo();
    const json = join(dir, 'report.json');
    const html = join(dir, 'report.html');
    const code = await run(['drill', '--json', json, '--html', html, '--seed', '1'], t.io);
    expect(code, t.stderr()).toBe(0);
    const out = t.stdout();
    expect(out).toMatch(/^Drill game-day \(seed 1, database orders, 4h of virtual time\)/);
    expect(out).toMatch(/\+00:05:00 {2}fault {5}instance orders-primary crashed/);
    expect(out).toMatch(/RTO {9}\d/);
    expect(out).toMatch(/data loss {3}0 s/);
    expect(out).toMatch(/held {4}single-writer/);
    expect(out).toMatch(/PASS \(exit 0\)/);
    const report = reportSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
    expect(report.outcome).toBe('failed-back');
    expect(report.invariants.every((i) => i.held)).toBe(true);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!DOCTYPE html>/i);
    expect(page).toContain('<svg');
    expect(page).toContain('game-day');
  });

  it('same --seed, same JSON report (wall time aside)', async () => {
    const reports = [];
    for (const name of ['a.json', 'b.json']) {
      const t = fakeIo();
      const file = join(dir, name);
      const scenario = join(dir, 'short.json');
      writeFileSync(
        scenario,
        JSON.stringify({ name: 'short', runFor: '15m', events: [{ at: '2m', fault: 'primary-crash' }], expect: { outcome: 'failed-over' } }),
      );
      expect(await run(['drill', '--scenario', scenario, '--json', file, '--seed', '7'], t.io), t.stderr()).toBe(0);
      const { wallMs: _wallMs, ...rest } = JSON.parse(readFileSync(file, 'utf8')) as { wallMs: number };
      reports.push(rest);
    }
    expect(reports[0]).toEqual(reports[1]);
  });

  describe('an invalid scenario exits 2 naming the file, the path and the bad value; nothing runs', () => {
    const cases: Array<[string, Record<string, unknown>, RegExp[]]> = [
      ['unknown fault', { events: [{ at: '5m', fault: 'primary-explode' }] }, [/events\[0\]\.fault: unknown fault "primary-explode"/]],
      ['bad duration', { runFor: '2 hours', events: [{ at: '5m', fault: 'primary-crash' }] }, [/runFor: "2 hours" is not a positive duration/]],
      ['missing field', { events: [{ at: '5m', fault: 'region-outage' }] }, [/events\[0\]\.region: is required/]],
    ];
    it.each(cases)('%s', async (label, body, patterns) => {
      const t = fakeIo();
      const file = join(dir, `${label.replace(/ /g, '-')}.json`);
      writeFileSync(file, JSON.stringify({ name: label, ...body }));
      expect(await run(['drill', '--scenario', file], t.io)).toBe(2);
      const err = t.stderr();
      expect(err).toContain('invalid scenario');
      expect(err).toContain('nothing was run');
      for (const p of patterns) expect(err).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${p.source}`));
      expect(t.stdout()).toBe('');
    });

    it('an invalid --seed exits 2 before anything runs', async () => {
      const t = fakeIo();
      expect(await run(['drill', '--seed', 'soon'], t.io)).toBe(2);
      expect(t.stderr()).toMatch(/--seed must be a whole number .*got "soon"/);
      expect(t.stdout()).toBe('');
      expect(parseSeed('42')).toBe(42);
      expect(parseSeed('-1')).toBeUndefined();
      expect(parseSeed('99999999999')).toBeUndefined();
    });

    it('an invalid --config exits 2', async () => {
      const t = fakeIo();
      const file = join(dir, 'bad-config.json');
      writeFileSync(file, JSON.stringify({ controlRegion: 'nowhere', databases: [] }));
      expect(await run(['drill', '--config', file], t.io)).toBe(2);
      expect(t.stderr()).toMatch(/invalid config/);
      expect(t.stdout()).toBe('');
    });
  });
});
