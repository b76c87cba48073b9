/**
 * The database seam: the ONLY module that imports `pg` and `mysql2`. Every function that talks to
 * a database (probe, heartbeat, verify-writes) goes through {@link getSqlConnector}, so the offline
 * cloud twin can answer database connections the way `aws-sdk-client-mock` answers SDK clients: it
 * sets `globalThis[Symbol.for('rds-failover.sql-connector')]` to its own {@link SqlConnector}.
 * Production never sets that symbol and gets {@link defaultConnector} (real sockets, real drivers).
 *
 * TLS: with `ssl: true` the server certificate is verified (`rejectUnauthorized: true`). RDS
 * certificates chain to the RDS CA bundle, which Node does not trust by default: functions that
 * connect with TLS need `NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem` (the bundle the Lambda
 * Node.js runtime ships).
 *
 * Connecting "through the DNS name" (heartbeat, verify-writes): the writer record is a CNAME to the
 * instance endpoint, and RDS certificates name only `*.rds.amazonaws.com` hosts. With TLS on, the
 * default connector therefore follows the CNAME chain itself ({@link resolveEndpoint}) and opens
 * the connection to the endpoint it leads to, so the certificate is verified against the name it
 * carries while the connection still goes where the DNS record points.
 *
 * The drivers and the IAM token signer are imported on first use (lazy.ts): a function loads
 * only the driver of the engine it connects to, and none for a TCP-only probe.
 */
import { promises as dns } from 'node:dns';
import net from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { isUnreachable } from './aws-errors.js';
import { regional } from './clients.js';
import { lazy } from './lazy.js';
import type { Engine } from './config-schema.js';
import { secretArnInRegion } from './config-values.js';

/** Where to connect. `timeoutMs` bounds the connection and every statement. */
export interface SqlTarget {
  engine: Engine;
  host: string;
  port: number;
  user?: string;
  password?: string;
  database?: string;
  timeoutMs: number;
  /** Use TLS and verify the server certificate. */
  ssl?: boolean;
}

