/**
 * probe: runs in each vantage Region (invoked by probe-vantage) and observes the primary from
 * there: TCP reachability, then (with credentials) `SELECT 1` and a heartbeat write (or, for
 * `failover preflight`, `write: false` and `grants: true`: the user's grants, read-only). Database
 * problems are observations, never errors: the only thing it throws is {@link InvalidInputError}.
 * The whole probe is bounded by 3 × `timeoutMs` so the caller's request never times out first.
 *
 * Env: AWS_REGION (reported as the probe's Region), DB_TLS ("off" disables TLS to the database;
 * default: TLS with the server certificate verified, see lambdas/shared/sql.ts).
 */
import type * as z from 'zod/mini';
import { ownRegion } from '../shared/clients.js';
import { probeInput, probeOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import {
  defaultDatabaseName,
  getSqlConnector,
  credentialOptionsFor,
  resolveCredentials,
  readGrants,
  withTimeout,
  writeHeartbeat,
  type SqlCredentials,
  type SqlSession,
} from '../shared/sql.js';
import { probeOutcome, type ProbeFacts } from './core.js';

const REGION = ownRegion();
const TLS = process.env.DB_TLS !== 'off';

type ProbeInput = z.output<typeof probeInput>;

async function observe(input: ProbeInput): Promise<ProbeFacts> {
  const connector = getSqlConnector();
  const started = Date.now();
  const deadline = started + 3 * input.timeoutMs;
  const remaining = () => Math.min(input.timeoutMs, deadline - Date.now());
  const facts: ProbeFacts = { vantage: input.vantage, region: REGION, latencyMs: 0, hasCredentials: false, write: input.write };

  let credentials: SqlCredentials | undefined;
  try {
    credentials = await withTimeout(
      resolveCredentials(credentialOptionsFor({ ...input, timeoutMs: remaining() }, REGION)),
      remaining(),
      'reading the database credentials',
    );
    facts.hasCredentials = credentials !== undefined;
  } catch (err) {
    facts.credentialsError = err;
  }

  const probeStart = Date.now();
  const done = (): ProbeFacts => ({ ...facts, latencyMs: Date.now() - probeStart });
  try {
    await connector.tcpCheck(input.host, input.port, Math.max(1, remaining()));
  } catch (err) {
    facts.tcpError = err;
    return done();
  }
  if (!credentials) return done();

  let session: SqlSession | undefined;
  const connecting = connector.connect({
    engine: input.engine,
    // IAM: the endpoint the token was signed for (the token is valid there only).
    host: credentials.host ?? input.host,
    port: input.port,
    user: credentials.user,
    password: credentials.password,
    database: input.databaseName ?? defaultDatabaseName(input.engine),
    timeoutMs: input.timeoutMs,
    ssl: TLS || credentials.source === 'iam',
  });
  try {
    session = await withTimeout(connecting, remaining(), 'connecting to the database');
    await withTimeout(session.query('SELECT 1'), remaining(), 'SELECT 1');
    if (input.grants) {
      try {
        facts.grants = await withTimeout(
          readGrants(session, input.engine, input.databaseName ?? defaultDatabaseName(input.engine)),
          remaining(),
          'reading the grants',
        );
      } catch (err) {
        facts.grantsError = err;
      }
    }
    if (input.write) {
      try {
        await withTimeout(writeHeartbeat(session, input.engine, { site: input.vantage }), remaining(), 'the heartbeat write');
      } catch (err) {
        facts.writeError = err;
      }
    }
  } catch (err) {
    facts.queryError = err;
    // A connection that opens after we gave up must still be closed.
    if (!session) connecting.then((late) => late.close()).catch(() => undefined);
  } finally {
    await session?.close().catch(() => undefined);
  }
  return done();
}

export const handler = defineHandler('probe', { input: probeInput, output: probeOutput }, async (input) => {
  return probeOutcome(await observe(input));
});
