import 'aws-sdk-client-mock-vitest/extend';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { HEARTBEAT_SQL, SQL_CONNECTOR_SYMBOL, type SqlConnector, type SqlTarget } from '../../../lambdas/shared/sql.js';
import { hotDb, regionsOf } from '../shared/failover-steps-fixture.js';

process.env.AWS_REGION = 'us-west-2';
// IAM auth tokens are signed locally: fake keys are enough.
process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const { handler } = await import('../../../lambdas/verify-writes/handler.js');

const sm = mockClient(SecretsManagerClient);
const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

/** A database reached through the DNS name: what it answers, and what it was asked. */
class FakeDatabase implements SqlConnector {
  targets: SqlTarget[] = [];
  queries: { sql: string; params?: unknown[] }[] = [];
  tcpChecks: [string, number, number][] = [];
  closed = 0;
  connectError?: Error;
  tcpError?: Error;
  writeError?: Error;
  readOnly: unknown = false;
  async connect(target: SqlTarget) {
    this.targets.push(target);
    if (this.connectError) throw this.connectError;
    return {
      query: async (sql: string, params?: unknown[]) => {
        this.queries.push({ sql, params });
        if (sql.startsWith('SELECT pg_is_in_recovery')) return [{ in_recovery: this.readOnly }];
        if (sql.startsWith('SELECT @@global.read_only')) return [{ read_only: this.readOnly }];
        if (sql.startsWith('INSERT') && this.writeError) throw this.writeError;
        if (sql === HEARTBEAT_SQL.postgres.upsert) return [{ at_epoch: 1_772_366_400 }];
        if (sql === HEARTBEAT_SQL.mysql.select) return [{ at_epoch: 1_772_366_400 }];
        return [];
      },
      close: async () => {
        this.closed += 1;
      },
    };
  }
  async tcpCheck(host: string, port: number, timeoutMs: number) {
    this.tcpChecks.push([host, port, timeoutMs]);
    if (this.tcpError) throw this.tcpError;
  }
  /** The writer record: a CNAME to the promoted instance's endpoint in us-west-2. */
  cnames: Record<string, string> = { 'writer.orders.internal': 'orders-replica.c9akciq32.us-west-2.rds.amazonaws.com' };
  async resolveEndpoint(host: string) {
    return this.cnames[host] ?? host;
  }
}

let fake: FakeDatabase;
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/failover-probe-AbCdEf';
const event = (database = hotDb()) => ({ database, incidentId: 'inc-7', epoch: 5 });

beforeEach(() => {
  fake = new FakeDatabase();
  (globalThis as Record<symbol, unknown>)[SQL_CONNECTOR_SYMBOL] = fake;
  sm.reset();
  sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'failover_probe', password: 'pw-123' }) });
});
afterAll(() => {
  delete (globalThis as Record<symbol, unknown>)[SQL_CONNECTOR_SYMBOL];
});

