/**
 * What a probe's observations mean. Pure: classifies database and socket errors into "the primary
 * is down" (it refused, timed out, or said it is not accepting connections) and "this vantage could
 * not tell" (name resolution, credentials, TLS, overload), and shapes the probe's output.
 */
import type { ProbeOutput } from '../shared/contracts.js';
import { describeSqlError, sqlErrorCode, type DatabaseGrants } from '../shared/sql.js';

/**
 * Codes that mean the server is not there or not accepting connections: socket refusals and
 * timeouts, a connection cut mid-handshake, PostgreSQL's shutdown/starting-up SQLSTATEs (57P01
 * admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now), a statement cancelled by the
 * timeout (57014: SELECT 1 did not answer), MySQL's ER_SERVER_SHUTDOWN and lost connections.
 */
const DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '57014',
  'ER_SERVER_SHUTDOWN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
]);

/** Driver messages (without a code) that report a timeout or a connection closed by the server. */
const DOWN_MESSAGES = [/timeout/i, /timed out/i, /Connection terminated/i, /server closed the connection/i];

/** Codes meaning the server refused to write because it is read-only (a replica, or a demoted writer). */
const READ_ONLY_CODES = new Set(['25006', 'ER_OPTION_PREVENTS_STATEMENT', 'ER_READ_ONLY_MODE', '1290', '1836']);

/**
 * Classifies a failed TCP check, connection or `SELECT 1`. `down`: refused, timed out, or the
 * server said it is not accepting connections. `unknown`: anything that proves nothing about the
 * primary (DNS failure at the vantage, wrong credentials, TLS trouble, too many connections).
 */
export function classifyDatabaseError(err: unknown): 'down' | 'unknown' {
  const code = sqlErrorCode(err);
  if (code && DOWN_CODES.has(code)) return 'down';
  if (code) return 'unknown';
  const message = err instanceof Error ? err.message : String(err);
  return DOWN_MESSAGES.some((re) => re.test(message)) ? 'down' : 'unknown';
}

/** True when a write failed because the server is read-only. */
export const isReadOnlyError = (err: unknown): boolean => READ_ONLY_CODES.has(sqlErrorCode(err) ?? '');

/** The facts a probe gathered, in order; each stage is reached only if the previous one succeeded. */
export interface ProbeFacts {
  vantage: string;
  region: string;
  latencyMs: number;
  /** Credentials could not be resolved (secret unreadable, ...). */
  credentialsError?: unknown;
  /** Whether credentials exist (false: TCP reachability is the whole probe). */
  hasCredentials: boolean;
  /** TCP check error, if it failed. */
  tcpError?: unknown;
  /** Connection or SELECT 1 error, if it failed. */
  queryError?: unknown;
  /** Heartbeat write requested. */
  write: boolean;
  /** Heartbeat write error, if it failed. */
  writeError?: unknown;
  /** The user's grants, when asked for and read (or the error reading them). */
  grants?: DatabaseGrants;
  grantsError?: unknown;
}

/**
 * The probe's verdict from its facts:
 * - TCP failed: `down` if refused/timed out, else `unknown`;
 * - TCP answered but no credentials could be read: `unknown` (the database itself was not asked);
 * - TCP answered and no credentials are configured: `up`;
 * - connection or SELECT 1 failed: classified like the TCP error;
 * - SELECT 1 answered: `up`; `wrote` only after a successful heartbeat write (read-only: up, wrote false).
 */
export function probeOutcome(facts: ProbeFacts): ProbeOutput {
  const base = { vantage: facts.vantage, region: facts.region, latencyMs: facts.latencyMs };
  const credNote = facts.credentialsError !== undefined ? `; credentials unavailable: ${describeSqlError(facts.credentialsError)}` : '';
  if (facts.tcpError !== undefined) {
    return {
      ...base,
      status: classifyDatabaseError(facts.tcpError),
      tcp: false,
      wrote: false,
      error: `TCP check failed: ${describeSqlError(facts.tcpError)}${credNote}`,
    };
  }
  if (facts.credentialsError !== undefined) {
    return {
      ...base,
      status: 'unknown',
      tcp: true,
      wrote: false,
      error: `TCP connection opened, but the database was not queried: credentials unavailable: ${describeSqlError(facts.credentialsError)}`,
    };
  }
  if (!facts.hasCredentials) return { ...base, status: 'up', tcp: true, wrote: false };
  if (facts.queryError !== undefined) {
    return {
      ...base,
      status: classifyDatabaseError(facts.queryError),
      tcp: true,
      wrote: false,
      error: `connect/SELECT 1 failed: ${describeSqlError(facts.queryError)}`,
    };
  }
  const grants = facts.grants ? { grants: facts.grants } : facts.grantsError !== undefined ? { grants: { error: describeSqlError(facts.grantsError) } } : {};
  if (!facts.write) return { ...base, status: 'up', tcp: true, wrote: false, ...grants };
  if (facts.writeError !== undefined) {
    const why = isReadOnlyError(facts.writeError) ? 'the server is read-only' : 'the heartbeat write failed';
    return { ...base, status: 'up', tcp: true, wrote: false, error: `${why}: ${describeSqlError(facts.writeError)}` };
  }
  return { ...base, status: 'up', tcp: true, wrote: true };
}
