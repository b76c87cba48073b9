/**
 * Where and how to verify writes after a failover: through the DNS name clients use (never the
 * instance endpoint: the point is that clients following the record reach a writable server),
 * and how to read the server's "am I read-only" answer.
 */
import type { DatabaseConfig, Engine } from '../shared/config-schema.js';
import { defaultPort } from '../shared/config-values.js';

/** The heartbeat row this check writes (separate from the probes' and heartbeats' rows). */
export const VERIFY_SITE = 'failover-verify';

/** Host and port to connect to: the DNS record name (without its trailing dot) and the new writer's port. */
export function verifyTarget(db: DatabaseConfig): { host: string; port: number } {
  return { host: db.dns.recordName.replace(/\.$/, ''), port: db.standby.port ?? db.primary.port ?? defaultPort(db.engine) };
}

/** True when the config gives a way to log in (a secret or an IAM user). */
export const hasCredentials = (db: DatabaseConfig): boolean => Boolean(db.credentials?.secretArn || db.credentials?.iamUser);

/** The statement that tells whether the server refuses writes, and the column it answers in. */
export function readOnlyQuery(engine: Engine): { sql: string; column: string } {
  return engine.includes('mysql')
    ? { sql: 'SELECT @@global.read_only AS read_only', column: 'read_only' }
    : { sql: 'SELECT pg_is_in_recovery() AS in_recovery', column: 'in_recovery' };
}

/**
 * Reads the answer of {@link readOnlyQuery}: PostgreSQL gives a boolean (or 't'/'f' as text),
 * MySQL 0/1 (or 'ON'/'OFF'). Returns null when the answer is missing or not understood.
 */
export function isReadOnlyAnswer(rows: readonly Record<string, unknown>[], column: string): boolean | null {
  const row = rows[0];
  if (!row) return null;
  const value = column in row ? row[column] : Object.values(row)[0];
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (['t', 'true', '1', 'on'].includes(v)) return true;
    if (['f', 'false', '0', 'off'].includes(v)) return false;
  }
  return null;
}