describe('verify-writes handler', () => {
  it('connects through the DNS name with the secret, checks it is writable, writes a heartbeat with the epoch', async () => {
    const out = await handler(event());
    expect(out).toMatchObject({ ok: true, host: 'writer.orders.internal', mode: 'write' });
    expect(out.latencyMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(out.at)).not.toBeNaN();
    expect(fake.targets).toEqual([
      {
        engine: 'postgres',
        host: 'writer.orders.internal',
        port: 5432,
        user: 'failover_probe',
        password: 'pw-123',
        database: 'orders',
        timeoutMs: 5000,
        ssl: true,
      },
    ]);
    expect(fake.queries.map((q) => q.sql)).toEqual(['SELECT pg_is_in_recovery() AS in_recovery', HEARTBEAT_SQL.postgres.create, HEARTBEAT_SQL.postgres.upsert]);
    expect(fake.queries[2]!.params).toEqual(['failover-verify', 5]);
    expect(fake.closed).toBe(1);
    expect(sm).toHaveReceivedCommandExactlyOnceWith(GetSecretValueCommand, { SecretId: SECRET });
    // The secret is read in the Region of its ARN.
    expect(await regionsOf(sm, GetSecretValueCommand)).toEqual(['us-east-1']);
    expect(JSON.stringify(out)).not.toContain('pw-123');
  });

  it('reads the replica of the secret in its own Region when it is listed (the primary Region may be out)', async () => {
    const database = hotDb((r) => {
      r.credentials = { ...r.credentials, secretReplicaRegions: ['eu-west-1', 'us-west-2'] } as unknown as typeof r.credentials;
    });
    expect(await handler(event(database))).toMatchObject({ ok: true, mode: 'write' });
    expect(sm).toHaveReceivedCommandExactlyOnceWith(GetSecretValueCommand, { SecretId: SECRET.replace(':us-east-1:', ':us-west-2:') });
    expect(await regionsOf(sm, GetSecretValueCommand)).toEqual(['us-west-2']);
  });

  it('with its own Region not listed, falls back from the unreachable ARN Region to the listed replicas in order', async () => {
    const database = hotDb((r) => {
      r.credentials = { ...r.credentials, secretReplicaRegions: ['eu-west-1'] } as unknown as typeof r.credentials;
    });
    sm.on(GetSecretValueCommand, { SecretId: SECRET }).rejects(Object.assign(new Error('connection timed out'), { name: 'TimeoutError', code: 'ETIMEDOUT' }));
    expect(await handler(event(database))).toMatchObject({ ok: true, mode: 'write' });
    expect(await regionsOf(sm, GetSecretValueCommand)).toEqual(['us-east-1', 'eu-west-1']);
    expect(sm).toHaveReceivedNthCommandWith(GetSecretValueCommand, 2, { SecretId: SECRET.replace(':us-east-1:', ':eu-west-1:') });
    expect(fake.targets[0]).toMatchObject({ user: 'failover_probe', password: 'pw-123' });
  });

  it('MySQL: asks @@global.read_only (a privileged user could write to a read-only replica)', async () => {
    const database = hotDb((r) => {
      r.engine = 'mysql';
    });
    fake.readOnly = 0;
    expect(await handler(event(database))).toMatchObject({ ok: true, mode: 'write', host: 'writer.orders.internal' });
    expect(fake.targets[0]).toMatchObject({ engine: 'mysql', port: 3306 });
    expect(fake.queries.map((q) => q.sql)).toEqual([
      'SELECT @@global.read_only AS read_only',
      HEARTBEAT_SQL.mysql.create,
      HEARTBEAT_SQL.mysql.upsert,
      HEARTBEAT_SQL.mysql.select,
    ]);
  });

  it.each([
    ['PostgreSQL in recovery (DNS still at the replica or the old writer)', hotDb(), true],
    [
      'MySQL read_only=1',
      hotDb((r) => {
        r.engine = 'mysql';
      }),
      1,
    ],
  ])('%s -> WritesNotYetVisibleError, no write attempted', async (_name, database, answer) => {
    fake.readOnly = answer;
    await expect(handler(event(database))).rejects.toMatchObject({ name: 'WritesNotYetVisibleError', message: expect.stringContaining('read-only') });
    expect(fake.queries.some((q) => q.sql.startsWith('INSERT'))).toBe(false);
    expect(fake.closed).toBe(1);
  });

  it.each([
    ['connection refused (instance rebooting)', () => (fake.connectError = coded('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:5432'))],
    ['connection timed out', () => (fake.connectError = coded('ETIMEDOUT', 'timeout expired'))],
    ['the write refused (read-only transaction)', () => (fake.writeError = coded('25006', 'cannot execute INSERT in a read-only transaction'))],
    ['no answer to the read-only question', () => (fake.readOnly = null)],
  ])('%s -> WritesNotYetVisibleError (retried by the workflow)', async (_name, arrange) => {
    arrange();
    await expect(handler(event())).rejects.toMatchObject({ name: 'WritesNotYetVisibleError', message: expect.stringContaining('writer.orders.internal:5432') });
  });

  it('never puts the password in the error', async () => {
    fake.connectError = coded('28P01', 'password authentication failed for user "failover_probe"');
    const err = await handler(event()).catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'WritesNotYetVisibleError' });
    expect(String((err as Error).message)).not.toContain('pw-123');
  });

  it("IAM auth: signs a token for the endpoint the DNS name leads to, in that endpoint's Region, and connects to it with TLS", async () => {
    const database = hotDb((r) => {
      r.credentials = { iamUser: 'failover_iam', databaseName: 'orders' } as never;
    });
    await handler(event(database));
    const target = fake.targets[0]!;
    expect(target).toMatchObject({ host: 'orders-replica.c9akciq32.us-west-2.rds.amazonaws.com', user: 'failover_iam', ssl: true });
    expect(target.password).toMatch(/^orders-replica\.c9akciq32\.us-west-2\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=failover_iam&/);
    expect(target.password).toContain('us-west-2%2Frds-db%2Faws4_request');
    expect(target.password).not.toContain('writer.orders.internal');
    expect(sm).not.toHaveReceivedAnyCommand();
  });

  it('IAM auth: a DNS name that leads to no RDS endpoint -> no token, the credentials step fails (not retried)', async () => {
    const database = hotDb((r) => {
      r.credentials = { iamUser: 'failover_iam', databaseName: 'orders' } as never;
    });
    fake.cnames = { 'writer.orders.internal': 'db.example.com' };
    const err = await handler(event(database)).catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'AwsCallFailedError' });
    expect((err as Error).message).toMatch(/writer\.orders\.internal leads to db\.example\.com, which is not an RDS endpoint/);
    expect(fake.targets).toEqual([]);
  });

  it('without credentials: a TCP check through the DNS name only, and the output says so', async () => {
    const database = hotDb((r) => {
      delete (r as { credentials?: unknown }).credentials;
    });
    expect(await handler(event(database))).toMatchObject({ ok: true, host: 'writer.orders.internal', mode: 'tcp-only' });
    expect(fake.tcpChecks).toEqual([['writer.orders.internal', 5432, 5000]]);
    expect(fake.targets).toEqual([]);
  });

  it('without credentials and nothing listening -> WritesNotYetVisibleError', async () => {
    const database = hotDb((r) => {
      delete (r as { credentials?: unknown }).credentials;
    });
    fake.tcpError = coded('ECONNREFUSED', 'connect ECONNREFUSED');
    await expect(handler(event(database))).rejects.toMatchObject({ name: 'WritesNotYetVisibleError' });
  });

  it.each([
    ['a missing secret', new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }), 'AwsCallFailedError'],
    [
      'Secrets Manager throttling',
      new SecretsManagerServiceException({ name: 'ThrottlingException', message: 'Rate exceeded', $fault: 'client', $metadata: { httpStatusCode: 400 } }),
      'TransientAwsError',
    ],
  ])('%s -> %s, no connection attempted', async (_name, error, name) => {
    sm.on(GetSecretValueCommand).rejects(error);
    await expect(handler(event())).rejects.toMatchObject({ name });
    expect(fake.targets).toEqual([]);
  });

  it('refuses a malformed input before doing anything', async () => {
    await expect(handler({ database: hotDb(), incidentId: 'inc-7' })).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(fake.targets).toEqual([]);
    expect(fake.tcpChecks).toEqual([]);
  });
});
