/**
 * Real PostgreSQL servers for drills (`failover drill --real-postgres`), from Debian's
 * `postgresql-15` package: a primary and a physical streaming replica (pg_basebackup, a replication
 * slot) on 127.0.0.1, a {@link TcpRelay} between them that can slow or cut replication, and one in
 * front of them for the database's DNS name. Every process is started and stopped here, in its own
 * process group; {@link RealPair.close} (and, should the process end first, an exit/SIGINT/SIGTERM
 * hook) kills them all and removes the data directories.
 *
 * As root, the servers run as the `postgres` user (PostgreSQL refuses root); the data directories
 * are under a fresh directory in the temp folder owned by that user. Authentication is `trust` on
 * loopback (nothing listens elsewhere); the harness's own admin sessions use each server's Unix
 * socket, so a fenced server (pg_hba rejecting TCP) can still be inspected.
 *
 * Time here is real time (twin/real/timers.ts), whatever the drill's virtual clock does.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  appendFileSync,
  chownSync,
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { PortInUseError, TcpRelay } from './relay.js';
import { realNow, realSleep, realTimeout } from './timers.js';

export { PortInUseError } from './relay.js';

/** The Debian package that provides the binaries. */
export const POSTGRES_PACKAGE = 'postgresql-15';
/** Where Debian installs them. `RDS_FAILOVER_PG_BIN` overrides it. */
export const DEFAULT_PG_BIN_DIR = '/usr/lib/postgresql/15/bin';
export const REQUIRED_BINARIES = ['initdb', 'postgres', 'pg_basebackup'] as const;
/** The physical replication slot of the replica. */
export const SLOT_NAME = 'rds_failover_standby';

/** The PostgreSQL binaries are not there: the CLI exits 2 with this message. */
export class PostgresMissingError extends Error {
  override readonly name = 'PostgresMissingError';
  constructor(
    readonly binDir: string,
    readonly missing: readonly string[],
  ) {
    super(
      `--real-postgres needs the PostgreSQL server binaries (${REQUIRED_BINARIES.join(', ')}); not found or not executable in ${binDir}: ${missing.join(', ')}. ` +
        `Install the Debian package ${POSTGRES_PACKAGE} (apt-get install -y ${POSTGRES_PACKAGE}), or set RDS_FAILOVER_PG_BIN to the directory that holds them.`,
    );
  }
}

/** A server did not start (its log's last lines are in the message). */
export class PostgresStartError extends Error {
  override readonly name = 'PostgresStartError';
}

export interface PgBinaries {
  binDir: string;
  initdb: string;
  postgres: string;
  pg_basebackup: string;
}

