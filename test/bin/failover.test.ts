/**
 * The `failover` CLI, run in-process through `run(argv, io)` with a fake io (output captured,
 * child processes recorded), plus two real spawned runs of bin/failover.ts (shebang, exit status).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProgram, commandFiles, run } from '../../bin/failover.js';
import { colorEnabled, type CliIo } from '../../bin/cli/context.js';
import { exampleWith } from '../fixtures/databases.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string): string => join('test', 'fixtures', 'configs', name);

interface Spawned {
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
}

function fakeIo(options: { env?: NodeJS.ProcessEnv; tty?: boolean; status?: number } = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const spawned: Spawned[] = [];
  const io: CliIo = {
    stdout: { write: (s: string) => stdout.push(s), isTTY: options.tty ?? false },
    stderr: { write: (s: string) => stderr.push(s), isTTY: options.tty ?? false },
    env: options.env ?? {},
    run: async (command, args, runOptions) => {
      spawned.push({ command, args, env: runOptions.env });
      return options.status ?? 0;
    },
  };
  return { io, stdout: () => stdout.join(''), stderr: () => stderr.join(''), spawned };
}

const ESC = '\u001b[';

describe('failover validate', () => {
  it('prints OK with the database names and exits 0 (default file: examples/config.json)', async () => {
    const t = fakeIo();
    expect(await run(['validate'], t.io)).toBe(0);
    expect(t.stdout()).toBe('OK: examples/config.json: 1 database (orders)\n');
    expect(t.stderr()).toBe('');
  });

  it('prints the warnings of a risky but valid config and still exits 0', async () => {
    const t = fakeIo();
    expect(await run(['validate', fixture('warnings.json')], t.io)).toBe(0);
    expect(t.stdout()).toBe(`OK: ${fixture('warnings.json')}: 1 database (orders)\n`);
    const lines = t.stderr().trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/databases\[0\]\.standby\.securityGroupIds should list the standby's dedicated security groups/);
    expect(lines[1]).toBe(
      `warning: ${fixture('warnings.json')}: databases[0].dns.ttlSeconds should be <= 300: clients keep the old writer's address for up to the TTL after the switch, which adds to the RTO, got 600`,
    );
  });

  it('prints every problem (path, allowed, value) to stderr and exits 2', async () => {
    const t = fakeIo();
    expect(await run(['validate', fixture('many-problems.json')], t.io)).toBe(2);
    expect(t.stdout()).toBe('');
    const lines = t.stderr().trimEnd().split('\n');
    expect(lines[0]).toBe(`invalid config: ${fixture('many-problems.json')}: 13 problems:`);
    expect(lines).toHaveLength(14);
    expect(lines).toContain('  - databases[0].detection.quorum must be <= 4 vantage points (3 configured + rds-api), got 6');
    expect(lines).toContain('  - notifications.emails[0] must be an email address, got "oncall-at-example.com"');
  });

  it('exits 2 for more databases than one deployment supports, naming the limit (docs/scale.md)', async () => {
    const config = exampleWith(101);
    const file = join(mkdtempSync(join(tmpdir(), 'failover-validate-')), 'too-many.json');
    writeFileSync(file, JSON.stringify(config));
    const t = fakeIo();
    expect(await run(['validate', file], t.io)).toBe(2);
    expect(t.stderr()).toBe(
      `invalid config: ${file}: 1 problem:\n  - databases must be at most 100 in one deployment, the most checked against every CloudFormation and IAM limit, where the largest function role already needs 8 of IAM's 10 managed policies per role (docs/scale.md); split them into deployments with different \`prefix\`es, got 101\n`,
    );
  });

  it("exits 2 for a control Region whose CloudFormation has no Lambda function URLs (the approval page's), naming the way out", async () => {
    const t = fakeIo();
    expect(await run(['validate', fixture('control-region-without-function-urls.json')], t.io)).toBe(2);
    expect(t.stderr()).toContain('  - controlRegion has no Lambda function URLs (AWS::Lambda::Url) in CloudFormation');
    expect(t.stderr()).toContain('set approvals.page to "none"');
    expect(t.stderr()).toContain('got "ap-southeast-7"');
    const none = fakeIo();
    expect(await run(['validate', fixture('control-region-without-function-urls-no-page.json')], none.io)).toBe(0);
  });

  it('exits 2 for a missing file', async () => {
    const t = fakeIo();
    expect(await run(['validate', 'no/such/config.json'], t.io)).toBe(2);
    expect(t.stderr()).toBe('invalid config: no/such/config.json: 1 problem:\n  - the config cannot be read: no such file\n');
  });

  it('exits 2 for invalid JSON, with the line and column', async () => {
    const t = fakeIo();
    expect(await run(['validate', fixture('invalid-json.json')], t.io)).toBe(2);
    expect(t.stderr()).toContain('  - the config is not valid JSON: line 4, column 25: ');
  });

  it('colours output on a terminal, and not with NO_COLOR', async () => {
    const tty = fakeIo({ tty: true });
    await run(['validate', fixture('many-problems.json')], tty.io);
    expect(tty.stderr()).toContain(ESC);
    const noColor = fakeIo({ tty: true, env: { NO_COLOR: '1' } });
    await run(['validate', fixture('many-problems.json')], noColor.io);
    expect(noColor.stderr()).not.toContain(ESC);
    expect(colorEnabled({ write: () => true, isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ write: () => true, isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ write: () => true, isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ write: () => true, isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });
});

describe('failover synth', () => {
  it('validates first: on problems exits 2 and runs nothing', async () => {
    const t = fakeIo();
    expect(await run(['synth', '--config', fixture('many-problems.json')], t.io)).toBe(2);
    expect(t.spawned).toEqual([]);
    expect(t.stderr()).toContain('13 problems');
  });

  it('runs cdk synth with the config as context, telemetry off, extra args after --', async () => {
    const t = fakeIo({ env: { PATH: '/usr/bin' } });
    expect(await run(['synth', '--config', fixture('aurora.json'), '--', '--verbose', 'FailoverControl'], t.io)).toBe(0);
    expect(t.spawned).toEqual([
      {
        command: 'npx',
        args: ['cdk', 'synth', '--quiet', '--no-notices', '--context', `config=${fixture('aurora.json')}`, '--verbose', 'FailoverControl'],
        env: { PATH: '/usr/bin', CDK_DISABLE_CLI_TELEMETRY: 'true' },
      },
    ]);
  });

  it("exits with cdk's status", async () => {
    const t = fakeIo({ status: 3 });
    expect(await run(['synth'], t.io)).toBe(3);
    expect(t.spawned[0]?.args).toContain('config=examples/config.json');
  });
});

describe('failover schema', () => {
  it('prints the committed JSON Schema', async () => {
    const t = fakeIo();
    expect(await run(['schema'], t.io)).toBe(0);
    expect(t.stdout()).toBe(readFileSync(join(ROOT, 'schema', 'config.schema.json'), 'utf8'));
  });
});

describe('the program', () => {
  it('registers every file of bin/commands/', async () => {
    expect(commandFiles()).toEqual(expect.arrayContaining(['schema.ts', 'synth.ts', 'validate.ts']));
    const program = await buildProgram(fakeIo().io);
    const names = program.commands.map((c) => c.name());
    for (const file of commandFiles()) expect(names).toContain(file.replace(/\.(ts|js|mjs)$/, ''));
  });

  it('exits 2 on a usage error (nothing run) and 0 for --help / --version', async () => {
    const unknown = fakeIo();
    expect(await run(['valdate'], unknown.io)).toBe(2);
    expect(unknown.stderr()).toContain('(Did you mean validate?)');
    const help = fakeIo();
    expect(await run(['--help'], help.io)).toBe(0);
    expect(help.stdout()).toContain('validate [options] [file]');
    const version = fakeIo();
    expect(await run(['--version'], version.io)).toBe(0);
    expect(version.stdout().trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('bin/failover.ts as a process', () => {
  // Spawning costs about a second each: two runs cover the shebang and both exit statuses.
  it('runs through its shebang: validate OK exits 0', () => {
    const res = spawnSync(join(ROOT, 'bin', 'failover.ts'), ['validate'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(res.stderr).toBe('');
    expect(res.stdout).toBe('OK: examples/config.json: 1 database (orders)\n');
    expect(res.status).toBe(0);
  });

  it('exits 2 and lists the problems of a broken config', () => {
    const res = spawnSync('npx', ['tsx', 'bin/failover.ts', 'validate', fixture('many-problems.json')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(res.status).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(13);
  });
});
