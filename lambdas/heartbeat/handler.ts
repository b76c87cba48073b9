/**
 * heartbeat: scheduled (one rule per database and site). Connects through the DNS name, writes the
 * site's heartbeat row, and publishes `HeartbeatSuccess` (1 or 0) and `HeartbeatLatency` with
 * dimensions Database and Site, and on PostgreSQL `WalBytesBehind` (read from `pg_stat_replication`
 * just before the write; published only when the user may read it: see heartbeat/core.ts). Database problems are a 0, never an error; only PutMetricData
 * failures throw (wrapped with toFailoverError), since a missing datapoint is what the alarm
 * must not mistake for health. Without configured credentials the heartbeat is a TCP check.
 * The whole heartbeat is bounded by 3 × `timeoutMs`.
 *
 * A failed heartbeat then asks for a verification itself: unless its site's alarm is already in
 * ALARM (DescribeAlarms), it puts a "Heartbeat Failed" event on the product bus in the control
 * Region, which starts the failover workflow (the probes decide; see core.ts,
 * verificationRequest). A request that cannot be sent is logged, never an error: the datapoint is
 * published and the alarm still triggers.
 *
 * Env: AWS_REGION (metrics go to this Region, where the site's alarm lives), DB_TLS ("off"
 * disables TLS to the database; default: TLS with the certificate verified), RESOURCE_PREFIX
 * (names the site's alarm), EVENT_BUS_NAME and CONTROL_REGION (the product bus and its Region;
 * without EVENT_BUS_NAME a failed heartbeat asks nothing).
 */
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type * as z from 'zod/mini';
import { lazy } from '../shared/lazy.js';
import { awsErrorName, toFailoverError } from '../shared/aws-errors.js';
import { ownRegion, regional } from '../shared/clients.js';
import { heartbeatInput, METRICS, heartbeatOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { logger } from '../shared/logger.js';
import {
  defaultDatabaseName,
  describeSqlError,
  getSqlConnector,
  credentialOptionsFor,
  resolveCredentials,
  walBytesBehind,
  withTimeout,
  writeHeartbeat,
  type SqlSession,
} from '../shared/sql.js';
import { alarmName, type HeartbeatSite } from '../shared/names.js';

// Only a failed heartbeat asks for a verification (it puts one event on the product bus).
const eventBridgeSdk = lazy(() => import('@aws-sdk/client-eventbridge'));
import { HEARTBEAT_TIMEOUT_SECONDS, heartbeatDatums, verificationRequest, type VerificationOutcome } from './core.js';

const REGION = ownRegion();
const TLS = process.env.DB_TLS !== 'off';
const PREFIX = process.env.RESOURCE_PREFIX || 'failover';
const BUS = process.env.EVENT_BUS_NAME || undefined;
const CONTROL_REGION = process.env.CONTROL_REGION || REGION;
const cloudWatch = regional(CloudWatchClient, REGION);

type HeartbeatInput = z.output<typeof heartbeatInput>;

/** Writes the heartbeat; resolves to what it measured on success, or to the reason it failed. */
async function beat(input: HeartbeatInput): Promise<{ error?: string; walBytesBehind?: number }> {
  const connector = getSqlConnector();
  const deadline = Date.now() + 3 * input.timeoutMs;
  const remaining = () => Math.min(input.timeoutMs, deadline - Date.now());
  let stage = 'reading the database credentials';
  let session: SqlSession | undefined;
  let connecting: Promise<SqlSession> | undefined;
  try {
    const credentials = await withTimeout(resolveCredentials(credentialOptionsFor({ ...input, timeoutMs: remaining() }, REGION)), remaining(), stage);
    if (!credentials) {
      stage = 'TCP check';
      await connector.tcpCheck(input.host, input.port, Math.max(1, remaining()));
      return {};
    }
    stage = 'connecting';
    connecting = connector.connect({
      engine: input.engine,
      // IAM: the endpoint the DNS name led to when the token was signed (the token is valid there only).
      host: credentials.host ?? input.host,
      port: input.port,
      user: credentials.user,
      password: credentials.password,
      database: input.databaseName ?? defaultDatabaseName(input.engine),
      timeoutMs: input.timeoutMs,
      ssl: TLS || credentials.source === 'iam',
    });
    session = await withTimeout(connecting, remaining(), stage);
    // Before the write: the heartbeat's own commit is not yet one the replicas lack.
    const behind = await withTimeout(walBytesBehind(session, input.engine), remaining(), 'reading pg_stat_replication').catch(() => undefined);
    stage = 'writing the heartbeat';
    await withTimeout(writeHeartbeat(session, input.engine, { site: input.site }), remaining(), stage);
    return behind === undefined ? {} : { walBytesBehind: behind };
  } catch (err) {
    if (connecting && !session) connecting.then((late) => late.close()).catch(() => undefined);
    return { error: `${stage}: ${describeSqlError(err)}` };
  } finally {
    await session?.close().catch(() => undefined);
  }
}

export const handler = defineHandler('heartbeat', { input: heartbeatInput, output: heartbeatOutput }, async (input) => {
  const at = new Date();
  const started = Date.now();
  const { error, walBytesBehind: behind } = await beat(input);
  const latencyMs = Date.now() - started;
  const ok = error === undefined;
  try {
    await cloudWatch.send(
      new PutMetricDataCommand({
        Namespace: METRICS.namespace,
        MetricData: heartbeatDatums({
          database: input.database,
          site: input.site,
          ok,
          latencyMs,
          at,
          ...(behind === undefined ? {} : { walBytesBehind: behind }),
        }),
      }),
    );
  } catch (err) {
    throw toFailoverError(err, 'cloudwatch:PutMetricData');
  }
  // The request must end within the function's timeout (a timed-out heartbeat is retried by Lambda):
  // what is left of it, less a second.
  const signal = AbortSignal.timeout(Math.max(1, HEARTBEAT_TIMEOUT_SECONDS * 1000 - (Date.now() - started) - 1000));
  const verification = ok ? undefined : await askForVerification(input.database, input.site, at, error, signal);
  return { database: input.database, site: input.site, ok, latencyMs, ...(error ? { error } : {}), ...(verification ? { verification } : {}) };
});

/** The state of this site's trigger alarm (undefined: could not be read). */
async function alarmState(database: string, site: HeartbeatSite, abortSignal: AbortSignal): Promise<string | undefined> {
  try {
    const out = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName(PREFIX, database, site)] }), { abortSignal });
    return out.MetricAlarms?.[0]?.StateValue;
  } catch (err) {
    logger.warn('could not read the heartbeat alarm; asking for a verification anyway', { database, site, error: awsErrorName(err) });
    return undefined;
  }
}

