/**
 * The real-PostgreSQL harness (twin/real): Debian's postgresql-15 primary and streaming replica on
 * 127.0.0.1, the replication relay (slow, cut), the DNS relay, the fence, the crash, the promotion,
 * and that nothing is left behind (close, SIGINT), plus its bad inputs (no binaries, a port in use).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, mkdtempSync as mkdtemp, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPostgres, leftovers, PortInUseError, POSTGRES_PACKAGE, PostgresMissingError, RealPair } from '../../../twin/real/postgres.js';

/** A temp directory the postgres user can reach (the servers run as it when the tests run as root). */
const mkdtempSync = (prefix: string): string => {
  const d = mkdtemp(prefix);
  chmodSync(d, 0o711);
  return d;
};
const parent = mkdtempSync(join(tmpdir(), 'rds-failover-harness-test-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tcpClient(port: number): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 3000 });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

/** A process that exists and is not a zombie (exited, not yet reaped). */
const processAlive = (pid: number | undefined): boolean => {
  if (pid === undefined) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('bad input', () => {
  it('missing binaries: the error names the package and the directory looked in', () => {
    const dir = join(parent, 'no-such-bin');
    let err: unknown;
    try {
      findPostgres(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PostgresMissingError);
    expect((err as Error).message).toContain(POSTGRES_PACKAGE);
    expect((err as Error).message).toContain(dir);
    expect((err as PostgresMissingError).missing).toEqual(['initdb', 'postgres', 'pg_basebackup']);
  });

  it('a port in use is reported at once (server port and relay port), and nothing is left', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    const own = mkdtempSync(join(parent, 'ports-'));
    try {
      const started = performance.now();
      await expect(RealPair.start({ ports: { primary: port }, parentDir: own })).rejects.toThrow(PortInUseError);
      await expect(RealPair.start({ ports: { dns: port }, parentDir: own })).rejects.toThrow(
        new RegExp(`port ${port} on 127.0.0.1 is in use \\(the DNS relay\\)`),
      );
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(readdirSync(own)).toEqual([]);
    } finally {
      blocker.close();
    }
  });
});

describe('a primary and its streaming replica', () => {
  let pair: RealPair;
  beforeAll(async () => {
    pair = await RealPair.start({ parentDir: parent });
    await pair.primary.query('CREATE TABLE t (n int PRIMARY KEY)');
  });
  afterAll(async () => {
    await pair?.close();
  });

  // Until the replica has replayed the CREATE TABLE (a loaded machine replays late), `t` does not
  // exist there: not yet, rather than a failure.
  const onReplica = async (n: number) =>
    (
      await pair.replica.query('SELECT n FROM t WHERE n = $1', [n]).catch((err: { code?: string }) => {
        if (err.code === '42P01') return [];
        throw err;
      })
    ).length === 1;
  const until = async (cond: () => Promise<boolean>, ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      if (await cond()) return true;
      await sleep(25);
    }
    return cond();
  };

  it('streams through the replication relay: a commit reaches the replica; the replica is read-only', async () => {
    // The walreceiver connects (through the relay) on its own schedule: wait for it on a loaded machine.
    expect(await until(async () => pair.replication.stats.open >= 1, 10_000)).toBe(true);
    await pair.primary.query('INSERT INTO t VALUES (1)');
    expect(await until(() => onReplica(1), 10_000)).toBe(true);
    await expect(pair.replica.query('INSERT INTO t VALUES (2)')).rejects.toThrow(/read-only transaction/);
    const facts = await pair.replicationFacts();
    expect(facts.inRecovery).toBe(true);
    expect(facts.slotLagBytes).not.toBeNull();
  });

  it('slowed replication: a commit reaches the replica only after the delay, and the WAL behind is real', async () => {
    pair.slowReplication(1_500);
    await sleep(200);
    const t0 = performance.now();
    await pair.primary.query('INSERT INTO t VALUES (10)');
    await sleep(300);
    expect(await onReplica(10)).toBe(false);
    const behind = await pair.replicationFacts();
    expect(behind.replayLagBytes).toBeGreaterThan(0);
    expect(await until(() => onReplica(10), 5_000)).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1_400);
    pair.resumeReplication();
  });

  it('cut replication: nothing arrives until it is resumed', async () => {
    pair.cutReplication();
    await pair.primary.query('INSERT INTO t VALUES (20)');
    await sleep(1_000);
    expect(await onReplica(20)).toBe(false);
    pair.resumeReplication();
    expect(await until(() => onReplica(20), 8_000)).toBe(true);
  });

  it('the DNS relay joins new connections to its target; an open one stays where it was', async () => {
    const first = await tcpClient(pair.dns.port);
    const port = async (c: pg.Client) => Number((await c.query('SELECT inet_server_port() AS p')).rows[0].p);
    expect(await port(first)).toBe(pair.primary.port);
    let target: number | undefined = pair.replica.port;
    pair.dnsTarget = () => target;
    try {
      const second = await tcpClient(pair.dns.port);
      expect(await port(second)).toBe(pair.replica.port);
      expect(await port(first)).toBe(pair.primary.port);
      await second.end();
      target = undefined;
      await expect(tcpClient(pair.dns.port)).rejects.toThrow();
    } finally {
      pair.dnsTarget = undefined;
      await first.end();
    }
  });
});

describe('crash, promotion and fence', () => {
  it('SIGKILL stops every process of the primary; pg_promote makes the replica writable with the data it had; the fence refuses new sessions and ends open ones', async () => {
    const pair = await RealPair.start({ parentDir: parent });
    let killedPid = -1;
    try {
      await pair.primary.query('CREATE TABLE t (n int PRIMARY KEY)');
      await pair.primary.query('INSERT INTO t VALUES (1)');
      const held = await tcpClient(pair.primary.port);
      // the fence on a running server: the held session cannot commit, a new one is refused
      const fence = await pair.primary.fence();
      expect(fence.running).toBe(true);
      expect(fence.terminated).toBeGreaterThanOrEqual(2); // the held client session and the WAL sender
      await expect(held.query('INSERT INTO t VALUES (2)')).rejects.toThrow();
      await expect(tcpClient(pair.primary.port)).rejects.toThrow(/pg_hba.conf rejects connection/);
      expect((await pair.primary.query('SELECT count(*)::int AS n FROM t WHERE n = 2'))[0]).toEqual({ n: 0 });

      const pid = pair.primary.pid!;
      killedPid = pid;
      await pair.crashPrimary();
      expect(pair.primary.state).toBe('crashed');
      expect(processAlive(pid)).toBe(false);
      expect(await pair.primary.refusesTcp()).toBe(true);
      await pair.promote();
      const c = await tcpClient(pair.replica.port);
      await c.query('INSERT INTO t VALUES (3)');
      expect((await c.query('SELECT n FROM t ORDER BY n')).rows.map((r) => r.n)).toEqual([1, 3]);
      await c.end();
    } finally {
      await pair.close();
    }
    expect(leftovers(pair)).toEqual([]);
    // the killed postmaster's System V interlock segment is removed too (the creator pid column is the postmaster's)
    const segments = readFileSync('/proc/sysvipc/shm', 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/));
    expect(segments.filter((f) => Number(f[4]) === killedPid)).toEqual([]);
  });

  it('an interrupted process (SIGINT) leaves no server running and no data directory behind', async () => {
    const own = mkdtempSync(join(parent, 'sigint-'));
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'interrupted-child.ts'), own], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const started = await new Promise<{ baseDir: string; pids: number[] }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the child did not start a pair: ${err}`)), 50_000);
      child.once('exit', (code) => reject(new Error(`the child exited (${code}) before starting a pair: ${err}`)));
      child.stdout.on('data', () => {
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve(JSON.parse(out.split('\n')[0]!));
        }
      });
    });
    expect(existsSync(started.baseDir)).toBe(true);
    expect(started.pids.every(processAlive)).toBe(true);
    const exited = new Promise((r) => child.once('exit', (code, signal) => r(signal ?? code)));
    child.kill('SIGINT');
    expect(await exited).toBe('SIGINT');
    for (let i = 0; i < 40 && started.pids.some(processAlive); i++) await sleep(50);
    expect(existsSync(started.baseDir)).toBe(false);
    expect(started.pids.filter(processAlive)).toEqual([]);
    expect(readdirSync(own)).toEqual([]);
  });
});
