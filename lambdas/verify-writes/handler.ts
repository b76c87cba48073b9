/**
 * verify-writes: the last check of a failover. Connects through the DNS record name (what clients
 * use), checks that the server is not read-only (PostgreSQL `pg_is_in_recovery()`, MySQL
 * `@@global.read_only`) and writes a heartbeat row (site `failover-verify`, with the epoch).
 * Any failure (refused, timed out, still read-only) is WritesNotYetVisibleError: transient, the
 * workflow retries while DNS TTLs expire and the new writer finishes rebooting. Without
 * credentials only a TCP check is possible; the output says so (`mode: 'tcp-only'`).
 *
 * Env: AWS_REGION, DB_TLS ("off" disables TLS to the database; default: TLS with the server
 * certificate verified, see lambdas/shared/sql.ts). Database access only through lambdas/shared/sql.ts.
 */
import { isTransient } from '../shared/aws-errors.js';
import { ownRegion } from '../shared/clients.js';
import { verifyWritesInput, verifyWritesOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { AwsCallFailedError, TransientAwsError, WritesNotYetVisibleError } from '../shared/errors.js';
import { logger } from '../shared/logger.js';
import {
  defaultDatabaseName,
  describeSqlError,
  getSqlConnector,
  resolveCredentials,
  withTimeout,
  writeHeartbeat,
  type SqlCredentials,
  type SqlSession,
} from '../shared/sql.js';
import { hasCredentials, isReadOnlyAnswer, readOnlyQuery, verifyTarget, VERIFY_SITE } from './core.js';

const TLS = process.env.DB_TLS !== 'off';
const REGION = ownRegion();
/** Bound of each step (credentials, connect, each statement). */
export const STEP_TIMEOUT_MS = 5_000;

export const handler = defineHandler('verify-writes', { input: verifyWritesInput, output: verifyWritesOutput }, async (input) => {
  const db = input.database;
  const { host, port } = verifyTarget(db);
  const connector = getSqlConnector();
  const notYet = (what: string, err?: unknown) =>
    new WritesNotYetVisibleError(`writes through ${host}:${port} ${what}${err === undefined ? '' : `: ${describeSqlError(err)}`}`, { host, port });

  if (!hasCredentials(db)) {
    const started = Date.now();
    try {
      await connector.tcpCheck(host, port, STEP_TIMEOUT_MS);
    } catch (err) {
      throw notYet('are not possible yet (TCP connection failed)', err);
    }
    const out = { ok: true as const, host, latencyMs: Date.now() - started, at: new Date().toISOString(), mode: 'tcp-only' as const };
    logger.warn('no credentials configured: only TCP reachability was checked, writes were not verified', { database: db.name, ...out });
    return out;
  }

  let credentials: SqlCredentials | undefined;
  try {
    credentials = await withTimeout(
      resolveCredentials({
        secretArn: db.credentials?.secretArn,
        secretReplicaRegions: db.credentials?.secretReplicaRegions,
        ownRegion: REGION,
        iamUser: db.credentials?.iamUser,
        host,
        port,
        timeoutMs: STEP_TIMEOUT_MS,
      }),
      STEP_TIMEOUT_MS,
      'reading the database credentials',
    );
  } catch (err) {
    // The secret or the token, not the database: retried only when the failure may pass.
    const message = `verify-writes: could not get the database credentials: ${describeSqlError(err)}`;
    throw isTransient(err) ? new TransientAwsError(message) : new AwsCallFailedError(message);
  }
  if (!credentials) throw new AwsCallFailedError('verify-writes: the configured credentials gave no login');

  const started = Date.now();
  let session: SqlSession | undefined;
  const connecting = connector.connect({
    engine: db.engine,
    // IAM: the endpoint the DNS name led to when the token was signed (the token is valid there only).
    host: credentials.host ?? host,
    port,
    user: credentials.user,
    password: credentials.password,
    database: db.credentials?.databaseName ?? defaultDatabaseName(db.engine),
    timeoutMs: STEP_TIMEOUT_MS,
    ssl: TLS || credentials.source === 'iam',
  });
  try {
    try {
      session = await withTimeout(connecting, STEP_TIMEOUT_MS, 'connecting');
    } catch (err) {
      // A connection that opens after we gave up must still be closed.
      connecting.then((late) => late.close()).catch(() => undefined);
      throw notYet('failed (cannot connect)', err);
    }
    const check = readOnlyQuery(db.engine);
    let readOnly: boolean | null;
    try {
      readOnly = isReadOnlyAnswer(await withTimeout(session.query(check.sql), STEP_TIMEOUT_MS, check.sql), check.column);
    } catch (err) {
      throw notYet(`failed (${check.sql})`, err);
    }
    if (readOnly !== false)
      throw notYet(
        readOnly ? 'are refused: the server is read-only (still a replica, or DNS points at the old writer)' : `failed: ${check.sql} gave no answer`,
      );
    try {
      await withTimeout(writeHeartbeat(session, db.engine, { site: VERIFY_SITE, epoch: input.epoch }), STEP_TIMEOUT_MS, 'the heartbeat write');
    } catch (err) {
      throw notYet('failed (heartbeat write)', err);
    }
  } finally {
    await session?.close().catch(() => undefined);
  }
  const out = { ok: true as const, host, latencyMs: Date.now() - started, at: new Date().toISOString(), mode: 'write' as const };
  logger.info('writes verified through the DNS name', { database: db.name, incidentId: input.incidentId, epoch: input.epoch, ...out });
  return out;
});