/** One open connection. `query` returns the result rows (empty for statements without rows). */
export interface SqlSession {
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** Opens sessions and checks TCP reachability. Errors carry the driver's `code` (ECONNREFUSED, 28P01, ...). */
export interface SqlConnector {
  connect(target: SqlTarget): Promise<SqlSession>;
  /** Resolves when a TCP connection to host:port opens within `timeoutMs`; rejects (code ECONNREFUSED, ETIMEDOUT, ENOTFOUND, ...) otherwise. */
  tcpCheck(host: string, port: number, timeoutMs: number): Promise<void>;
  /** The name a connection to `host` reaches: the end of its CNAME chain (`host` itself without one). See {@link resolveEndpoint}. */
  resolveEndpoint(host: string, timeoutMs: number): Promise<string>;
}

const pgDriver = lazy(() => import('pg'));
const mysqlDriver = lazy(() => import('mysql2/promise'));
const rdsSigner = lazy(() => import('@aws-sdk/rds-signer'));

/** The global symbol through which the cloud twin installs its connector. Production never sets it. */
export const SQL_CONNECTOR_SYMBOL = Symbol.for('rds-failover.sql-connector');

/** `true` for the MySQL-family engines (mysql, aurora-mysql). */
export const isMysqlEngine = (engine: Engine): boolean => engine.includes('mysql');

/** The database to connect to when the config names none: `postgres` for PostgreSQL engines, `mysql` for MySQL engines. */
export const defaultDatabaseName = (engine: Engine): string => (isMysqlEngine(engine) ? 'mysql' : 'postgres');

/** How long a polite close may take before the socket is destroyed. */
const CLOSE_TIMEOUT_MS = 1_000;

/** An error with a Node-style `code`, like the ones `net` raises. */
const codedError = (code: string, message: string): Error => Object.assign(new Error(message), { code });

/** TCP reachability with node:net: connect, then close at once. */
export function tcpCheck(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => finish(codedError('ETIMEDOUT', `TCP connection to ${host}:${port} timed out after ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => finish());
    socket.once('error', (err) => finish(err));
  });
}

/** Follows CNAME records from `host` (at most 8 hops) and returns the last name; `host` itself when it has no CNAME. */
export async function resolveEndpoint(
  host: string,
  timeoutMs: number,
  resolveCname: (name: string) => Promise<string[]> = (n) => dns.resolveCname(n),
): Promise<string> {
  let name = host.replace(/\.$/, '');
  for (let hop = 0; hop < 8; hop++) {
    let next: string[];
    try {
      next = await withTimeout(resolveCname(name), timeoutMs, `resolving ${name}`);
    } catch {
      return name; // no CNAME (ENODATA/ENOTFOUND) or no answer in time: connect to the name as it is
    }
    if (next.length === 0) return name;
    name = next[0]!.replace(/\.$/, '');
  }
  return name;
}

/** With TLS, connect to the endpoint the DNS name leads to (see the module comment). */
async function tlsTarget(target: SqlTarget): Promise<SqlTarget> {
  if (!target.ssl || /\.rds\.amazonaws\.com(\.cn)?\.?$/.test(target.host)) return target;
  return { ...target, host: await resolveEndpoint(target.host, target.timeoutMs) };
}

async function connectPostgres(target: SqlTarget): Promise<SqlSession> {
  const { default: pg } = await pgDriver();
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    connectionTimeoutMillis: target.timeoutMs,
    statement_timeout: target.timeoutMs,
    query_timeout: target.timeoutMs,
    ssl: target.ssl ? { rejectUnauthorized: true } : undefined,
  });
  // A connection dropped while idle is emitted as 'error'; unhandled it would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await withTimeout(client.end(), CLOSE_TIMEOUT_MS, 'closing the connection').catch(() => undefined);
    throw err;
  }
  return {
    async query(sql, params) {
      const result = await client.query(sql, params as unknown[] | undefined);
      return (result.rows ?? []) as Record<string, unknown>[];
    },
    async close() {
      // end() waits for the server to acknowledge; a hung server must not hold the caller.
      await withTimeout(client.end(), CLOSE_TIMEOUT_MS, 'closing the connection').catch(() => {
        (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      });
    },
  };
}

async function connectMysql(target: SqlTarget): Promise<SqlSession> {
  const { default: mysql } = await mysqlDriver();
  const conn = await mysql.createConnection({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    connectTimeout: target.timeoutMs,
    ssl: target.ssl ? { rejectUnauthorized: true } : undefined,
    // IAM authentication tokens travel as a cleartext password: allowed only over verified TLS.
    enableCleartextPlugin: target.ssl === true,
  });
  conn.on('error', () => undefined);
  return {
    async query(sql, params) {
      const [rows] = await conn.query({ sql, values: params, timeout: target.timeoutMs });
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
    },
    async close() {
      await withTimeout(conn.end(), CLOSE_TIMEOUT_MS, 'closing the connection').catch(() => conn.destroy());
    },
  };
}

/** The production connector: pg for PostgreSQL engines, mysql2 for MySQL engines, node:net for TCP. */
export const defaultConnector: SqlConnector = {
  connect: async (target) => {
    const resolved = await tlsTarget(target);
    return isMysqlEngine(resolved.engine) ? connectMysql(resolved) : connectPostgres(resolved);
  },
  tcpCheck,
  resolveEndpoint: (host, timeoutMs) => resolveEndpoint(host, timeoutMs),
};

/** The connector in force: the one installed under {@link SQL_CONNECTOR_SYMBOL} (cloud twin), else {@link defaultConnector}. */
export function getSqlConnector(): SqlConnector {
  return ((globalThis as Record<symbol, unknown>)[SQL_CONNECTOR_SYMBOL] as SqlConnector | undefined) ?? defaultConnector;
}

// ---------------------------------------------------------------- credentials

/** Database login for probes, heartbeats and write checks. */
export interface SqlCredentials {
  user: string;
  password: string;
  /** Where they came from; IAM tokens only work over TLS. */
  source: 'secret' | 'iam';
  /**
   * IAM: the RDS endpoint the token was signed for (what the DNS name led to when it was signed).
   * RDS accepts the token only on a connection to that endpoint: connect to it, with TLS.
   */
  host?: string;
}

export interface CredentialOptions {
  /** Secrets Manager secret (JSON `{username, password}`), read in the Region named in its ARN (or a replica, below). */
  secretArn?: string;
  /** Regions the secret is replicated to (same name and suffix): see {@link secretReadRegions}. */
  secretReplicaRegions?: readonly string[];
  /** The Region the caller runs in: its replica is read first when it is listed. Default: none (the ARN's Region first). */
  ownRegion?: string;
  /**
   * IAM database user: an auth token is signed for the RDS endpoint `host` leads to (its CNAME
   * chain followed), `port`, and the Region in that endpoint's name.
   */
  iamUser?: string;
  host: string;
  port: number;
  /** Bound of the DNS resolution before an IAM token is signed. Default 3000 ms. */
  timeoutMs?: number;
}

/** Credential options for a probe-shaped target (the probe's and the heartbeat's input). */
export function credentialOptionsFor(
  target: { secretArn?: string; secretReplicaRegions?: readonly string[]; iamUser?: string; host: string; port: number; timeoutMs?: number },
  ownRegion: string,
): CredentialOptions {
  return {
    secretArn: target.secretArn,
    secretReplicaRegions: target.secretReplicaRegions,
    ownRegion,
    iamUser: target.iamUser,
    host: target.host,
    port: target.port,
    ...(target.timeoutMs !== undefined ? { timeoutMs: target.timeoutMs } : {}),
  };
}

/** The Region of a Secrets Manager (or any) ARN, `arn:aws:secretsmanager:<region>:<account>:secret:<name>`. */
export function regionOfArn(arn: string): string {
  const region = arn.split(':')[3];
  if (!region) throw new Error(`"${arn}" is not an ARN with a Region`);
  return region;
}

/** The Region in an RDS endpoint (`<id>.<hash>.<region>.rds.amazonaws.com`), or undefined for other names. */
export function regionOfRdsEndpoint(host: string): string | undefined {
  return /\.([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d)\.rds\.amazonaws\.com(?:\.cn)?\.?$/.exec(host)?.[1];
}

/**
 * The Regions to read a secret in, in order: the caller's own Region when the secret is
 * replicated there, else the Region of the ARN; then the other replica Regions in the order
 * listed, then the ARN's Region if not yet tried. Without replicas: the ARN's Region only.
 */
export function secretReadRegions(secretArn: string, replicaRegions: readonly string[] = [], ownRegion?: string): string[] {
  const home = regionOfArn(secretArn);
  const first = ownRegion !== undefined && replicaRegions.includes(ownRegion) ? ownRegion : home;
  return [...new Set([first, ...replicaRegions, home])];
}

/** Reads and parses the secret (by its ARN in `region`: the replica there when `region` is not the ARN's). */
async function readSecret(secretArn: string, region: string): Promise<SqlCredentials> {
  const id = region === regionOfArn(secretArn) ? secretArn : secretArnInRegion(secretArn, region);
  const out = await regional(SecretsManagerClient, region).send(new GetSecretValueCommand({ SecretId: id }));
  if (!out.SecretString) throw new Error(`secret ${id} has no SecretString`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(out.SecretString);
  } catch {
    throw new Error(`secret ${id} is not JSON with username and password`);
  }
  const { username, password } = (parsed ?? {}) as { username?: unknown; password?: unknown };
  if (typeof username !== 'string' || typeof password !== 'string') {
    throw new Error(`secret ${id} lacks a string "username" and "password"`);
  }
  return { user: username, password, source: 'secret' };
}

/** Thrown when no IAM auth token can be signed for where a DNS name leads (not an RDS endpoint). */
export class IamAuthTargetError extends Error {
  override readonly name = 'IamAuthTargetError';
}

/**
 * An IAM auth token for the endpoint a connection to `host` reaches. RDS accepts a token only for
 * the instance or cluster endpoint's own hostname, its port, and the Region of the database
 * (docs/aws-behaviour.md "IAM database authentication"): never for a Route 53 name in front of
 * it, nor signed in the caller's Region. The endpoint is found by following the CNAME chain (the
 * connector's resolver: the twin answers from its Route 53), and the Region is read from it.
 */
export async function iamAuthToken(options: { host: string; port: number; iamUser: string; timeoutMs?: number }): Promise<SqlCredentials> {
  const endpoint = (await getSqlConnector().resolveEndpoint(options.host, options.timeoutMs ?? 3_000)).replace(/\.$/, '').toLowerCase();
  const region = regionOfRdsEndpoint(endpoint);
  if (!region) {
    throw new IamAuthTargetError(
      `IAM database authentication: ${options.host} leads to ${endpoint}, which is not an RDS endpoint (<id>.<hash>.<region>.rds.amazonaws.com): no token can be signed for it`,
    );
  }
  const { Signer } = await rdsSigner();
  const signer = new Signer({ hostname: endpoint, port: options.port, username: options.iamUser, region });
  return { user: options.iamUser, password: await signer.getAuthToken(), source: 'iam', host: endpoint };
}

/**
 * Credentials for a database: from the secret when `secretArn` is set, else an IAM auth token when
 * `iamUser` is set ({@link iamAuthToken}: connect to its `host`), else undefined (probes then check
 * TCP reachability only). The secret is read in
 * the Regions of {@link secretReadRegions}, moving to the next one only when a Region does not
 * answer (timeout, refused connection: {@link isUnreachable}); any other error (access denied, no
 * such secret, a malformed value) is thrown at once. Throws the last error when no Region answers,
 * or a plain Error saying what failed (the callers turn it into an observation).
 */
export async function resolveCredentials(options: CredentialOptions): Promise<SqlCredentials | undefined> {
  if (options.secretArn) {
    let lastError: unknown;
    for (const region of secretReadRegions(options.secretArn, options.secretReplicaRegions, options.ownRegion)) {
      try {
        return await readSecret(options.secretArn, region);
      } catch (err) {
        if (!isUnreachable(err)) throw err;
        lastError = err;
      }
    }
    throw lastError;
  }
  if (options.iamUser) return iamAuthToken({ host: options.host, port: options.port, iamUser: options.iamUser, timeoutMs: options.timeoutMs });
  return undefined;
}

// ---------------------------------------------------------------- heartbeat table

/** Table every heartbeat and write check upserts into: one row per site. */
export const HEARTBEAT_TABLE = 'failover_heartbeat';

/** The statements {@link writeHeartbeat} sends, per engine family (the cloud twin answers these). */
export const HEARTBEAT_SQL = {
  postgres: {
    create: `CREATE TABLE IF NOT EXISTS ${HEARTBEAT_TABLE} (site varchar(64) PRIMARY KEY, at timestamp NOT NULL, epoch bigint)`,
    upsert:
      `INSERT INTO ${HEARTBEAT_TABLE} (site, at, epoch) VALUES ($1, now() AT TIME ZONE 'UTC', $2) ` +
      `ON CONFLICT (site) DO UPDATE SET at = EXCLUDED.at, epoch = EXCLUDED.epoch ` +
      `RETURNING extract(epoch FROM at) AS at_epoch`,
  },
  mysql: {
    create: `CREATE TABLE IF NOT EXISTS ${HEARTBEAT_TABLE} (site varchar(64) PRIMARY KEY, at timestamp(3) NOT NULL, epoch bigint)`,
    upsert:
      `INSERT INTO ${HEARTBEAT_TABLE} (site, at, epoch) VALUES (?, CURRENT_TIMESTAMP(3), ?) ` + `ON DUPLICATE KEY UPDATE at = CURRENT_TIMESTAMP(3), epoch = ?`,
    select: `SELECT UNIX_TIMESTAMP(at) AS at_epoch FROM ${HEARTBEAT_TABLE} WHERE site = ?`,
  },
} as const;

/**
 * PostgreSQL: how much WAL the primary has that its slowest replica has not flushed yet (bytes),
 * from `pg_stat_replication`. Reading the LSN columns needs `pg_monitor` (or
 * `pg_read_all_stats`); without it they are NULL. `replicas` counts the walsenders, `readable`
 * those whose `flush_lsn` the user may see.
 */
export const REPLICATION_SQL = {
  postgres:
    'SELECT count(*) AS replicas, count(flush_lsn) AS readable, ' +
    'max(pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)) AS bytes_behind FROM pg_stat_replication',
} as const;

/**
 * The bytes of WAL the primary's slowest replica has not flushed (PostgreSQL), or undefined when
 * it cannot be told: another engine, no replica streaming, LSNs not visible to this user, or any
 * error (a server in recovery has no current WAL position). Never throws: the heartbeat's own
 * result must not depend on it.
 */
export async function walBytesBehind(session: SqlSession, engine: Engine): Promise<number | undefined> {
  // RDS for PostgreSQL only: Aurora's storage replication does not show in pg_stat_replication.
  if (engine !== 'postgres') return undefined;
  try {
    const row = (await session.query(REPLICATION_SQL.postgres))[0];
    const replicas = Number(row?.replicas);
    const readable = Number(row?.readable);
    const bytes = row?.bytes_behind === null || row?.bytes_behind === undefined ? Number.NaN : Number(row.bytes_behind);
    if (!(replicas > 0) || readable !== replicas || !Number.isFinite(bytes)) return undefined;
    return Math.max(0, bytes);
  } catch {
    return undefined;
  }
}

/**
 * PostgreSQL: what the database user may do that the heartbeat, the probes' write and the write
 * check need (docs/config.md `credentials`), read-only: `CREATE` on the schema the heartbeat table
 * goes in (its `CREATE TABLE IF NOT EXISTS` needs it even when the table exists), and when the table
 * exists `INSERT`, `UPDATE` (the upsert) and `SELECT` (its `RETURNING`) on it; membership of
 * `pg_monitor` (the heartbeat's `pg_stat_replication` LSNs, `WalBytesBehind`). The `oid` forms of
 * `has_table_privilege` return NULL for a missing table instead of raising.
 */
export const GRANTS_SQL = {
  postgres:
    'SELECT current_user AS username, current_schema() AS schema_name, ' +
    `has_schema_privilege(current_schema(), 'CREATE') AS schema_create, ` +
    `to_regclass('${HEARTBEAT_TABLE}') IS NOT NULL AS table_exists, ` +
    `has_table_privilege(to_regclass('${HEARTBEAT_TABLE}')::oid, 'INSERT') AS table_insert, ` +
    `has_table_privilege(to_regclass('${HEARTBEAT_TABLE}')::oid, 'UPDATE') AS table_update, ` +
    `has_table_privilege(to_regclass('${HEARTBEAT_TABLE}')::oid, 'SELECT') AS table_select, ` +
    `pg_has_role(current_user, 'pg_monitor', 'MEMBER') AS pg_monitor`,
  /** MySQL: the current user's grants, one `GRANT ... ON scope TO user` per row (parsed by {@link parseMysqlGrants}). */
  mysql: 'SHOW GRANTS',
} as const;

/**
 * The answer of {@link GRANTS_SQL}. PostgreSQL: null table privileges when the table does not
 * exist, a null schema when none is in the search path. MySQL: `schema` is the database,
 * `tableExists` null (grants are by name: they hold whether or not the table exists yet).
 */
export interface DatabaseGrants {
  user: string;
  schema: string | null;
  schemaCreate: boolean | null;
  tableExists: boolean | null;
  tableInsert: boolean | null;
  tableUpdate: boolean | null;
  tableSelect: boolean | null;
  pgMonitor: boolean;
}

const bool = (v: unknown): boolean | null => (v === null || v === undefined ? null : v === true || v === 't' || v === 1 || v === '1' || v === 'true');

const unquote = (s: string): string =>
  s
    .trim()
    .replace(/^[`'"]|[`'"]$/g, '')
    .replace(/\\([_%\\])/g, '$1');

/**
 * What MySQL's `SHOW GRANTS` lines give the user on `database`.`failover_heartbeat`: `CREATE`,
 * `SELECT`, `INSERT`, `UPDATE` granted on `*.*`, on `` `database`.* `` or on the table itself
 * (`ALL [PRIVILEGES]` counts as each; a column-level grant does not count). Role grants
 * (`GRANT role TO user`) are not followed.
 */
export function parseMysqlGrants(lines: readonly string[], database: string): DatabaseGrants {
  const held = new Set<string>();
  let user = '';
  for (const line of lines) {
    const m = /^GRANT (.+?) ON (\S+) TO (\S+)/i.exec(line.trim());
    if (!m) continue;
    user ||= m[3]!; // the account as MySQL writes it (`u`@`%`): the GRANT's target
    const [db, table] = m[2]!.split('.').map(unquote) as [string, string | undefined];
    const applies = (db === '*' && table === '*') || (db === database && (table === '*' || table === HEARTBEAT_TABLE));
    if (!applies) continue;
    // A column-level grant (`UPDATE (at)`) does not cover the heartbeat's columns for sure: not counted.
    for (const p of m[1]!
      .replace(/\s*\([^)]*\)/g, '#columns')
      .split(',')
      .map((x) => x.trim().toUpperCase())) {
      if (p.endsWith('#COLUMNS')) continue;
      if (p === 'ALL' || p === 'ALL PRIVILEGES') ['CREATE', 'SELECT', 'INSERT', 'UPDATE'].forEach((x) => held.add(x));
      else held.add(p);
    }
  }
  return {
    user,
    schema: database,
    schemaCreate: held.has('CREATE'),
    tableExists: null,
    tableInsert: held.has('INSERT'),
    tableUpdate: held.has('UPDATE'),
    tableSelect: held.has('SELECT'),
    pgMonitor: false,
  };
}

/** Reads the user's grants on `database` (the one the session is connected to); throws the driver's error. */
export async function readGrants(session: SqlSession, engine: Engine, database = defaultDatabaseName(engine)): Promise<DatabaseGrants> {
  if (isMysqlEngine(engine)) {
    const rows = await session.query(GRANTS_SQL.mysql);
    return parseMysqlGrants(
      rows.map((r) => String(Object.values(r)[0] ?? '')),
      database,
    );
  }
  const row = (await session.query(GRANTS_SQL.postgres))[0] ?? {};
  return {
    user: String(row.username ?? ''),
    schema: row.schema_name === null || row.schema_name === undefined ? null : String(row.schema_name),
    schemaCreate: bool(row.schema_create),
    tableExists: bool(row.table_exists) === true,
    tableInsert: bool(row.table_insert),
    tableUpdate: bool(row.table_update),
    tableSelect: bool(row.table_select),
    pgMonitor: bool(row.pg_monitor) === true,
  };
}

/** "relation/table already exists" raised when two writers create the table at the same moment. */
const ALREADY_EXISTS = new Set(['42P07', '23505', 'ER_TABLE_EXISTS_ERROR']);

/**
 * Writes the heartbeat row of `site` (creating the table if needed) and returns the row's time as
 * ISO 8601, read back from the database (its clock, UTC). Throws the driver's error when the
 * write fails (a read-only server: PostgreSQL 25006, MySQL ER_OPTION_PREVENTS_STATEMENT/ER_READ_ONLY_MODE).
 */
export async function writeHeartbeat(session: SqlSession, engine: Engine, row: { site: string; epoch?: number | null }): Promise<string> {
  const epoch = row.epoch ?? null;
  const sql = isMysqlEngine(engine) ? HEARTBEAT_SQL.mysql : HEARTBEAT_SQL.postgres;
  try {
    await session.query(sql.create);
  } catch (err) {
    if (!ALREADY_EXISTS.has(String((err as { code?: unknown }).code))) throw err;
  }
  let rows: Record<string, unknown>[];
  if (isMysqlEngine(engine)) {
    await session.query(HEARTBEAT_SQL.mysql.upsert, [row.site, epoch, epoch]);
    rows = await session.query(HEARTBEAT_SQL.mysql.select, [row.site]);
  } else {
    rows = await session.query(HEARTBEAT_SQL.postgres.upsert, [row.site, epoch]);
  }
  const seconds = Number(rows[0]?.at_epoch);
  if (!Number.isFinite(seconds)) throw new Error(`heartbeat write for site "${row.site}" returned no time`);
  return new Date(Math.round(seconds * 1000)).toISOString();
}

// ---------------------------------------------------------------- helpers for callers

/** Rejects with an ETIMEDOUT-coded error when `promise` has not settled within `ms` (the promise is left to settle on its own). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(codedError('ETIMEDOUT', `${what} timed out after ${Math.max(0, Math.round(ms))} ms`)), Math.max(0, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The driver/Node error code of a database error (SQLSTATE for PostgreSQL, ER_* for MySQL, E* for sockets), if any. */
export const sqlErrorCode = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
};

/** One line for an incident timeline: `<code>: <message>` (never the password: drivers do not put it in messages). */
export const describeSqlError = (err: unknown): string => {
  const name = err instanceof Error && err.name !== 'Error' ? err.name : undefined;
  const code = sqlErrorCode(err) ?? name;
  const message = err instanceof Error ? err.message : String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
};