/** A failed heartbeat asks for a verification (core.ts, verificationRequest). Never throws. */
async function askForVerification(
  database: string,
  site: HeartbeatSite,
  at: Date,
  error: string | undefined,
  abortSignal: AbortSignal,
): Promise<VerificationOutcome | undefined> {
  if (!BUS) return verificationRequest({ database, site, ok: false, latencyMs: 0, at }, undefined, BUS).outcome;
  const { entry, outcome } = verificationRequest(
    { database, site, ok: false, latencyMs: 0, at, ...(error ? { error } : {}) },
    await alarmState(database, site, abortSignal),
    BUS,
  );
  if (!entry) return outcome;
  try {
    const { EventBridgeClient, PutEventsCommand } = await eventBridgeSdk();
    const events = regional(EventBridgeClient, CONTROL_REGION);
    const out = await events.send(new PutEventsCommand({ Entries: [entry] }), { abortSignal });
    if (out.FailedEntryCount) {
      logger.error('the request for a verification was refused', {
        database,
        site,
        error: out.Entries?.[0]?.ErrorCode,
        reason: out.Entries?.[0]?.ErrorMessage,
      });
      return 'failed-to-send';
    }
    return 'sent';
  } catch (err) {
    logger.error('could not ask for a verification (the alarm still triggers)', { database, site, error: awsErrorName(err) });
    return 'failed-to-send';
  }
}