/** The binaries in `binDir` (default {@link DEFAULT_PG_BIN_DIR}, or `RDS_FAILOVER_PG_BIN`); throws {@link PostgresMissingError}. */
export function findPostgres(binDir: string = process.env.RDS_FAILOVER_PG_BIN || DEFAULT_PG_BIN_DIR): PgBinaries {
  const missing = REQUIRED_BINARIES.filter((b) => {
    try {
      accessSync(join(binDir, b), constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) throw new PostgresMissingError(binDir, missing);
  return { binDir, initdb: join(binDir, 'initdb'), postgres: join(binDir, 'postgres'), pg_basebackup: join(binDir, 'pg_basebackup') };
}

/** As root: the `postgres` user's ids (the servers run as it). Otherwise undefined (run as ourselves). */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const u = id('-u');
  const g = id('-g');
  if (u.status !== 0 || g.status !== 0)
    throw new PostgresStartError(
      'running as root, and there is no `postgres` user to run the servers as (PostgreSQL refuses root): create it, or run as another user',
    );
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/**
 * As root the servers run as `postgres`, which must be able to reach the data directories: every
 * directory above them needs the search bit for others. Says so at once rather than fail in initdb.
 */
function assertReachable(dir: string): void {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) {
      throw new PostgresStartError(
        `the postgres user (the servers run as it: PostgreSQL refuses root) cannot reach ${dir}: ${d} lacks the search bit for others (chmod o+x ${d}), or use another directory`,
      );
    }
    if (d === dirname(d)) return;
  }
}

/** Is the TCP port free on 127.0.0.1? */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A free port (the OS's pick). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function choosePort(requested: number | undefined, what: string): Promise<number> {
  if (!requested) return freePort();
  if (!(await portFree(requested))) throw new PortInUseError(requested, what);
  return requested;
}

/** Lines appended to the primary's postgresql.conf (the replica inherits them through the base backup). */
const SERVER_CONF = [
  "listen_addresses = '127.0.0.1'",
  'wal_level = replica',
  'max_wal_senders = 5',
  'max_replication_slots = 5',
  'hot_standby = on',
  'max_connections = 40',
  'shared_buffers = 16MB',
  // A killed process keeps what it wrote in the OS page cache: fsync protects against a power
  // loss, not a crash of the server, so it is off to spare the shared disk.
  'fsync = off',
  'synchronous_commit = on',
  'wal_receiver_status_interval = 1s',
  'wal_retrieve_retry_interval = 500ms',
  'wal_sender_timeout = 10s',
  'wal_receiver_timeout = 10s',
  'log_min_messages = warning',
  "log_line_prefix = '%m [%p] '",
];

const HBA_OPEN = ['local all all trust', 'local replication all trust', 'host all all 127.0.0.1/32 trust', 'host replication all 127.0.0.1/32 trust', ''].join(
  '\n',
);
/** Fenced: TCP refused (as a security group without the rule); the harness's socket still works. */
const HBA_FENCED = [
  'local all all trust',
  'local replication all trust',
  'host all all 127.0.0.1/32 reject',
  'host replication all 127.0.0.1/32 reject',
  '',
].join('\n');

export type ServerState = 'stopped' | 'running' | 'crashed';

/** Every server process and directory alive in this process, for the exit hook. */
const live = new Set<RealPair>();
let hooked = false;

function onSignal(signal: NodeJS.Signals): void {
  cleanupAllSync();
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  process.kill(process.pid, signal);
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', cleanupAllSync);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function unhookExitIfIdle(): void {
  if (!hooked || live.size > 0) return;
  hooked = false;
  process.removeListener('exit', cleanupAllSync);
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
}

/** Kills every server this process started and removes their directories (synchronous: for exit hooks). */
export function cleanupAllSync(): void {
  for (const pair of [...live]) pair.killSync();
}

/** One PostgreSQL server process. */
export class PgServer {
  state: ServerState = 'stopped';
  proc?: ChildProcess;
  /** Real ms of the last SIGKILL. */
  crashedAt?: number;
  fencedAt?: number;
  /** The server's System V interlock segment (postmaster.pid), removed after a crash (a SIGKILL leaves it). */
  private shmids = new Set<number>();
  private exited?: Promise<void>;

  constructor(
    readonly name: 'primary' | 'replica',
    readonly dataDir: string,
    readonly port: number,
    private readonly bins: PgBinaries,
    private readonly user: { uid: number; gid: number } | undefined,
    private readonly logFile: string,
  ) {}

  /** Unix-socket directory (the data directory: short enough for the 107-byte limit under /tmp). */
  get socketDir(): string {
    return this.dataDir;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts the server and waits until it answers (a hot standby answers once consistent). */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.state === 'running') return;
    const log = openSync(this.logFile, 'a');
    if (this.user) chownSync(this.logFile, this.user.uid, this.user.gid);
    const proc = spawn(this.bins.postgres, ['-D', this.dataDir, '-p', String(this.port), '-c', `unix_socket_directories=${this.socketDir}`], {
      cwd: this.dataDir,
      detached: true, // its own process group: a crash kills the postmaster and every backend at once
      stdio: ['ignore', log, log],
      ...(this.user ? { uid: this.user.uid, gid: this.user.gid } : {}),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' },
    });
    closeSync(log);
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    proc.once('exit', () => {
      if (this.state === 'running') this.state = 'crashed';
    });
    this.state = 'running';
    const deadline = realNow() + timeoutMs;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        this.state = 'stopped';
        const tail = this.logTail();
        if (/could not bind|Address already in use/i.test(tail)) throw new PortInUseError(this.port, `the ${this.name} server`);
        throw new PostgresStartError(`the ${this.name} server exited while starting (log ${this.logFile}):\n${tail}`);
      }
      try {
        await this.query('SELECT 1');
        this.readShmid();
        return;
      } catch {
        // not ready yet (starting up, or not yet consistent)
      }
      if (realNow() > deadline) {
        await this.crash();
        this.state = 'stopped';
        throw new PostgresStartError(`the ${this.name} server did not answer within ${timeoutMs} ms (log ${this.logFile}):\n${this.logTail()}`);
      }
      await realSleep(100);
    }
  }

  /** SIGKILL to the whole process group (postmaster and backends), then waits for the postmaster to be gone. */
  async crash(): Promise<void> {
    const pid = this.proc?.pid;
    if (pid === undefined || this.state !== 'running') return;
    this.crashedAt = realNow();
    this.state = 'crashed';
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await realTimeout(this.exited ?? Promise.resolve(), 10_000, `${this.name} to exit after SIGKILL`).catch(() => undefined);
  }

  /** A fast shutdown (SIGINT), SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    const pid = this.proc?.pid;
    if (pid === undefined || this.proc?.exitCode !== null || this.proc?.signalCode !== null) {
      this.state = this.state === 'running' ? 'stopped' : this.state;
      return;
    }
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // gone
    }
    try {
      await realTimeout(this.exited!, graceMs, `${this.name} to shut down`);
    } catch {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
      await realTimeout(this.exited!, 10_000, `${this.name} to exit`).catch(() => undefined);
    }
    this.state = 'stopped';
  }

  /** Synchronous SIGKILL (exit hooks). */
  killSync(): void {
    const pid = this.proc?.pid;
    if (pid === undefined || this.proc?.exitCode !== null || this.proc?.signalCode !== null) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
    this.state = 'crashed';
  }

  /** An admin session over the Unix socket (works while TCP is fenced). */
  async admin(database = 'postgres'): Promise<pg.Client> {
    const client = new pg.Client({ host: this.socketDir, port: this.port, user: 'postgres', database });
    client.on('error', () => undefined);
    try {
      await realTimeout(client.connect(), 5_000, `connecting to the ${this.name} server's socket`);
    } catch (err) {
      destroy(client);
      throw err;
    }
    return client;
  }

  /** One statement in a fresh admin session. */
  async query<T extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
    timeoutMs = 10_000,
    database = 'postgres',
  ): Promise<T[]> {
    const client = await this.admin(database);
    try {
      const r = await realTimeout(client.query(sql, params), timeoutMs, `${this.name}: ${sql.slice(0, 60)}`);
      return r.rows as T[];
    } finally {
      await realTimeout(client.end(), 1_000, 'closing').catch(() => destroy(client));
    }
  }

  /** Notes the shared-memory id the postmaster recorded in postmaster.pid (line 7: key and id). */
  private readShmid(): void {
    try {
      const id = Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[6]?.trim().split(/\s+/)[1]);
      if (Number.isInteger(id) && id >= 0) this.shmids.add(id);
    } catch {
      // no pid file: nothing to note
    }
  }

  /**
   * Removes the interlock segments this server created that nothing is attached to any more (a
   * SIGKILLed postmaster cannot remove its own; a clean shutdown has already). Call once it is down.
   */
  removeSharedMemorySync(): void {
    let table: string;
    try {
      table = readFileSync('/proc/sysvipc/shm', 'utf8');
    } catch {
      return;
    }
    for (const id of this.shmids) {
      const row = table
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .find((f) => Number(f[1]) === id);
      if (row && Number(row[6]) === 0) spawnSync('ipcrm', ['-m', String(id)], { stdio: 'ignore' });
    }
    this.shmids.clear();
  }

  /** Writes pg_hba.conf. */
  writeHba(text: string): void {
    const file = join(this.dataDir, 'pg_hba.conf');
    writeFileSync(file, text);
    if (this.user) chownSync(file, this.user.uid, this.user.gid);
  }

  /**
   * The fence: new TCP connections are refused (pg_hba `reject`, reloaded, checked with a real
   * connection attempt) and then every session the server has is terminated (client backends and
   * WAL senders). A server that is not running gets the rejecting pg_hba.conf for its next start.
   * Returns the number of sessions terminated.
   */
  async fence(): Promise<{ terminated: number; running: boolean }> {
    this.writeHba(HBA_FENCED);
    if (this.state !== 'running') {
      this.fencedAt = realNow();
      return { terminated: 0, running: false };
    }
    await this.query('SELECT pg_reload_conf()');
    const deadline = realNow() + 5_000;
    while (!(await this.refusesTcp())) {
      if (realNow() > deadline) throw new Error(`${this.name}: still admits TCP connections 5 s after the fence's pg_hba.conf was reloaded`);
      await realSleep(20);
    }
    const rows = await this.query<{ n: string }>(
      "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type IN ('client backend', 'walsender')",
    );
    this.fencedAt = realNow();
    return { terminated: Number(rows[0]?.n ?? 0), running: true };
  }

  /** Is a new TCP session refused (by pg_hba, or nothing listening)? */
  async refusesTcp(): Promise<boolean> {
    const client = new pg.Client({ host: '127.0.0.1', port: this.port, user: 'postgres', database: 'postgres' });
    client.on('error', () => undefined);
    try {
      await realTimeout(client.connect(), 3_000, 'probe connection');
      await client.end().catch(() => undefined);
      return false;
    } catch {
      destroy(client);
      return true;
    }
  }

  logTail(lines = 15): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

