/**
 * CLI edge cases: `--json -` / `--html -` write the report to stdout (what people read goes to
 * stderr); an output path that cannot be written is refused before the drill runs (exit 2); an
 * option that takes one value given twice is an error (exit 2).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../bin/failover.js';
import { outputOptionProblems, outputPathProblem } from '../../bin/cli/outputs.js';
import { fakeIo } from '../helpers/cli-io.js';

process.env.RDS_FAILOVER_TWIN_CACHE ??= `${process.cwd()}/.twin-cache`;
const dir = mkdtempSync(join(tmpdir(), 'failover-out-'));
writeFileSync(join(dir, 'file'), 'x');

describe('output paths', () => {
  it.each([
    ['-', undefined],
    [join(dir, 'new.json'), undefined],
    [join(dir, 'file'), undefined],
    [dir, 'is a directory, not a file'],
    [join(dir, 'missing', 'r.json'), `cannot be created: the directory ${join(dir, 'missing')} does not exist`],
    [join(dir, 'file', 'r.json'), `cannot be created: ${join(dir, 'file')} is not a directory`],
    ['', 'is empty (give a file, or - for stdout)'],
  ])('%s: %s', (path, problem) => {
    expect(outputPathProblem(path)).toBe(problem);
  });

  it('refuses both reports on stdout', () => {
    expect(outputOptionProblems({ json: '-', html: '-' })).toEqual(['--json and --html cannot both write to stdout (-): send one to a file']);
    expect(outputOptionProblems({ json: '-', html: undefined })).toEqual([]);
  });
});

describe('failover drill output options', () => {
  it.each([
    [['--json', join(dir, 'missing', 'r.json')], '--json'],
    [['--html', dir], '--html'],
    [['--json', '-', '--html', '-'], 'cannot both write to stdout'],
  ])('refuses %j before the drill runs (exit 2)', async (args, text) => {
    const t = fakeIo();
    expect(await run(['drill', ...args], t.io)).toBe(2);
    expect(t.stderr()).toContain(text);
    expect(t.stderr()).toContain('nothing was run');
    expect(t.stdout()).toBe('');
  });

  it('--json - prints the report alone on stdout; the timeline and summary go to stderr', async () => {
    const t = fakeIo();
    expect(await run(['drill', '--json', '-'], t.io)).toBe(0);
    const report = JSON.parse(t.stdout());
    expect(report.scenario).toBe('game-day');
    expect(report.invariants.length).toBeGreaterThan(0);
    expect(t.stderr()).toContain('Drill game-day');
  }, 180_000);
});

describe('options that take one value', () => {
  it.each([
    [['drill', '--seed', '1', '--seed', '2'], "option '--seed <n>' was given more than once"],
    [['validate', '--config', 'examples/config.json', '--config', 'examples/config.json'], "option '--config <file>' was given more than once"],
    [['status', '--twin', '--at', '1m', '--at', '2m'], "option '--at <duration>' was given more than once"],
  ])('%j is an error (exit 2)', async (argv, text) => {
    const t = fakeIo();
    expect(await run(argv, t.io)).toBe(2);
    expect(t.stderr()).toContain(text);
  });

  it('flags without a value may repeat', async () => {
    const t = fakeIo({ FAILOVER_CONFIG: 'examples/config.json' });
    // --json twice is fine: the command gets on to its own check (--at needs --twin).
    expect(await run(['status', '--json', '--json', '--at', '1m'], t.io)).toBe(2);
    expect(t.stderr()).toContain('--scenario and --at run a twin world: add --twin');
    expect(t.stderr()).not.toContain('more than once');
  });
});

describe('a scenario with its own config', () => {
  it('says plainly that --config is not used (the scenario needs its own topology)', async () => {
    const t = fakeIo();
    expect(await run(['drill', '--scenario', 'scenarios/approval-timeout.json', '--config', 'test/fixtures/configs/aurora.json'], t.io)).toBe(0);
    expect(t.stderr()).toContain(
      'warning: scenarios/approval-timeout.json needs its own "config" (failover.mode manual: the approval it lets time out is asked only in manual mode): --config test/fixtures/configs/aurora.json is not used.',
    );
  }, 180_000);

  it('a scenario without one runs on the config given, and says nothing', async () => {
    const t = fakeIo();
    await run(['drill', '--scenario', 'scenarios/alarm-flap.json', '--config', 'examples/config.json'], t.io);
    expect(t.stderr()).not.toContain('needs its own "config"');
  }, 180_000);

  it('a scenario written with role words runs on a config of another topology: its vantage points resolve against that config', async () => {
    const t = fakeIo();
    expect(
      await run(['drill', '--scenario', 'scenarios/partition-quorum.json', '--config', 'test/fixtures/configs/other-topology.json', '--json', '-'], t.io),
    ).toBe(0);
    const report = JSON.parse(t.stdout()) as { scenario: { database?: string }; timeline: Array<{ detail?: string; event: string }> };
    expect(JSON.stringify(report.timeline)).toMatch(/sydney, ohio, tokyo-west/);
    expect(t.stderr()).not.toContain('needs its own "config"');
  }, 180_000);
});
