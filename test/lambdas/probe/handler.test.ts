import 'aws-sdk-client-mock-vitest/extend';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HEARTBEAT_SQL } from '../../../lambdas/shared/sql.js';
import { coded, installFakeConnector, uninstallFakeConnector } from '../shared/fake-connector.js';

process.env.AWS_REGION = 'eu-west-1';
delete process.env.DB_TLS;
const sm = mockClient(SecretsManagerClient);
let handler: (event: unknown) => Promise<unknown>;
beforeAll(async () => {
  ({ handler } = await import('../../../lambdas/probe/handler.js'));
});
beforeEach(() => {
  sm.reset();
  sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'probe', password: 'pw' }) });
});
afterEach(() => uninstallFakeConnector());

const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/failover-probe-AbCdEf';
const input = (extra: object = {}) => ({
  database: 'orders',
  engine: 'postgres',
  host: 'orders-primary.abc.us-east-1.rds.amazonaws.com',
  port: 5432,
  secretArn,
  databaseName: 'orders',
  vantage: 'euw1',
  timeoutMs: 500,
  ...extra,
});

describe('probe handler', () => {
  it('healthy writable primary: up, wrote, with TLS, closing the session', async () => {
    const fake = installFakeConnector();
    const out = await handler(input());
    expect(out).toMatchObject({ vantage: 'euw1', region: 'eu-west-1', status: 'up', tcp: true, wrote: true });
    expect((out as { error?: string }).error).toBeUndefined();
    expect(fake.tcpChecks).toEqual([{ host: 'orders-primary.abc.us-east-1.rds.amazonaws.com', port: 5432, timeoutMs: 500 }]);
    expect(fake.targets).toEqual([
      {
        engine: 'postgres',
        host: 'orders-primary.abc.us-east-1.rds.amazonaws.com',
        port: 5432,
        user: 'probe',
        password: 'pw',
        database: 'orders',
        timeoutMs: 500,
        ssl: true,
      },
    ]);
    expect(fake.statements.map((s) => s.sql)).toEqual(['SELECT 1', HEARTBEAT_SQL.postgres.create, HEARTBEAT_SQL.postgres.upsert]);
    expect(fake.statements[2]!.params).toEqual(['euw1', null]);
    expect(fake.closed).toBe(1);
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: secretArn });
  });

  it('reads the replica of the secret in its own Region when it is listed', async () => {
    installFakeConnector();
    const out = await handler(input({ secretReplicaRegions: ['us-west-2', 'eu-west-1'] }));
    expect(out).toMatchObject({ status: 'up', wrote: true });
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: secretArn.replace(':us-east-1:', ':eu-west-1:') });
  });

  it('write: false skips the heartbeat', async () => {
    const fake = installFakeConnector();
    await expect(handler(input({ write: false }))).resolves.toMatchObject({ status: 'up', wrote: false });
    expect(fake.statements.map((s) => s.sql)).toEqual(['SELECT 1']);
  });

  it('MySQL engines default the database name to mysql and use the MySQL upsert', async () => {
    const fake = installFakeConnector();
    await handler(input({ engine: 'mysql', port: 3306, databaseName: undefined }));
    expect(fake.targets[0]).toMatchObject({ engine: 'mysql', database: 'mysql' });
    expect(fake.statements.map((s) => s.sql)).toContain(HEARTBEAT_SQL.mysql.upsert);
  });

  it('a read-only server is up but did not take the write', async () => {
    const fake = installFakeConnector({
      query: (sql) => (sql === 'SELECT 1' ? [{}] : coded('25006', 'cannot execute CREATE TABLE in a read-only transaction')),
    });
    await expect(handler(input())).resolves.toMatchObject({ status: 'up', wrote: false, error: expect.stringContaining('the server is read-only') });
    expect(fake.closed).toBe(1);
  });

  it('TCP refused: down, no connection attempted', async () => {
    const fake = installFakeConnector({ tcp: coded('ECONNREFUSED', 'connect ECONNREFUSED 10.1.2.3:5432') });
    await expect(handler(input())).resolves.toMatchObject({
      status: 'down',
      tcp: false,
      wrote: false,
      error: 'TCP check failed: connect ECONNREFUSED 10.1.2.3:5432',
    });
    expect(fake.targets).toEqual([]);
  });

  it('connection refused by a server that is shutting down: down', async () => {
    const fake = installFakeConnector({ connect: coded('57P03', 'the database system is shutting down') });
    await expect(handler(input())).resolves.toMatchObject({ status: 'down', tcp: true, wrote: false });
    expect(fake.closed).toBe(0);
  });

  it('wrong password: unknown (the server answered, but SELECT 1 was not run)', async () => {
    installFakeConnector({ connect: coded('28P01', 'password authentication failed for user "probe"') });
    await expect(handler(input())).resolves.toMatchObject({ status: 'unknown', tcp: true, error: expect.stringContaining('28P01') });
  });

  it('SELECT 1 that never answers times out within the budget: down, session closed', async () => {
    const fake = installFakeConnector({ query: () => new Promise<never>(() => undefined) });
    const started = Date.now();
    await expect(handler(input({ timeoutMs: 100 }))).resolves.toMatchObject({
      status: 'down',
      wrote: false,
      error: expect.stringContaining('SELECT 1 timed out'),
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(fake.closed).toBe(1);
  });

  it('a heartbeat write that hangs: up, wrote false', async () => {
    installFakeConnector({ query: (sql) => (sql === 'SELECT 1' ? [{}] : new Promise<never>(() => undefined)) });
    await expect(handler(input({ timeoutMs: 100 }))).resolves.toMatchObject({
      status: 'up',
      wrote: false,
      error: expect.stringContaining('heartbeat write timed out'),
    });
  });

  it('unreadable secret: the TCP observation still counts (refused -> down), and the error says why', async () => {
    sm.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));
    installFakeConnector({ tcp: coded('ETIMEDOUT', 'TCP connection timed out') });
    await expect(handler(input())).resolves.toMatchObject({
      status: 'down',
      error: expect.stringContaining('credentials unavailable: ResourceNotFoundException'),
    });
  });

  it('unreadable secret with the port open: unknown, the database is not queried', async () => {
    sm.on(GetSecretValueCommand).rejects(
      Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }),
    );
    const fake = installFakeConnector();
    await expect(handler(input())).resolves.toMatchObject({ status: 'unknown', tcp: true, error: expect.stringContaining('AccessDeniedException') });
    expect(fake.targets).toEqual([]);
  });

  it('without credentials the probe is a TCP check', async () => {
    const fake = installFakeConnector();
    await expect(handler(input({ secretArn: undefined }))).resolves.toMatchObject({ status: 'up', tcp: true, wrote: false });
    expect(fake.targets).toEqual([]);
    expect(sm).not.toHaveReceivedAnyCommand();
  });

  it.each([
    ['no host', { host: '' }],
    ['an unknown engine', { engine: 'oracle' }],
    ['no vantage', { vantage: undefined }],
    ['a negative timeout', { timeoutMs: -1 }],
  ])('%s: InvalidInputError, nothing probed', async (_label, extra) => {
    const fake = installFakeConnector();
    await expect(handler(input(extra))).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(fake.tcpChecks).toEqual([]);
    expect(sm).not.toHaveReceivedAnyCommand();
  });
});
