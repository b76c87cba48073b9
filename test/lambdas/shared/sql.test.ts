import 'aws-sdk-client-mock-vitest/extend';
import net from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultConnector,
  describeSqlError,
  getSqlConnector,
  HEARTBEAT_SQL,
  REPLICATION_SQL,
  regionOfArn,
  regionOfRdsEndpoint,
  resolveCredentials,
  secretReadRegions,
  SQL_CONNECTOR_SYMBOL,
  walBytesBehind,
  withTimeout,
  writeHeartbeat,
  type SqlConnector,
  type SqlSession,
} from '../../../lambdas/shared/sql.js';
import { classifyDatabaseError } from '../../../lambdas/probe/core.js';
import { installFakeConnector, uninstallFakeConnector } from './fake-connector.js';

/** A local TCP server; `silent` servers accept and never speak (a hung database). */
async function listen(
  onConnection: (socket: net.Socket) => void = (s) => s.end(),
): Promise<{ port: number; close: () => Promise<void>; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nobody listens on (bound then released). */
async function closedPort(): Promise<number> {
  const { port, close } = await listen();
  await close();
  return port;
}

describe('defaultConnector.tcpCheck (node:net)', () => {
  it('resolves when the port accepts', async () => {
    const server = await listen();
    try {
      await expect(defaultConnector.tcpCheck('127.0.0.1', server.port, 2000)).resolves.toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it('rejects with ECONNREFUSED on a closed port', async () => {
    const port = await closedPort();
    await expect(defaultConnector.tcpCheck('127.0.0.1', port, 2000)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('rejects with ENOTFOUND for a name that does not resolve', async () => {
    const err = await defaultConnector.tcpCheck('no-such-host.invalid', 5432, 2000).catch((e: unknown) => e);
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain((err as { code?: string }).code);
    expect(classifyDatabaseError(err)).toBe('unknown');
  });
});

describe('defaultConnector.connect with the real drivers', () => {
  it.each(['postgres', 'mysql'] as const)('%s: a refused connection carries ECONNREFUSED (classified down)', async (engine) => {
    const port = await closedPort();
    const err = await defaultConnector.connect({ engine, host: '127.0.0.1', port, user: 'u', password: 'p', timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ECONNREFUSED' });
    expect(classifyDatabaseError(err)).toBe('down');
  });

  it.each(['postgres', 'mysql'] as const)('%s: a server that accepts but never answers times out within timeoutMs (classified down)', async (engine) => {
    const server = await listen(() => undefined);
    try {
      const started = Date.now();
      const err = await defaultConnector
        .connect({ engine, host: '127.0.0.1', port: server.port, user: 'u', password: 'p', timeoutMs: 400 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(classifyDatabaseError(err)).toBe('down');
    } finally {
      await server.close();
    }
  });
});

describe('getSqlConnector (the cloud twin seam)', () => {
  afterEach(() => {
    delete (globalThis as Record<symbol, unknown>)[SQL_CONNECTOR_SYMBOL];
  });

  it('is the default connector when nothing is installed', () => {
    expect(getSqlConnector()).toBe(defaultConnector);
  });

  it('honours a connector installed under Symbol.for("rds-failover.sql-connector")', () => {
    const twin: SqlConnector = {
      connect: async () => ({ query: async () => [], close: async () => undefined }),
      tcpCheck: async () => undefined,
      resolveEndpoint: async (h) => h,
    };
    (globalThis as Record<symbol, unknown>)[Symbol.for('rds-failover.sql-connector')] = twin;
    expect(getSqlConnector()).toBe(twin);
  });
});

/** A session that records statements and answers from a script. */
function recordingSession(
  answer: (sql: string, params?: unknown[]) => Record<string, unknown>[] | Error,
): SqlSession & { calls: [string, unknown[] | undefined][] } {
  const calls: [string, unknown[] | undefined][] = [];
  return {
    calls,
    async query(sql, params) {
      calls.push([sql, params]);
      const result = answer(sql, params);
      if (result instanceof Error) throw result;
      return result;
    },
    async close() {},
  };
}
const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('writeHeartbeat', () => {
  it('PostgreSQL: creates the table, upserts and returns the row time from the database', async () => {
    const session = recordingSession((sql) => (sql.startsWith('INSERT') ? [{ at_epoch: '1775044800.123456' }] : []));
    await expect(writeHeartbeat(session, 'postgres', { site: 'use1-a', epoch: 7 })).resolves.toBe('2026-04-01T12:00:00.123Z');
    expect(session.calls).toEqual([
      [HEARTBEAT_SQL.postgres.create, undefined],
      [HEARTBEAT_SQL.postgres.upsert, ['use1-a', 7]],
    ]);
    expect(HEARTBEAT_SQL.postgres.create).toMatch(/CREATE TABLE IF NOT EXISTS failover_heartbeat \(site varchar\(64\) PRIMARY KEY, at timestamp/);
    expect(HEARTBEAT_SQL.postgres.upsert).toMatch(/ON CONFLICT \(site\) DO UPDATE/);
  });

  it('MySQL (and aurora-mysql): upsert with ON DUPLICATE KEY, then read the time back; epoch defaults to null', async () => {
    const session = recordingSession((sql) => (sql.startsWith('SELECT') ? [{ at_epoch: 1775044800.5 }] : []));
    await expect(writeHeartbeat(session, 'aurora-mysql', { site: 'in-region' })).resolves.toBe('2026-04-01T12:00:00.500Z');
    expect(session.calls).toEqual([
      [HEARTBEAT_SQL.mysql.create, undefined],
      [HEARTBEAT_SQL.mysql.upsert, ['in-region', null, null]],
      [HEARTBEAT_SQL.mysql.select, ['in-region']],
    ]);
    expect(HEARTBEAT_SQL.mysql.upsert).toMatch(/ON DUPLICATE KEY UPDATE/);
  });

  it('tolerates a concurrent CREATE TABLE (42P07 / unique violation on the catalog)', async () => {
    for (const code of ['42P07', '23505']) {
      const session = recordingSession((sql) => (sql.startsWith('CREATE') ? coded(code) : [{ at_epoch: 1 }]));
      await expect(writeHeartbeat(session, 'postgres', { site: 's' })).resolves.toBe('1970-01-01T00:00:01.000Z');
    }
  });

  it('propagates a read-only refusal (the caller reports wrote: false)', async () => {
    const session = recordingSession(() => coded('25006', 'cannot execute CREATE TABLE in a read-only transaction'));
    await expect(writeHeartbeat(session, 'postgres', { site: 's' })).rejects.toMatchObject({ code: '25006' });
  });

  it('fails when the database returns no time', async () => {
    const session = recordingSession(() => []);
    await expect(writeHeartbeat(session, 'postgres', { site: 's' })).rejects.toThrow(/returned no time/);
  });
});

describe('walBytesBehind (PostgreSQL: WAL the slowest replica has not flushed)', () => {
  it.each([
    ['every replica flushed everything: 0', [{ replicas: '1', readable: '1', bytes_behind: '0' }], 0],
    ['WAL still to flush (numeric comes back as a string)', [{ replicas: '2', readable: '2', bytes_behind: '24576' }], 24576],
    ['no replica streaming: unknown', [{ replicas: '0', readable: '0', bytes_behind: null }], undefined],
    ['LSNs hidden from a user without pg_monitor: unknown', [{ replicas: '1', readable: '0', bytes_behind: null }], undefined],
    ['some LSNs hidden: unknown (the slowest may be the hidden one)', [{ replicas: '2', readable: '1', bytes_behind: '0' }], undefined],
    ['no row: unknown', [], undefined],
  ])('%s', async (_label, rows, expected) => {
    const session = recordingSession(() => rows as Record<string, unknown>[]);
    await expect(walBytesBehind(session, 'postgres')).resolves.toBe(expected);
    expect(session.calls).toEqual([[REPLICATION_SQL.postgres, undefined]]);
  });

  it('never throws (a server in recovery has no WAL position), and asks nothing of MySQL or Aurora', async () => {
    await expect(
      walBytesBehind(
        recordingSession(() => coded('55000', 'recovery is in progress')),
        'postgres',
      ),
    ).resolves.toBeUndefined();
    for (const engine of ['mysql', 'aurora-mysql', 'aurora-postgresql'] as const) {
      const session = recordingSession(() => [{ replicas: '1', readable: '1', bytes_behind: '0' }]);
      await expect(walBytesBehind(session, engine)).resolves.toBeUndefined();
      expect(session.calls).toEqual([]);
    }
    expect(REPLICATION_SQL.postgres).toMatch(/pg_wal_lsn_diff\(pg_current_wal_lsn\(\), flush_lsn\).*FROM pg_stat_replication$/);
  });
});

describe('resolveCredentials', () => {
  const sm = mockClient(SecretsManagerClient);
  const arn = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:orders/probe-AbCdEf';
  const base = { host: 'orders.abc.us-east-1.rds.amazonaws.com', port: 5432 };
  const saved = { ...process.env };
  beforeAll(() => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  });
  afterAll(() => {
    process.env = saved;
  });
  beforeEach(() => sm.reset());

  it('reads the secret in the Region named in its ARN', async () => {
    let region: string | undefined;
    sm.on(GetSecretValueCommand).callsFake(async (_input, getClient) => {
      region = await getClient().config.region();
      return { SecretString: JSON.stringify({ username: 'probe', password: 's3cret', engine: 'postgres' }) };
    });
    await expect(resolveCredentials({ ...base, secretArn: arn })).resolves.toEqual({ user: 'probe', password: 's3cret', source: 'secret' });
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: arn });
    expect(region).toBe('eu-central-1');
  });

  it.each([
    ['not JSON', { SecretString: 'hunter2' }, /is not JSON/],
    ['no password', { SecretString: JSON.stringify({ username: 'probe' }) }, /lacks a string "username" and "password"/],
    ['a binary secret', { SecretBinary: new Uint8Array([1]) }, /has no SecretString/],
  ])('fails with a plain message when the secret is %s', async (_label, answer, message) => {
    sm.on(GetSecretValueCommand).resolves(answer);
    await expect(resolveCredentials({ ...base, secretArn: arn })).rejects.toThrow(message);
  });

  describe('with replicas (credentials.secretReplicaRegions)', () => {
    const replicas = ['us-west-2', 'ap-south-1'];
    const inRegion = (r: string) => arn.replace(':eu-central-1:', `:${r}:`);
    const timeout = (r: string) => Object.assign(new Error(`GetSecretValue in ${r}: connection timed out`), { name: 'TimeoutError', code: 'ETIMEDOUT' });
    const refused = (r: string) => Object.assign(new Error(`connect ECONNREFUSED secretsmanager.${r}.amazonaws.com:443`), { code: 'ECONNREFUSED' });
    const denied = () => Object.assign(new Error('not authorized to perform: secretsmanager:GetSecretValue'), { name: 'AccessDeniedException' });

    it.each([
      // [case, ownRegion, Regions that do not answer, Regions asked in order, where the login came from]
      ['own Region listed: its replica only', 'us-west-2', [], ['us-west-2'], 'us-west-2'],
      ['own Region not listed: the ARN Region', 'us-east-1', [], ['eu-central-1'], 'eu-central-1'],
      ['no own Region given: the ARN Region', undefined, [], ['eu-central-1'], 'eu-central-1'],
      ['own Region is the ARN Region', 'eu-central-1', [], ['eu-central-1'], 'eu-central-1'],
      ['ARN Region out: the listed Regions in order', 'us-east-1', ['eu-central-1'], ['eu-central-1', 'us-west-2'], 'us-west-2'],
      [
        'ARN Region and the first replica out: the next one',
        'us-east-1',
        ['eu-central-1', 'us-west-2'],
        ['eu-central-1', 'us-west-2', 'ap-south-1'],
        'ap-south-1',
      ],
      [
        'own replica out: the other replica, then the ARN Region',
        'us-west-2',
        ['us-west-2', 'ap-south-1'],
        ['us-west-2', 'ap-south-1', 'eu-central-1'],
        'eu-central-1',
      ],
    ] as const)('%s', async (_case, ownRegion, out, asked, from) => {
      const calls: Array<{ region: string; id: string }> = [];
      sm.on(GetSecretValueCommand).callsFake(async (input: { SecretId: string }, getClient) => {
        const region = await getClient().config.region();
        calls.push({ region, id: input.SecretId });
        if ((out as readonly string[]).includes(region)) throw region === 'ap-south-1' ? refused(region) : timeout(region);
        return { SecretString: JSON.stringify({ username: `probe-${region}`, password: 's3cret' }) };
      });
      const creds = await resolveCredentials({ ...base, secretArn: arn, secretReplicaRegions: replicas, ownRegion });
      expect(creds).toEqual({ user: `probe-${from}`, password: 's3cret', source: 'secret' });
      // Each Region is asked for the secret's ARN in that Region (the replica keeps the name and suffix).
      expect(calls).toEqual(asked.map((r) => ({ region: r, id: inRegion(r) })));
    });

    it('lists the Regions to try: own replica (or the ARN Region) first, then the replicas in order, then the ARN Region', () => {
      expect(secretReadRegions(arn, replicas, 'ap-south-1')).toEqual(['ap-south-1', 'us-west-2', 'eu-central-1']);
      expect(secretReadRegions(arn, replicas, 'us-east-1')).toEqual(['eu-central-1', 'us-west-2', 'ap-south-1']);
      expect(secretReadRegions(arn, [], 'us-west-2')).toEqual(['eu-central-1']);
      expect(secretReadRegions(arn)).toEqual(['eu-central-1']);
    });

    it('does not try another Region when the answer is an error other than "does not answer", and throws the last timeout when none answers', async () => {
      sm.on(GetSecretValueCommand).rejects(denied());
      await expect(resolveCredentials({ ...base, secretArn: arn, secretReplicaRegions: replicas, ownRegion: 'us-west-2' })).rejects.toThrow(/not authorized/);
      expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);

      sm.reset();
      const regions: string[] = [];
      sm.on(GetSecretValueCommand).callsFake(async (_input, getClient) => {
        const region = await getClient().config.region();
        regions.push(region);
        throw timeout(region);
      });
      await expect(resolveCredentials({ ...base, secretArn: arn, secretReplicaRegions: replicas, ownRegion: 'us-east-1' })).rejects.toThrow(
        'GetSecretValue in ap-south-1: connection timed out',
      );
      expect(regions).toEqual(['eu-central-1', 'us-west-2', 'ap-south-1']);
    });
  });

  it("signs an IAM auth token for the endpoint host, port and user, in the endpoint's Region", async () => {
    const creds = await resolveCredentials({ ...base, iamUser: 'failover_probe', ownRegion: 'eu-west-1' });
    expect(creds?.user).toBe('failover_probe');
    expect(creds?.source).toBe('iam');
    expect(creds?.host).toBe('orders.abc.us-east-1.rds.amazonaws.com');
    expect(creds?.password).toMatch(/^orders\.abc\.us-east-1\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=failover_probe&/);
    expect(creds?.password).toContain('us-east-1%2Frds-db%2Faws4_request');
    expect(sm).not.toHaveReceivedAnyCommand();
  });

  describe('IAM auth through a DNS name (the writer record)', () => {
    afterEach(() => uninstallFakeConnector());
    it.each([
      ['an instance endpoint in another Region', 'orders-primary.abc123.us-east-1.rds.amazonaws.com', 'us-east-1'],
      ['an Aurora cluster endpoint', 'orders-east.cluster-abc123.eu-west-1.rds.amazonaws.com', 'eu-west-1'],
      ['a China Region endpoint', 'orders.abc.cn-north-1.rds.amazonaws.com.cn', 'cn-north-1'],
    ])("follows the CNAME chain to %s and signs for it there, whatever the caller's Region", async (_label, endpoint, region) => {
      installFakeConnector({ cnames: { 'writer.orders.internal': 'alias.orders.internal', 'alias.orders.internal': `${endpoint}.` } });
      const creds = await resolveCredentials({ host: 'writer.orders.internal', port: 5432, iamUser: 'failover_probe', ownRegion: 'us-west-2' });
      expect(creds?.host).toBe(endpoint);
      expect(creds?.password.startsWith(`${endpoint}:5432/?Action=connect&DBUser=failover_probe&`)).toBe(true);
      expect(creds?.password).toContain(`%2F${region}%2Frds-db%2Faws4_request`);
    });

    it('refuses to sign when the name leads to no RDS endpoint', async () => {
      installFakeConnector({ cnames: { 'writer.orders.internal': 'db.example.com' } });
      await expect(resolveCredentials({ host: 'writer.orders.internal', port: 5432, iamUser: 'failover_probe' })).rejects.toMatchObject({
        name: 'IamAuthTargetError',
        message: expect.stringContaining('writer.orders.internal leads to db.example.com, which is not an RDS endpoint'),
      });
    });
  });

  it('returns undefined without a secret or an IAM user', async () => {
    await expect(resolveCredentials(base)).resolves.toBeUndefined();
  });
});

describe('small helpers', () => {
  it.each([
    ['orders-primary.c9akciq32.us-east-1.rds.amazonaws.com', 'us-east-1'],
    ['db.cluster-xyz.eu-west-1.rds.amazonaws.com', 'eu-west-1'],
    ['db.abc.cn-north-1.rds.amazonaws.com.cn', 'cn-north-1'],
    ['writer.orders.internal', undefined],
  ])('regionOfRdsEndpoint(%s) = %s', (host, region) => {
    expect(regionOfRdsEndpoint(host)).toBe(region);
  });

  it('regionOfArn reads the fourth field and refuses a non-ARN', () => {
    expect(regionOfArn('arn:aws:secretsmanager:ap-south-1:1:secret:x')).toBe('ap-south-1');
    expect(() => regionOfArn('not-an-arn')).toThrow(/not an ARN/);
  });

  it('withTimeout rejects with ETIMEDOUT when the promise is too slow, and passes a fast one', async () => {
    await expect(withTimeout(new Promise(() => undefined), 20, 'SELECT 1')).rejects.toMatchObject({
      code: 'ETIMEDOUT',
      message: 'SELECT 1 timed out after 20 ms',
    });
    await expect(withTimeout(Promise.resolve(3), 1000, 'x')).resolves.toBe(3);
  });

  it('describeSqlError names the code (or SDK error name) once', () => {
    expect(describeSqlError(coded('28P01', 'password authentication failed for user "probe"'))).toBe('28P01: password authentication failed for user "probe"');
    expect(describeSqlError(coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'))).toBe('connect ECONNREFUSED 127.0.0.1:5432');
    expect(describeSqlError(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))).toBe('ThrottlingException: Rate exceeded');
    expect(describeSqlError('plain')).toBe('plain');
  });
});

describe('resolveEndpoint (TLS through the writer CNAME)', () => {
  it('follows the CNAME chain to the RDS endpoint the certificate names', async () => {
    const { resolveEndpoint } = await import('../../../lambdas/shared/sql.js');
    const records: Record<string, string> = {
      'writer.orders.internal': 'alias.orders.internal.',
      'alias.orders.internal': 'orders-primary.c0abc.us-east-1.rds.amazonaws.com',
    };
    const lookup = async (name: string) => {
      const next = records[name];
      if (!next) throw Object.assign(new Error('no data'), { code: 'ENODATA' });
      return [next];
    };
    expect(await resolveEndpoint('writer.orders.internal', 1000, lookup)).toBe('orders-primary.c0abc.us-east-1.rds.amazonaws.com');
    expect(await resolveEndpoint('db.example.com.', 1000, lookup)).toBe('db.example.com');
  });

  it('stops after 8 hops on a CNAME loop', async () => {
    const { resolveEndpoint } = await import('../../../lambdas/shared/sql.js');
    let calls = 0;
    const loop = async (name: string) => {
      calls++;
      return [name === 'a.test' ? 'b.test' : 'a.test'];
    };
    expect(['a.test', 'b.test']).toContain(await resolveEndpoint('a.test', 1000, loop));
    expect(calls).toBe(8);
  });
});
