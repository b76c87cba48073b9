/**
 * The twin's implementation of the product's SQL seam (lambdas/shared/sql.ts):
 * `globalThis[Symbol.for('rds-failover.sql-connector')]` = `SqlConnector`. Connections go through
 * the network model (DNS, outages, partitions, fencing, status); sessions understand the
 * statements the product's probes and heartbeat send:
 * - `SELECT 1`, `SELECT now()`, `SELECT pg_is_in_recovery()`, `SELECT @@global.read_only`;
 * - the heartbeat's `pg_stat_replication` query (lambdas/shared/sql.ts REPLICATION_SQL): the
 *   instance's streaming replicas and the WAL the slowest has not received (the model of
 *   `OldestReplicationSlotLag`); a replica refuses it as PostgreSQL does in recovery; without
 *   `pg_monitor` its LSNs are NULL (`readable` 0), as PostgreSQL hides them;
 * - the preflight's grant query (lambdas/shared/sql.ts GRANTS_SQL), answered from the world's
 *   `network.grants` (the failover user's privileges); `CREATE TABLE failover_heartbeat` without
 *   `CREATE` on the schema and writes to it without `INSERT` are refused (42501) as PostgreSQL does;
 *   on MySQL, `SHOW GRANTS` lists the same privileges on the session's database, and the same
 *   statements are refused with ER_TABLEACCESS_DENIED_ERROR;
 * - `CREATE TABLE [IF NOT EXISTS] t (...)`, `INSERT INTO t (cols) VALUES (...)` with
 *   `ON CONFLICT (col) DO UPDATE ...` / `ON DUPLICATE KEY UPDATE ...` (the row is replaced),
 *   `UPDATE` / `DELETE` (recorded as writes; row effects are not modelled);
 * - `SELECT cols FROM t [WHERE col = value [AND ...]] [LIMIT n]`;
 * - `BEGIN`, `COMMIT`, `ROLLBACK`, `SET ...` (no-ops).
 * Anything else throws a TwinSqlUnsupported error (never a silent empty result).
 * A replica refuses writes with the engine's read-only error; every accepted write is recorded.
 */
import { currentCaller } from './context.js';
import { isIamAuthToken, iamTokenRefusal } from './iam-db-auth.js';
import { evaluate } from './iam.js';
import type { TwinCallContext } from './context.js';
import { NetworkError, type DbTarget, type SessionState } from './network.js';
import type { World } from './world.js';

import { GRANTS_SQL, HEARTBEAT_TABLE, REPLICATION_SQL, type SqlConnector, type SqlSession, type SqlTarget } from '../lambdas/shared/sql.js';

export type { SqlConnector, SqlSession, SqlTarget };

/** The global symbol the product looks up. */
export const SQL_CONNECTOR_SYMBOL = Symbol.for('rds-failover.sql-connector');

/** Thrown for SQL the twin does not model. */
export class TwinSqlUnsupportedError extends Error {
  override readonly name = 'TwinSqlUnsupported';
}

/** A database-level error (pg: `code` is the SQLSTATE; mysql: `code` is the ER_ name, `errno` set). */
export class DbError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly errno?: number,
  ) {
    super(message);
    this.name = 'error';
  }
}

const isPg = (engine: string) => engine.includes('postgres');

function readOnlyError(engine: string, verb: string): DbError {
  return isPg(engine)
    ? new DbError(`cannot execute ${verb} in a read-only transaction`, '25006')
    : new DbError('The MySQL server is running with the --read-only option so it cannot execute this statement', 'ER_OPTION_PREVENTS_STATEMENT', 1290);
}

