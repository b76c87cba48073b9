/**
 * `failover drill --real-postgres` bad input (in-process): no PostgreSQL binaries, a DNS-relay port
 * in use, a scenario the real servers cannot back, options without --real-postgres. Each exits 2
 * and says why; nothing runs and nothing is left behind.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../../bin/failover.js';
import { fakeIo } from '../../helpers/cli-io.js';

const realDirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith('rds-failover-real-'));

describe('failover drill --real-postgres: bad input exits 2', () => {
  it('without the binaries: names the package to install and the directory it looked in', async () => {
    const t = fakeIo();
    t.io.env = { RDS_FAILOVER_PG_BIN: '/nonexistent/postgresql/bin' };
    const code = await run(['drill', '--real-postgres', '--scenario', 'scenarios/crash-hot.json'], t.io);
    expect(code).toBe(2);
    expect(t.stderr()).toContain('postgresql-15');
    expect(t.stderr()).toContain('/nonexistent/postgresql/bin');
    expect(t.stderr()).toContain('apt-get install -y postgresql-15');
    expect(t.stdout()).toBe('');
  });

  it('a DNS-relay port in use is reported at once, and no server or data directory is left', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    // A temporary directory of this test's own: real drills of other test files, in other workers,
    // create and remove theirs in the shared one meanwhile.
    const own = mkdtempSync(join(tmpdir(), 'cli-test-'));
    chmodSync(own, 0o755); // the servers' user must reach it, as it reaches the shared one
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = own;
    const before = realDirs();
    try {
      const t = fakeIo();
      const started = performance.now();
      const code = await run(['drill', '--real-postgres', '--real-port', String(port), '--scenario', 'scenarios/crash-hot.json'], t.io);
      expect(code, t.stderr()).toBe(2);
      expect(t.stderr()).toContain(`port ${port} on 127.0.0.1 is in use (the DNS relay)`);
      expect(performance.now() - started).toBeLessThan(20_000);
      expect(realDirs()).toEqual(before);
      expect(before).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(own, { recursive: true, force: true });
      blocker.close();
    }
  });

  it('a scenario whose standby is cold (no replica to stream to) is refused before anything starts', async () => {
    const t = fakeIo();
    const code = await run(['drill', '--real-postgres', '--scenario', 'scenarios/crash-cold.json'], t.io);
    expect(code).toBe(2);
    expect(t.stderr()).toMatch(/cannot run a real drill.*cold standby.*nothing was run/);
  });

  it('--real-seconds and --real-port need --real-postgres; --real-seconds is bounded', async () => {
    const a = fakeIo();
    expect(await run(['drill', '--real-seconds', '30'], a.io)).toBe(2);
    expect(a.stderr()).toContain('go with --real-postgres');
    const b = fakeIo();
    expect(await run(['drill', '--real-postgres', '--real-seconds', '2'], b.io)).toBe(2);
    expect(b.stderr()).toContain('--real-seconds must be a number of seconds from 5 to 3600, got "2"');
  });
});

/** Processes (not zombies) whose command line mentions `text`. */
function processesMentioning(text: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const zombie = /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      if (!zombie && cmd.includes(text)) out.push(`${pid}: ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('failover drill --real-postgres interrupted', () => {
  it('SIGINT while the drill runs (the canary writing): no server left running, no data directory left behind', async () => {
    const cli = join(import.meta.dirname, '../../../bin/failover.ts');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cli, 'drill', '--real-postgres', '--scenario', join(import.meta.dirname, '../../../scenarios/crash-hot.json')],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const dataDir = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "Real PostgreSQL" line within 60 s: ${out}${err}`)), 60_000);
      child.stdout.on('data', (d) => {
        out += d;
        const m = /data in (\S+) \(removed at the end\)/.exec(out);
        // interrupted mid-drill: once virtual time runs and the canary writes
        if (m && out.includes('real: canary writer started')) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`the drill exited (${code}) before its servers started: ${out}${err}`)));
    });
    expect(existsSync(dataDir)).toBe(true);
    expect(processesMentioning(dataDir).length).toBeGreaterThanOrEqual(2); // the primary's and the replica's postmasters (and their children)
    const exited = new Promise((r) => child.once('exit', (code, signal) => r(signal ?? code)));
    child.kill('SIGINT');
    expect(await exited).toBe('SIGINT');
    for (let i = 0; i < 40 && processesMentioning(dataDir).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(processesMentioning(dataDir)).toEqual([]);
    expect(existsSync(dataDir)).toBe(false);
  }, 90_000);
});