export function destroy(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

export interface RealPairOptions {
  /** Fixed ports (0/undefined: free ones). A taken port is a {@link PortInUseError}. */
  ports?: { primary?: number; replica?: number; replication?: number; dns?: number };
  /** Binaries (default: {@link findPostgres}). */
  bins?: PgBinaries;
  /** Where the temp directory goes. @default os.tmpdir() */
  parentDir?: string;
}

/** Replication as the servers report it. */
export interface ReplicationFacts {
  /** Real ms when read. */
  at: number;
  /** Replica: `now() − pg_last_xact_replay_timestamp()` (s); null: nothing replayed yet or unreadable. */
  replayDelaySeconds: number | null;
  /** Replica: still in recovery. */
  inRecovery: boolean | null;
  /** Primary: WAL bytes the slot has not had confirmed (`pg_current_wal_lsn() − restart_lsn`); null: unreadable. */
  slotLagBytes: number | null;
  /** Primary: bytes between the current WAL position and the replica's replay position. */
  replayLagBytes: number | null;
}

/** A primary and its streaming replica, with the two relays. */
export class RealPair {
  readonly primary: PgServer;
  readonly replica: PgServer;
  readonly replication: TcpRelay;
  readonly dns: TcpRelay;
  promotedAt?: number;
  /** Where the DNS relay joins a new connection (a port), when set; otherwise the primary while it runs. */
  dnsTarget?: () => number | undefined;
  private closed = false;

  private constructor(
    readonly baseDir: string,
    primary: PgServer,
    replica: PgServer,
    replication: TcpRelay,
    dns: TcpRelay,
  ) {
    this.primary = primary;
    this.replica = replica;
    this.replication = replication;
    this.dns = dns;
  }

  /**
   * initdb, start the primary, base-backup the replica through the replication relay (creating the
   * slot), start it, wait until it streams. On any failure everything started is stopped and the
   * directory removed before the error is thrown.
   */
  static async start(options: RealPairOptions = {}): Promise<RealPair> {
    const bins = options.bins ?? findPostgres();
    const user = serverUser();
    const ports = {
      primary: await choosePort(options.ports?.primary, 'the primary server'),
      replica: await choosePort(options.ports?.replica, 'the replica server'),
    };
    const parentDir = options.parentDir ?? tmpdir();
    if (user) assertReachable(parentDir);
    const baseDir = mkdtempSync(join(parentDir, 'rds-failover-real-'));
    if (user) chownSync(baseDir, user.uid, user.gid);
    const primaryDir = join(baseDir, 'primary');
    const replicaDir = join(baseDir, 'replica');
    const primary = new PgServer('primary', primaryDir, ports.primary, bins, user, join(baseDir, 'primary.log'));
    const replica = new PgServer('replica', replicaDir, ports.replica, bins, user, join(baseDir, 'replica.log'));
    let pairRef: RealPair | undefined;
    const replication = new TcpRelay({
      name: 'the replication relay',
      port: options.ports?.replication,
      target: () => (primary.state === 'running' ? primary.port : undefined),
    });
    const dns = new TcpRelay({
      name: 'the DNS relay',
      port: options.ports?.dns,
      target: () => (pairRef?.dnsTarget ? pairRef.dnsTarget() : primary.state === 'running' ? primary.port : undefined),
    });
    const pair = new RealPair(baseDir, primary, replica, replication, dns);
    pairRef = pair;
    live.add(pair);
    hookExit();
    try {
      await replication.listen();
      await dns.listen();
      await run(bins.initdb, ['-D', primaryDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '-N'], user, baseDir, 'initdb');
      appendFileSync(join(primaryDir, 'postgresql.conf'), `\n# rds-failover real drill\n${SERVER_CONF.join('\n')}\n`);
      primary.writeHba(HBA_OPEN);
      await primary.start();
      await run(
        bins.pg_basebackup,
        [
          '-h',
          '127.0.0.1',
          '-p',
          String(replication.port),
          '-U',
          'postgres',
          '-D',
          replicaDir,
          '-X',
          'stream',
          '-R',
          '-C',
          '-S',
          SLOT_NAME,
          '-c',
          'fast',
          '-N',
        ],
        user,
        baseDir,
        'pg_basebackup',
      );
      await replica.start();
      await pair.waitStreaming();
      return pair;
    } catch (err) {
      await pair.close();
      throw err;
    }
  }

  /** Until the primary reports the replica streaming. */
  async waitStreaming(timeoutMs = 30_000): Promise<void> {
    const deadline = realNow() + timeoutMs;
    for (;;) {
      const rows = await this.primary.query<{ state: string }>('SELECT state FROM pg_stat_replication').catch(() => []);
      if (rows.some((r) => r.state === 'streaming')) return;
      if (realNow() > deadline) throw new PostgresStartError(`the replica was not streaming within ${timeoutMs} ms:\n${this.replica.logTail()}`);
      await realSleep(100);
    }
  }

  /** The replica receives WAL `ms` late (0: at once). */
  slowReplication(ms: number): void {
    this.replication.resume();
    this.replication.delay(ms);
  }

  /** Replication stops: the open stream is dropped and reconnections refused. */
  cutReplication(): void {
    this.replication.cut();
  }

  resumeReplication(): void {
    this.replication.resume();
    this.replication.delay(0);
  }

  /** SIGKILL the primary (every one of its processes). */
  async crashPrimary(): Promise<void> {
    await this.primary.crash();
  }

  /** Restarts a crashed or stopped primary (with whatever pg_hba.conf it has: a fenced one refuses TCP). */
  async restartPrimary(): Promise<void> {
    await this.primary.start();
  }

  /**
   * Promotes the replica: replication is cut first (as RDS stops it when a promotion starts),
   * then `pg_promote()`, then waits until it is out of recovery. Returns the real ms it was done.
   */
  async promote(): Promise<number> {
    this.cutReplication();
    const rows = await this.replica.query<{ pg_promote: boolean }>('SELECT pg_promote(true, 30)', [], 35_000);
    if (rows[0]?.pg_promote !== true) throw new Error(`pg_promote() on the replica returned ${JSON.stringify(rows[0])}:\n${this.replica.logTail()}`);
    const deadline = realNow() + 30_000;
    while ((await this.replica.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r'))[0]?.r !== false) {
      if (realNow() > deadline) throw new Error('the replica is still in recovery 30 s after pg_promote()');
      await realSleep(50);
    }
    this.promotedAt = realNow();
    return this.promotedAt;
  }

  /**
   * What the servers say about replication now: the replica's `now() −
   * pg_last_xact_replay_timestamp()` (the figure RDS publishes as ReplicaLag), and the
   * primary's slot lag (OldestReplicationSlotLag). Unreadable values are null.
   */
  async replicationFacts(): Promise<ReplicationFacts> {
    const at = realNow();
    const replica =
      this.replica.state === 'running'
        ? await this.replica
            .query<{ d: number | null; r: boolean }>(
              'SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS d, pg_is_in_recovery() AS r',
              [],
              3_000,
            )
            .then((r) => r[0])
            .catch(() => undefined)
        : undefined;
    const primary =
      this.primary.state === 'running'
        ? await this.primary
            .query<{ slot: string | null; replay: string | null }>(
              `SELECT (SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) FROM pg_replication_slots WHERE slot_name = '${SLOT_NAME}') AS slot,
                      (SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication LIMIT 1) AS replay`,
              [],
              3_000,
            )
            .then((r) => r[0])
            .catch(() => undefined)
        : undefined;
    const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
    return {
      at,
      replayDelaySeconds: replica ? num(replica.d) : null,
      inRecovery: replica ? replica.r : null,
      slotLagBytes: primary ? num(primary.slot) : null,
      replayLagBytes: primary ? num(primary.replay) : null,
    };
  }

  /** Synchronous kill and removal (exit hooks). */
  killSync(): void {
    this.primary.killSync();
    this.replica.killSync();
    waitGoneSync([this.primary.pid, this.replica.pid]);
    this.primary.removeSharedMemorySync();
    this.replica.removeSharedMemorySync();
    rmSync(this.baseDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    live.delete(this);
    this.closed = true;
  }

  /** Stops everything (fast shutdown, SIGKILL after 5 s), closes the relays, removes the directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.replication.close(), this.dns.close()]);
    await Promise.all([this.primary.stop(3_000), this.replica.stop(3_000)]);
    this.primary.removeSharedMemorySync();
    this.replica.removeSharedMemorySync();
    rmSync(this.baseDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    live.delete(this);
    unhookExitIfIdle();
  }
}

/**
 * Runs a binary (as the server user), throwing with its output when it fails. Asynchronous: the
 * base backup goes through the replication relay, which runs in this process's event loop.
 */
async function run(bin: string, args: string[], user: { uid: number; gid: number } | undefined, cwd: string, what: string, timeoutMs = 120_000): Promise<void> {
  const child = spawn(bin, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' },
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  let code: number | null;
  try {
    code = await realTimeout(done, timeoutMs, what);
  } catch (err) {
    child.kill('SIGKILL');
    throw new PostgresStartError(`${what} failed (${(err as Error).message}):\n${output.trim().split('\n').slice(-15).join('\n')}`);
  }
  if (code !== 0) throw new PostgresStartError(`${what} failed (exit ${code}):\n${output.trim().split('\n').slice(-15).join('\n')}`);
}

/** Waits (synchronously, at most 2 s) until the processes are gone or zombies. */
function waitGoneSync(pids: Array<number | undefined>): void {
  const deadline = realNow() + 2_000;
  const alive = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !/^\d+ \(.*\) Z/.test(stat);
    } catch {
      return false;
    }
  };
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  while (pids.some((p) => p !== undefined && alive(p)) && realNow() < deadline) Atomics.wait(sleeper, 0, 0, 20);
}

/** For tests: is anything of this pair left (processes or directory)? */
export function leftovers(pair: RealPair): string[] {
  const out: string[] = [];
  if (existsSync(pair.baseDir)) out.push(`directory ${pair.baseDir}`);
  for (const s of [pair.primary, pair.replica]) {
    const pid = s.pid;
    if (pid !== undefined && existsSync(`/proc/${pid}`)) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!/^\d+ \(.*\) Z/.test(stat)) out.push(`${s.name} process ${pid}`);
    }
  }
  return out;
}