/** Splits a comma-separated list, respecting quotes and parentheses. */
function splitList(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (const ch of s) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = '';
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const ident = (s: string) =>
  s
    .trim()
    .replace(/^["`]|["`]$/g, '')
    .toLowerCase();

/** The content of the parenthesized group opening at `open` (which must be '('), and the index after it. */
function balanced(s: string, open: number): { inner: string; end: number } | undefined {
  if (s[open] !== '(') return undefined;
  let depth = 0;
  let quote = '';
  for (let i = open; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === quote) quote = '';
      continue;
    }
    if (ch === "'") quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return { inner: s.slice(open + 1, i), end: i + 1 };
  }
  return undefined;
}

const epochSeconds = (v: unknown): number | null => (v instanceof Date ? v.getTime() / 1000 : v === null || v === undefined ? null : Number(v));

/**
 * A select-list item: `col`, `col AS alias`, `extract(epoch FROM col) [AS alias]`,
 * `UNIX_TIMESTAMP(col) [AS alias]`, or `*`. Returns (row) => [name, value] pairs.
 */
function columnReader(item: string): (values: Record<string, unknown>) => [string, unknown][] {
  const t = item.trim();
  if (t === '*') return (v) => Object.entries(v);
  const m = /^(.+?)(?:\s+as\s+([\w"`]+))?$/i.exec(t)!;
  const expr = m[1]!.trim();
  const alias = m[2] ? ident(m[2]) : undefined;
  let fm: RegExpExecArray | null;
  if ((fm = /^extract\(\s*epoch\s+from\s+([\w"`]+)\s*\)$/i.exec(expr))) {
    const col = ident(fm[1]!);
    return (v) => [[alias ?? 'extract', epochSeconds(v[col])]];
  }
  if ((fm = /^unix_timestamp\(\s*([\w"`]+)\s*\)$/i.exec(expr))) {
    const col = ident(fm[1]!);
    return (v) => [[alias ?? expr, epochSeconds(v[col])]];
  }
  if (/^[\w"`]+$/.test(expr)) {
    const col = ident(expr);
    return (v) => [[alias ?? col, v[col]]];
  }
  throw new TwinSqlUnsupportedError(`twin SQL: unsupported select-list expression ${t}`);
}

/**
 * Parsing is memoized per statement text (the product and the application clients send the same
 * few statements thousands of times a drill): each memo holds only what the text alone decides,
 * and an error the text alone causes is kept as a function that throws it afresh where the
 * statement would have thrown it, so the order of checks and every answer stay as they were.
 * A memo is cleared when it reaches {@link MEMO_LIMIT} entries (statements with inlined values).
 */
const MEMO_LIMIT = 2000;
function memo<T>(cache: Map<string, T>, key: string, make: (key: string) => T): T {
  let v = cache.get(key);
  if (v === undefined) {
    if (cache.size >= MEMO_LIMIT) cache.clear();
    cache.set(key, (v = make(key)));
  }
  return v;
}

/** A function that throws what `f` threw (a fresh error of the same class and message each time). */
function rethrower(err: unknown): () => never {
  if (err instanceof TwinSqlUnsupportedError)
    return () => {
      throw new TwinSqlUnsupportedError(err.message);
    };
  return () => {
    throw err;
  };
}

type Projector = (values: Record<string, unknown>) => Record<string, unknown>;
const projectors = new Map<string, Projector>();
/** The select (or RETURNING) list `cols` compiled once; an unsupported item throws when a row is projected, as before. */
const projectorOf = (cols: string): Projector =>
  memo(projectors, cols, () => {
    try {
      const readers = splitList(cols).map((c) => columnReader(c));
      return (values) => Object.fromEntries(readers.flatMap((r) => r(values)));
    } catch (err) {
      return rethrower(err);
    }
  });

const project = (cols: string, values: Record<string, unknown>): Record<string, unknown> => projectorOf(cols)(values);

/** What a value expression is, decided by its text: a parameter, a constant, `now()`, or unsupported. */
type ValueForm =
  { kind: 'param'; index: number } | { kind: 'positional' } | { kind: 'constant'; value: unknown } | { kind: 'now' } | { kind: 'unsupported'; message: string };
const valueForms = new Map<string, ValueForm>();
const valueFormOf = (expr: string): ValueForm =>
  memo(valueForms, expr, () => {
    const e = expr.trim();
    const m = /^\$(\d+)$/.exec(e);
    if (m) return { kind: 'param', index: Number(m[1]) - 1 };
    if (e === '?') return { kind: 'positional' };
    if (/^'.*'$/s.test(e)) return { kind: 'constant', value: e.slice(1, -1).replace(/''/g, "'") };
    if (/^-?\d+(\.\d+)?$/.test(e)) return { kind: 'constant', value: Number(e) };
    if (/^(now\(\)|current_timestamp(\(\d?\))?|localtimestamp)(\s+at\s+time\s+zone\s+'utc')?$/i.test(e)) return { kind: 'now' };
    if (/^(true|false)$/i.test(e)) return { kind: 'constant', value: e.toLowerCase() === 'true' };
    if (/^null$/i.test(e)) return { kind: 'constant', value: null };
    return { kind: 'unsupported', message: `twin SQL: unsupported value expression ${e}` };
  });

/**
 * The real `Date` (while a drill runs, the global one is the fake clock's subclass, whose
 * constructor costs a property definition per call; its instances are plain Dates all the same).
 */
const RealDate: DateConstructor = (Date as { isFake?: boolean }).isFake ? (Object.getPrototypeOf(Date) as DateConstructor) : Date;

/** The normalized text of a statement: trimmed, no final `;`, runs of blanks as one space. */
const normalized = new Map<string, string>();
const normalize = (sql: string): string => memo(normalized, sql, () => sql.trim().replace(/;\s*$/, '').replace(/\s+/g, ' '));

/** Which statement a (normalized) text is, in the order `query` tries them. */
type StatementForm =
  | { kind: 'select1' }
  | { kind: 'now' }
  | { kind: 'recovery'; alias: string }
  | { kind: 'replication' }
  | { kind: 'grants' }
  | { kind: 'show-grants' }
  | { kind: 'read-only'; name: string }
  | { kind: 'no-op' }
  | { kind: 'write'; verb: string }
  | { kind: 'select'; cols: string; table: string; where?: Array<{ col: string; expr: string } | { unsupported: string }>; limit?: number }
  | { kind: 'unsupported' };
const statementForms = new Map<string, StatementForm>();
const statementFormOf = (norm: string): StatementForm =>
  memo(statementForms, norm, () => {
    let m: RegExpExecArray | null;
    if (/^select 1$/i.test(norm)) return { kind: 'select1' };
    if (/^select (now\(\)|current_timestamp)$/i.test(norm)) return { kind: 'now' };
    if (norm === normalize(REPLICATION_SQL.postgres)) return { kind: 'replication' };
    if (norm === normalize(GRANTS_SQL.postgres)) return { kind: 'grants' };
    if (/^show grants$/i.test(norm)) return { kind: 'show-grants' };
    if (/^select pg_is_in_recovery\(\)( as \w+)?$/i.test(norm)) return { kind: 'recovery', alias: /as (\w+)$/i.exec(norm)?.[1] ?? 'pg_is_in_recovery' };
    if ((m = /^select @@(global\.)?read_only( as (\w+))?$/i.exec(norm))) return { kind: 'read-only', name: m[3] ?? `@@${m[1] ?? ''}read_only` };
    if (/^(begin|commit|rollback|start transaction|set .*)$/i.test(norm)) return { kind: 'no-op' };
    const verb = /^(\w+)/.exec(norm)?.[1]?.toUpperCase() ?? '';
    if (['INSERT', 'UPDATE', 'DELETE', 'CREATE', 'ALTER', 'DROP', 'REPLACE', 'TRUNCATE'].includes(verb)) return { kind: 'write', verb };
    if ((m = /^select (.+?) from ([\w."`]+)(?: where (.+?))?(?: order by .+?)?(?: limit (\d+))?$/i.exec(norm))) {
      const where = m[3]
        ? m[3].split(/ and /i).map((c) => {
            const cm = /^([\w"`]+)\s*=\s*(.+)$/.exec(c.trim());
            return cm ? { col: ident(cm[1]!), expr: cm[2]! } : { unsupported: `twin SQL: unsupported WHERE condition ${c}` };
          })
        : undefined;
      return { kind: 'select', cols: m[1]!, table: ident(m[2]!), ...(where ? { where } : {}), ...(m[4] ? { limit: Number(m[4]) } : {}) };
    }
    return { kind: 'unsupported' };
  });

/** What a write statement's text decides (see `TwinSession.write`). */
type WriteForm =
  | { kind: 'create'; table: string; ifNotExists: boolean; pk?: string }
  | { kind: 'insert'; table: string; cols: string[]; valueExprs: string[]; onConflict?: string; action?: string; returning?: string; upsert: boolean }
  | { kind: 'insert-unsupported'; message: string }
  | { kind: 'other' }
  | { kind: 'unsupported'; message: string };
const writeForms = new Map<string, WriteForm>();
const writeFormOf = (norm: string): WriteForm =>
  memo(writeForms, norm, () => {
    let m: RegExpExecArray | null;
    if ((m = /^create table (if not exists )?([\w."`]+)/i.exec(norm))) {
      // the primary-key column (`col type PRIMARY KEY` or `PRIMARY KEY (col)`), for duplicate checks
      const def = balanced(norm, norm.indexOf('(', m[0].length));
      const pk = def
        ? (/primary key ?\(\s*([\w"`]+)/i.exec(def.inner)?.[1] ??
          splitList(def.inner)
            .find((c) => /primary key/i.test(c))
            ?.split(/\s+/)[0])
        : undefined;
      return { kind: 'create', table: ident(m[2]!), ifNotExists: Boolean(m[1]), ...(pk ? { pk: ident(pk) } : {}) };
    }
    if ((m = /^(?:insert|replace) into ([\w."`]+) ?(?=\()/i.exec(norm))) {
      const table = ident(m[1]!);
      const colsGroup = balanced(norm, m[0].length);
      const valuesAt = colsGroup ? /^ ?values ?/i.exec(norm.slice(colsGroup.end)) : null;
      const valsGroup = colsGroup && valuesAt ? balanced(norm, colsGroup.end + valuesAt[0].length) : undefined;
      if (!colsGroup || !valsGroup) return { kind: 'insert-unsupported', message: `twin SQL: unsupported INSERT form: ${norm.slice(0, 120)}` };
      const tail = norm.slice(valsGroup.end).trim();
      const tm = /^(?:on conflict ?\(([^)]+)\) do (update .+?|nothing)|on duplicate key update .+?)?(?: ?returning (.+))?$/i.exec(tail);
      if (!tm) return { kind: 'insert-unsupported', message: `twin SQL: unsupported INSERT clause: ${tail.slice(0, 120)}` };
      return {
        kind: 'insert',
        table,
        cols: splitList(colsGroup.inner).map(ident),
        valueExprs: splitList(valsGroup.inner),
        ...(tm[1] ? { onConflict: ident(tm[1]) } : {}),
        ...(tm[2] !== undefined ? { action: tm[2] } : {}),
        ...(tm[3] ? { returning: tm[3] } : {}),
        upsert: tail.length > 0 && !/^returning/i.test(tail) ? true : /^replace/i.test(norm),
      };
    }
    if (!/^(update|delete|alter|drop|truncate) /i.test(norm))
      return { kind: 'unsupported', message: `twin SQL: unsupported write statement: ${norm.slice(0, 120)}` };
    return { kind: 'other' };
  });

const WRITE_VERBS = new Set(['INSERT', 'UPDATE', 'DELETE', 'CREATE', 'ALTER', 'DROP', 'REPLACE', 'TRUNCATE']);

/**
 * A real server behind a twin instance or cluster (`failover drill --real-postgres`, twin/real):
 * given the twin's target of a connection the network admitted, the session to open on the real
 * server, or undefined to answer from the model as usual.
 */
export type RealSqlResolver = (db: object, caller: TwinCallContext, target: SqlTarget) => Promise<SqlSession> | undefined;
const realResolvers = new WeakMap<World, RealSqlResolver>();

/** Backs a world's instances with real servers (see {@link RealSqlResolver}); returns the detach function. */
export function attachRealSql(world: World, resolver: RealSqlResolver): () => void {
  realResolvers.set(world, resolver);
  return () => realResolvers.delete(world);
}

class TwinSession implements SqlSession {
  private positional = 0;
  constructor(
    private readonly world: World,
    private readonly state: SessionState,
    private readonly engine: string,
    /** The real server's session when the target is backed by one: statements run there (the network still decides reachability). */
    private readonly real?: SqlSession,
    /** The user the session logged in as (the grant query's `current_user`). */
    private readonly user?: string,
    /** The database it connected to (MySQL's `SHOW GRANTS` scope). */
    private readonly database: string = 'mysql',
  ) {}

  /** Runs the statement on the real server; records writes it accepted or refused as read-only, as the model does. */
  private async realQuery(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    const norm = normalize(sql);
    const write = WRITE_VERBS.has(/^(\w+)/.exec(norm)?.[1]?.toUpperCase() ?? '');
    try {
      const rows = await this.real!.query(sql, params);
      if (write) this.world.network.recordWrite(this.target, this.state.caller, norm);
      return rows;
    } catch (err) {
      if (write && (err as { code?: unknown }).code === '25006') this.world.network.recordWrite(this.target, this.state.caller, norm, true);
      throw err;
    }
  }

  /** The instance (or cluster) the session is connected to (the drill's application clients read it). */
  get targetId(): string {
    return this.state.target.db.id;
  }

  private get target(): DbTarget {
    return this.state.target;
  }

  private checkAlive(): void {
    const s = this.state;
    if (!s.alive) throw new NetworkError(`Connection terminated unexpectedly (${s.deathReason ?? 'closed'})`, 'ECONNRESET', 1);
    const db = s.target.db;
    const caller = s.caller;
    if (this.world.isRegionOut(db.region) || this.world.isRegionOut(caller.region) || this.world.network.isPartitioned(caller.vantage, db)) {
      throw new NetworkError('Query read timeout (no answer from the server)', 'ETIMEDOUT', 30_000);
    }
  }

  private value(expr: string, params: unknown[]): unknown {
    const form = valueFormOf(expr);
    switch (form.kind) {
      case 'param':
        return params[form.index];
      case 'positional':
        return params[this.positional++];
      case 'constant':
        return form.value;
      case 'now':
        return new RealDate(this.world.clock.now());
      default:
        throw new TwinSqlUnsupportedError(form.message);
    }
  }

  /**
   * `pg_stat_replication` on this server: one walsender per streaming replica (RDS streams a
   * cross-Region replica through a physical slot), and the WAL the slowest one lacks.
   */
  private replication(pg: boolean): Record<string, unknown> {
    if (!pg) throw new DbError("Table 'pg_stat_replication' doesn't exist", 'ER_NO_SUCH_TABLE', 1146);
    if (this.world.network.readOnly(this.target)) throw new DbError('recovery is in progress', '55000');
    if (this.target.kind !== 'instance') return { replicas: 0, readable: 0, bytes_behind: null };
    const bytes = this.world.rds.replicationSlotLagMetric(this.target.db);
    if (bytes === undefined) return { replicas: 0, readable: 0, bytes_behind: null };
    const n = this.target.db.replicas.length;
    // Without pg_monitor (or pg_read_all_stats) PostgreSQL shows the walsenders but NULL LSNs.
    if (!this.world.network.grants.pgMonitor) return { replicas: n, readable: 0, bytes_behind: null };
    return { replicas: n, readable: n, bytes_behind: String(bytes) };
  }

  /** The grant query: the failover user's privileges (`network.grants`) and whether the heartbeat table exists here. */
  private grants(pg: boolean): Record<string, unknown> {
    if (!pg)
      throw new DbError(
        "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '::oid, 'INSERT')'",
        'ER_PARSE_ERROR',
        1064,
      );
    const g = this.world.network.grants;
    const exists = this.world.network.visibleRows(this.target, HEARTBEAT_TABLE) !== undefined;
    const onTable = (granted: boolean) => (exists ? granted : null);
    return {
      username: this.user ?? 'failover',
      schema_name: 'public',
      schema_create: g.schemaCreate,
      table_exists: exists,
      table_insert: onTable(g.tableInsert),
      table_update: onTable(g.tableUpdate),
      table_select: onTable(g.tableSelect),
      pg_monitor: g.pgMonitor,
    };
  }

  /** MySQL's `SHOW GRANTS` of the failover user: its privileges (`network.grants`) on the database it connected to. */
  private showGrants(pg: boolean): Record<string, unknown>[] {
    if (pg) throw new DbError('syntax error at or near "GRANTS"', '42601');
    const g = this.world.network.grants;
    const account = `\`${this.user ?? 'failover'}\`@\`%\``;
    const privileges = [g.schemaCreate && 'CREATE', g.tableSelect && 'SELECT', g.tableInsert && 'INSERT', g.tableUpdate && 'UPDATE'].filter(Boolean);
    const key = `Grants for ${this.user ?? 'failover'}@%`;
    return [
      { [key]: `GRANT USAGE ON *.* TO ${account}` },
      ...(privileges.length ? [{ [key]: `GRANT ${privileges.join(', ')} ON \`${this.database}\`.* TO ${account}` }] : []),
    ];
  }

  /** PostgreSQL's refusal of a statement on the heartbeat table the failover user has no privilege for. */
  private checkHeartbeatGrant(form: WriteForm): void {
    const g = this.world.network.grants;
    if (!isPg(this.engine)) {
      // MySQL: CREATE TABLE needs CREATE (checked before the table's existence), INSERT ... ON DUPLICATE KEY UPDATE needs INSERT and UPDATE.
      if (form.kind === 'create' && form.table === HEARTBEAT_TABLE && !g.schemaCreate)
        throw new DbError(`CREATE command denied to user '${this.user ?? 'failover'}'@'%' for table '${HEARTBEAT_TABLE}'`, 'ER_TABLEACCESS_DENIED_ERROR', 1142);
      if (form.kind === 'insert' && form.table === HEARTBEAT_TABLE && (!g.tableInsert || (form.upsert && !g.tableUpdate)))
        throw new DbError(`INSERT command denied to user '${this.user ?? 'failover'}'@'%' for table '${HEARTBEAT_TABLE}'`, 'ER_TABLEACCESS_DENIED_ERROR', 1142);
      return;
    }
    if (form.kind === 'create' && form.table === HEARTBEAT_TABLE && !g.schemaCreate) throw new DbError('permission denied for schema public', '42501');
    if (form.kind === 'insert' && form.table === HEARTBEAT_TABLE) {
      const denied = !g.tableInsert || (form.upsert && !g.tableUpdate) || (form.returning !== undefined && !g.tableSelect);
      if (denied) throw new DbError(`permission denied for table ${HEARTBEAT_TABLE}`, '42501');
    }
  }

  async query(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    this.checkAlive();
    if (this.real) return this.realQuery(sql, params);
    this.positional = 0;
    const norm = normalize(sql);
    const pg = isPg(this.engine);
    const form = statementFormOf(norm);
    switch (form.kind) {
      case 'select1':
        return [pg ? { '?column?': 1 } : { '1': 1 }];
      case 'now':
        return [{ now: new RealDate(this.world.clock.now()) }];
      case 'recovery':
        if (!pg) throw new DbError('FUNCTION pg_is_in_recovery does not exist', 'ER_SP_DOES_NOT_EXIST', 1305);
        return [{ [form.alias]: this.world.network.readOnly(this.target) }];
      case 'replication':
        return [this.replication(pg)];
      case 'grants':
        return [this.grants(pg)];
      case 'show-grants':
        return this.showGrants(pg);
      case 'read-only':
        if (pg) throw new DbError('syntax error at or near "@@"', '42601');
        return [{ [form.name]: this.world.network.readOnly(this.target) ? 1 : 0 }];
      case 'no-op':
        return [];
      case 'write':
        return this.write(form.verb, norm, params);
      case 'select': {
        const table = form.table;
        if (table === HEARTBEAT_TABLE && !this.world.network.grants.tableSelect) {
          throw pg
            ? new DbError(`permission denied for table ${table}`, '42501')
            : new DbError(`SELECT command denied to user '${this.user ?? 'failover'}'@'%' for table '${table}'`, 'ER_TABLEACCESS_DENIED_ERROR', 1142);
        }
        const rows = this.world.network.visibleRows(this.target, table);
        if (!rows)
          throw pg ? new DbError(`relation "${table}" does not exist`, '42P01') : new DbError(`Table '${table}' doesn't exist`, 'ER_NO_SUCH_TABLE', 1146);
        const conds = form.where
          ? form.where.map((c) => {
              if ('unsupported' in c) throw new TwinSqlUnsupportedError(c.unsupported);
              return [c.col, this.value(c.expr, params)] as const;
            })
          : [];
        let out = rows.filter((r) =>
          conds.every(([k, v]) => r.values[k] === v || (r.values[k] instanceof Date && v instanceof Date && (r.values[k] as Date).getTime() === v.getTime())),
        );
        if (form.limit !== undefined) out = out.slice(0, form.limit);
        return out.map((r) => project(form.cols, r.values));
      }
      default:
        throw new TwinSqlUnsupportedError(`twin SQL: unsupported statement: ${norm.slice(0, 120)}`);
    }
  }

  private write(verb: string, norm: string, params: unknown[]): Record<string, unknown>[] {
    const caller = this.state.caller;
    if (this.world.network.readOnly(this.target)) {
      this.world.network.recordWrite(this.target, caller, norm, true);
      throw readOnlyError(this.engine, verb);
    }
    if (this.target.kind === 'instance' && this.target.db.status === 'storage-full') {
      throw isPg(this.engine)
        ? new DbError('could not extend file: No space left on device', '53100')
        : new DbError('The table is full', 'ER_RECORD_FILE_FULL', 1114);
    }
    const store = this.world.network.tableStore(this.target.db);
    const form = writeFormOf(norm);
    this.checkHeartbeatGrant(form);
    let result: Record<string, unknown>[] = [];
    if (form.kind === 'create') {
      const table = form.table;
      if (store.has(table)) {
        if (!form.ifNotExists)
          throw isPg(this.engine)
            ? new DbError(`relation "${table}" already exists`, '42P07')
            : new DbError(`Table '${table}' already exists`, 'ER_TABLE_EXISTS_ERROR', 1050);
      } else {
        store.set(table, Object.assign([], { pk: form.pk }));
      }
    } else if (form.kind === 'insert-unsupported') {
      throw new TwinSqlUnsupportedError(form.message);
    } else if (form.kind === 'insert') {
      const table = form.table;
      const rows = store.get(table);
      if (!rows)
        throw isPg(this.engine)
          ? new DbError(`relation "${table}" does not exist`, '42P01')
          : new DbError(`Table '${table}' doesn't exist`, 'ER_NO_SUCH_TABLE', 1146);
      const cols = form.cols;
      const vals = form.valueExprs.map((v) => this.value(v, params));
      if (cols.length !== vals.length)
        throw isPg(this.engine)
          ? new DbError('INSERT has more target columns than expressions', '42601')
          : new DbError("Column count doesn't match value count at row 1", 'ER_WRONG_VALUE_COUNT_ON_ROW', 1136);
      const values = Object.fromEntries(cols.map((c, i) => [c, vals[i]]));
      const upsert = form.upsert;
      const pk = (rows as { pk?: string }).pk;
      const conflictCol = form.onConflict ?? pk ?? cols[0]!;
      const existing = upsert ? findByKey(rows, conflictCol, values[conflictCol]) : -1;
      const row = { values, writtenAt: this.world.clock.now() };
      const nothing = /^nothing$/i.test(form.action ?? '');
      if (existing >= 0) {
        if (!nothing) {
          rows[existing] = row;
          keyIndexes.delete(rows);
        }
      } else if (!upsert && pk && findByKey(rows, pk, values[pk]) >= 0) {
        throw isPg(this.engine)
          ? new DbError(`duplicate key value violates unique constraint "${table}_pkey"`, '23505')
          : new DbError(`Duplicate entry '${String(values[pk])}' for key 'PRIMARY'`, 'ER_DUP_ENTRY', 1062);
      } else rows.push(row);
      if (form.returning) result = [project(form.returning, (existing >= 0 && nothing ? rows[existing]! : row).values)];
    } else if (form.kind === 'unsupported') {
      throw new TwinSqlUnsupportedError(form.message);
    }
    this.world.network.recordWrite(this.target, caller, norm);
    return result;
  }

  async close(): Promise<void> {
    this.world.network.close(this.state);
    await this.real?.close();
  }
}

/** The instance (or cluster) id a twin session is connected to; undefined for any other session. */
export const sessionTarget = (session: SqlSession): string | undefined => (session instanceof TwinSession ? session.targetId : undefined);

/** Builds the twin's SqlConnector for a world. */
export function createSqlConnector(world: World): SqlConnector {
  return {
    async connect(target: SqlTarget): Promise<SqlSession> {
      const caller = currentCaller();
      const t = world.network.reach(target.host, target.port, target.timeoutMs, caller);
      const db = t.db;
      const user = target.user ?? '';
      const accessDenied = () => new DbError(`Access denied for user '${user}'@'10.0.0.10' (using password: YES)`, 'ER_ACCESS_DENIED_ERROR', 1045);
      if (isIamAuthToken(target.password)) {
        // RDS checks the token against the endpoint the connection reached (twin/iam-db-auth.ts).
        const refusal = iamTokenRefusal(target.password, {
          host: world.network.endpointOf(t),
          port: db.port,
          region: db.region,
          user,
          nowMs: world.clock.now(),
        });
        // The signer's identity must be allowed rds-db:connect on the database user of this database (its resource id).
        const dbUser = `arn:aws:rds-db:${db.region}:${world.accountId}:dbuser:${(db as { dbiResourceId?: string }).dbiResourceId ?? db.id}/${user}`;
        const decision = refusal || !caller.principal ? undefined : evaluate(caller.principal, { action: 'rds-db:connect', resources: [dbUser] });
        const why = refusal ?? (decision && !decision.allowed ? `${caller.principal!.arn} is not allowed rds-db:connect on ${dbUser}` : undefined);
        if (why) {
          world.log('cloud', `${db.id} refused an IAM auth token for ${user}: ${why}`, { target: db.id, user, refusal: why, function: caller.functionName });
          throw isPg(target.engine) ? new DbError(`PAM authentication failed for user "${user}"`, '28000') : accessDenied();
        }
      } else if (t.kind === 'instance' && db && 'masterPassword' in db && db.masterPassword !== undefined && target.password !== db.masterPassword) {
        throw isPg(target.engine) ? new DbError(`password authentication failed for user "${user}"`, '28P01') : accessDenied();
      }
      const state = world.network.open(t, caller);
      const opening = realResolvers.get(world)?.(db, caller, target);
      let real: SqlSession | undefined;
      if (opening) {
        try {
          real = await opening;
        } catch (err) {
          world.network.close(state);
          throw err;
        }
      }
      return new TwinSession(world, state, target.engine || db.engine, real, target.user, target.database);
    },
    async tcpCheck(host: string, port: number, timeoutMs: number): Promise<void> {
      world.network.reach(host, port, timeoutMs, currentCaller());
    },
    async resolveEndpoint(host: string): Promise<string> {
      // The caller's resolver: Route 53 as its vantage point sees it (same per-vantage TTL cache as connections).
      return world.network.resolveName(host, currentCaller().vantage);
    },
  };
}

/** Installs the connector on the global seam; returns a function that restores the previous one. */
export function installSqlTwin(world: World): () => void {
  const g = globalThis as Record<symbol, unknown>;
  const previous = g[SQL_CONNECTOR_SYMBOL];
  g[SQL_CONNECTOR_SYMBOL] = createSqlConnector(world);
  return () => {
    if (previous === undefined) delete g[SQL_CONNECTOR_SYMBOL];
    else g[SQL_CONNECTOR_SYMBOL] = previous;
  };
}

/**
 * Key lookups of INSERT (duplicate primary key, upsert conflict) through an index per rows array
 * and column: value → index of its first row. The application clients insert a row every second,
 * and a linear scan per insert made long drills quadratic (a 5-hour run spent most of its time
 * here). The index only grows by appending; a row replaced in place drops it (rebuilt lazily), and
 * a hit is checked against the row, so a change made elsewhere can never give a wrong answer.
 */
const keyIndexes = new WeakMap<object, Map<string, { byValue: Map<unknown, number>; length: number }>>();

function findByKey(rows: ReadonlyArray<{ values: Record<string, unknown> }>, col: string, value: unknown): number {
  if (typeof value === 'number' && Number.isNaN(value)) return -1; // NaN === NaN is false
  let perColumn = keyIndexes.get(rows);
  if (!perColumn) keyIndexes.set(rows, (perColumn = new Map()));
  let index = perColumn.get(col);
  if (!index || index.length > rows.length) perColumn.set(col, (index = { byValue: new Map(), length: 0 }));
  for (; index.length < rows.length; index.length++) {
    const v = rows[index.length]!.values[col];
    if (!index.byValue.has(v)) index.byValue.set(v, index.length);
  }
  const at = index.byValue.get(value);
  if (at === undefined) return -1;
  return rows[at]?.values[col] === value ? at : rows.findIndex((r) => r.values[col] === value);
}
