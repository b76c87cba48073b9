import { Signer } from '@aws-sdk/rds-signer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { iamTokenRefusal, isIamAuthToken } from '../../twin/iam-db-auth.js';
import { twinContext } from '../../twin/context.js';
import { GRANTS_SQL, HEARTBEAT_SQL, REPLICATION_SQL, readGrants, writeHeartbeat } from '../../lambdas/shared/sql.js';
import { SQL_CONNECTOR_SYMBOL, createSqlConnector, installSqlTwin, type SqlConnector, type SqlTarget } from '../../twin/sql.js';
import type { World } from '../../twin/world.js';
import { PRIMARY, PRIMARY_SG, RECORD, REPLICA, ZONE_ID, endpointOf, exampleWorld } from './helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const target = (host: string, extra: Partial<SqlTarget> = {}): SqlTarget => ({
  engine: 'postgres',
  host,
  port: 5432,
  user: 'probe',
  password: 'pw',
  database: 'orders',
  timeoutMs: 3000,
  ...extra,
});
const as = <T>(vantage: string, region: string, fn: () => Promise<T>) => twinContext.run({ vantage, region, functionName: 'probe' }, fn);
const HB_TABLE = 'CREATE TABLE IF NOT EXISTS failover_heartbeat (site text PRIMARY KEY, at timestamptz NOT NULL)';
const HB_UPSERT = 'INSERT INTO failover_heartbeat (site, at) VALUES ($1, now()) ON CONFLICT (site) DO UPDATE SET at = EXCLUDED.at';

const setup = (): { w: World; sql: SqlConnector } => {
  const w = exampleWorld();
  return { w, sql: createSqlConnector(w) };
};

describe('SQL connector: normal operation', () => {
  it('connects through the DNS name to the primary, answers probes and records writes', async () => {
    const { w, sql } = setup();
    await as('use1-a', 'us-east-1', async () => {
      const s = await sql.connect(target(RECORD));
      expect(await s.query('SELECT 1')).toEqual([{ '?column?': 1 }]);
      expect(await s.query('select pg_is_in_recovery()')).toEqual([{ pg_is_in_recovery: false }]);
      await s.query(HB_TABLE);
      await s.query(HB_UPSERT, ['use1-a']);
      await s.query(HB_UPSERT, ['use1-a']);
      expect(await s.query('SELECT site, at FROM failover_heartbeat WHERE site = $1', ['use1-a'])).toEqual([{ site: 'use1-a', at: new Date(w.clock.now()) }]);
      await s.close();
    });
    expect(w.network.writes.map((x) => [x.target, x.vantage, x.t])).toEqual([
      ['orders-primary', 'use1-a', 0],
      ['orders-primary', 'use1-a', 0],
      ['orders-primary', 'use1-a', 0],
    ]);
  });

  it('a replica answers read-only and refuses writes with the engine error', async () => {
    const { w, sql } = setup();
    const s = await as('usw2', 'us-west-2', () => sql.connect(target(endpointOf(REPLICA))));
    expect(await s.query('SELECT pg_is_in_recovery()')).toEqual([{ pg_is_in_recovery: true }]);
    const e: any = await s.query(HB_UPSERT, ['usw2']).catch((x) => x);
    expect(e.code).toBe('25006');
    expect(e.message).toBe('cannot execute INSERT in a read-only transaction');
    expect(w.network.writes).toHaveLength(0);
    expect(w.network.refusedWrites).toHaveLength(1);
  });

  it("pg_stat_replication on the primary: its streaming replica and the WAL it lacks (the slot lag's model); a replica refuses it in recovery", async () => {
    const { w, sql } = setup();
    const ask = (host: string, vantage: string, region: string) =>
      as(vantage, region, async () => {
        const s = await sql.connect(target(host));
        try {
          return await s.query(REPLICATION_SQL.postgres);
        } finally {
          await s.close();
        }
      });
    expect(await ask(RECORD, 'use1-a', 'us-east-1')).toEqual([{ replicas: 1, readable: 1, bytes_behind: '0' }]);
    // Replication slows to a 60 s delay: the replica keeps what it has and falls behind 1 s per
    // second, so the two writes 5 s later are WAL it lacks.
    w.rds.setLag(REPLICA.id, 60);
    await w.clock.advanceBy(5_000);
    await as('use1-a', 'us-east-1', async () => {
      const s = await sql.connect(target(RECORD));
      await s.query(HB_TABLE);
      await s.query(HB_UPSERT, ['use1-a']);
      await s.close();
    });
    const [row] = await ask(RECORD, 'use1-a', 'us-east-1');
    expect(Number(row!.bytes_behind)).toBeGreaterThan(0);
    const e: any = await ask(endpointOf(REPLICA), 'usw2', 'us-west-2').catch((x) => x);
    expect(e.code).toBe('55000');
  });

  it('MySQL flavour: @@global.read_only and the read-only error', async () => {
    const { w } = setup();
    w.rds.createInstance({ region: 'us-east-1', id: 'm', engine: 'mysql' });
    w.rds.createInstance({ region: 'us-west-2', id: 'mr', replicaOf: { region: 'us-east-1', id: 'm' } });
    const sql = createSqlConnector(w);
    const s = await sql.connect({ ...target('mr.c0abcdefghij.us-west-2.rds.amazonaws.com'), engine: 'mysql', port: 3306 });
    expect(await s.query('SELECT @@global.read_only')).toEqual([{ '@@global.read_only': 1 }]);
    expect(await s.query('SELECT 1')).toEqual([{ '1': 1 }]);
    await expect(s.query('CREATE TABLE t (a int)')).rejects.toMatchObject({ code: 'ER_OPTION_PREVENTS_STATEMENT', errno: 1290 });
  });

  it("the grant query: answered from the world's grants; without them the heartbeat's CREATE and upsert and the WAL figures are refused or hidden as PostgreSQL does", async () => {
    const { w, sql } = setup();
    await as('use1-a', 'us-east-1', async () => {
      const s = await sql.connect(target(RECORD));
      expect(await readGrants(s, 'postgres')).toEqual({
        user: 'probe',
        schema: 'public',
        schemaCreate: true,
        tableExists: false,
        tableInsert: null,
        tableUpdate: null,
        tableSelect: null,
        pgMonitor: true,
      });
      await writeHeartbeat(s, 'postgres', { site: 'use1-a' });
      expect(await readGrants(s, 'postgres')).toMatchObject({ tableExists: true, tableInsert: true, tableUpdate: true, tableSelect: true });
      expect(await s.query(REPLICATION_SQL.postgres)).toEqual([{ replicas: 1, readable: 1, bytes_behind: '0' }]);

      w.network.grants = { schemaCreate: false, tableInsert: true, tableUpdate: false, tableSelect: true, pgMonitor: false };
      expect(await readGrants(s, 'postgres')).toMatchObject({ schemaCreate: false, tableExists: true, tableUpdate: false, pgMonitor: false });
      // CREATE TABLE IF NOT EXISTS needs CREATE on the schema even when the table exists (checked on a real server).
      await expect(s.query(HEARTBEAT_SQL.postgres.create)).rejects.toMatchObject({ code: '42501', message: 'permission denied for schema public' });
      w.network.grants = { ...w.network.grants, schemaCreate: true };
      await expect(writeHeartbeat(s, 'postgres', { site: 'use1-a' })).rejects.toMatchObject({
        code: '42501',
        message: 'permission denied for table failover_heartbeat',
      });
      // Without pg_monitor the walsenders show, their LSNs do not.
      expect(await s.query(REPLICATION_SQL.postgres)).toEqual([{ replicas: 1, readable: 0, bytes_behind: null }]);
      await s.close();
    });
    // MySQL does not know PostgreSQL's functions or casts; PostgreSQL has no SHOW GRANTS.
    w.rds.createInstance({ region: 'us-east-1', id: 'm', engine: 'mysql' });
    const m = await sql.connect({ ...target('m.c0abcdefghij.us-east-1.rds.amazonaws.com'), engine: 'mysql', port: 3306 });
    await expect(m.query(GRANTS_SQL.postgres)).rejects.toMatchObject({ code: 'ER_PARSE_ERROR', errno: 1064 });
    const p = await as('use1-a', 'us-east-1', () => sql.connect(target(RECORD)));
    await expect(p.query(GRANTS_SQL.mysql)).rejects.toMatchObject({ code: '42601' });
    // MySQL: SHOW GRANTS lists the user's privileges on the database it connected to; without them the heartbeat is refused.
    w.network.grants = { schemaCreate: true, tableInsert: true, tableUpdate: true, tableSelect: true, pgMonitor: true };
    expect(await m.query(GRANTS_SQL.mysql)).toEqual([
      { 'Grants for probe@%': 'GRANT USAGE ON *.* TO `probe`@`%`' },
      { 'Grants for probe@%': 'GRANT CREATE, SELECT, INSERT, UPDATE ON `orders`.* TO `probe`@`%`' },
    ]);
    expect(await readGrants(m, 'mysql', 'orders')).toMatchObject({
      user: '`probe`@`%`',
      schema: 'orders',
      schemaCreate: true,
      tableExists: null,
      tableInsert: true,
      tableUpdate: true,
      tableSelect: true,
    });
    await writeHeartbeat(m, 'mysql', { site: 'use1-a' });
    w.network.grants = { ...w.network.grants, schemaCreate: false, tableUpdate: false };
    expect(await readGrants(m, 'mysql', 'orders')).toMatchObject({ schemaCreate: false, tableUpdate: false, tableInsert: true });
    await expect(writeHeartbeat(m, 'mysql', { site: 'use1-a' })).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR', errno: 1142 });
  });

  it('unsupported SQL and wrong passwords fail loudly', async () => {
    const { w, sql } = setup();
    w.rds.getInstance(PRIMARY.id)!.masterPassword = 'secret';
    await expect(sql.connect(target(RECORD))).rejects.toMatchObject({ code: '28P01', message: 'password authentication failed for user "probe"' });
    const s = await sql.connect(target(RECORD, { password: 'secret' }));
    await expect(s.query('SELECT count(*) FROM pg_stat_activity GROUP BY 1')).rejects.toMatchObject({ name: 'TwinSqlUnsupported' });
    await expect(s.query('SELECT * FROM nope')).rejects.toMatchObject({ code: '42P01' });
    await expect(sql.connect(target('nothing.orders.internal'))).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(sql.connect(target(RECORD, { port: 3306, password: 'secret' }))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('SQL connector under faults', () => {
  it('crash: new connections time out, open sessions are reset; recovery brings the primary back as it was', async () => {
    const { w, sql } = setup();
    const s = await sql.connect(target(RECORD));
    w.crashInstance(PRIMARY.id);
    await expect(s.query('SELECT 1')).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(sql.connect(target(RECORD))).rejects.toMatchObject({ code: 'ETIMEDOUT', elapsedMs: 3000 });
    await expect(sql.tcpCheck(RECORD, 5432, 2000)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    w.recoverInstance(PRIMARY.id);
    const again = await sql.connect(target(RECORD));
    await again.query(HB_TABLE);
    expect(w.network.writes).toHaveLength(1);
  });

  it('partition: only the listed vantage points lose the primary; it keeps taking writes from others', async () => {
    const { w, sql } = setup();
    const open = await as('use1-a', 'us-east-1', () => sql.connect(target(RECORD)));
    w.partition(['use1-a', 'usw2'], PRIMARY.id);
    await expect(as('use1-a', 'us-east-1', () => sql.connect(target(RECORD)))).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(as('usw2', 'us-west-2', () => sql.tcpCheck(RECORD, 5432, 1000))).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(open.query('SELECT 1')).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    const app = await as('app', 'us-east-1', () => sql.connect(target(RECORD)));
    await app.query(HB_TABLE);
    expect(w.network.writes.map((x) => x.vantage)).toEqual(['app']);
    w.heal();
    expect(await open.query('SELECT 1')).toEqual([{ '?column?': 1 }]);
  });

  it('fence by revoking ingress: new connections refused (timeout), tracked sessions keep writing', async () => {
    const { w, sql } = setup();
    const tracked = await sql.connect(target(RECORD));
    await tracked.query(HB_TABLE);
    w.ec2.revokeSecurityGroupIngress(
      { GroupId: PRIMARY_SG, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] },
      { region: 'us-east-1' },
    );
    await expect(sql.connect(target(RECORD))).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await tracked.query(HB_UPSERT, ['still-here']);
    expect(w.network.writes).toHaveLength(2);
    // the session is cut only by dropping it: reboot
    w.rds.rebootDBInstance({ DBInstanceIdentifier: PRIMARY.id }, { region: 'us-east-1' });
    await expect(tracked.query('SELECT 1')).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('untracked flows (all traffic open both ways) are cut at once when the rule goes', async () => {
    const { w, sql } = setup();
    w.ec2.createSecurityGroup({ region: 'us-east-1', id: 'sg-0open0000000000000', ingress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] });
    w.rds.createInstance({ region: 'us-east-1', id: 'open', securityGroupIds: ['sg-0open0000000000000'] });
    const s = await sql.connect(target('open.c0abcdefghij.us-east-1.rds.amazonaws.com'));
    w.ec2.revokeSecurityGroupIngress(
      { GroupId: 'sg-0open0000000000000', IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] },
      { region: 'us-east-1' },
    );
    await expect(s.query('SELECT 1')).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('security-group sources are matched when a vantage point declares its address', async () => {
    const { w, sql } = setup();
    w.network.setVantageSource('outside', { ip: '192.168.1.10' });
    w.network.setVantageSource('inside', { ip: '10.1.2.3' });
    await expect(as('outside', 'us-east-1', () => sql.connect(target(RECORD)))).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(as('inside', 'us-east-1', () => sql.connect(target(RECORD)))).resolves.toBeDefined();
  });

  it('Region outage: the target Region times out; a caller in an out Region reaches nothing', async () => {
    const { w, sql } = setup();
    w.regionOutage('us-east-1', true);
    await expect(as('usw2', 'us-west-2', () => sql.connect(target(RECORD)))).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(as('use1-a', 'us-east-1', () => sql.connect(target(endpointOf(REPLICA))))).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(as('usw2', 'us-west-2', () => sql.connect(target(endpointOf(REPLICA))))).resolves.toBeDefined();
  });

  it('reboot: refused while rebooting, back afterwards', async () => {
    const { w, sql } = setup();
    w.rds.rebootDBInstance({ DBInstanceIdentifier: PRIMARY.id }, { region: 'us-east-1' });
    await expect(sql.connect(target(RECORD))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await w.clock.advanceBy(61_000);
    await expect(sql.connect(target(RECORD))).resolves.toBeDefined();
  });
});

describe('failover through the network model', () => {
  it('promotion + DNS switch: clients follow after INSYNC and their cached TTL; the promoted replica keeps the replicated data', async () => {
    const { w, sql } = setup();
    w.setReplicaLag(REPLICA.id, 5);
    const p = await as('app', 'us-east-1', () => sql.connect(target(RECORD)));
    await p.query(HB_TABLE);
    await p.query(HB_UPSERT, ['early']);
    await w.clock.advanceBy(60_000);
    await p.query(HB_UPSERT, ['late']); // within the replica lag when the primary dies
    w.crashInstance(PRIMARY.id);
    await w.clock.advanceBy(1000);
    w.rds.promoteReadReplica({ DBInstanceIdentifier: REPLICA.id }, { region: 'us-west-2' });
    await w.clock.advanceBy(125_000);
    w.route53.changeResourceRecordSets(
      {
        HostedZoneId: ZONE_ID,
        ChangeBatch: {
          Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: RECORD, Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: endpointOf(REPLICA) }] } }],
        },
      },
      { region: 'us-east-1' },
    );
    // a client that resolved the name just before keeps the old answer for the TTL
    await expect(as('usw2', 'us-west-2', () => sql.connect(target(RECORD)))).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await w.clock.advanceBy(60_000 + 30_000);
    const s = await as('usw2', 'us-west-2', () => sql.connect(target(RECORD)));
    expect(await s.query('SELECT pg_is_in_recovery()')).toEqual([{ pg_is_in_recovery: false }]);
    await s.query(HB_UPSERT, ['after']);
    expect((await s.query('SELECT site FROM failover_heartbeat')).map((r) => r.site).sort()).toEqual(['after', 'early']);
    expect(w.network.writes.map((x) => x.target)).toEqual(['orders-primary', 'orders-primary', 'orders-primary', 'orders-replica']);
  });
});

describe('installSqlTwin', () => {
  let uninstall: (() => void) | undefined;
  afterEach(() => uninstall?.());
  it("sets and restores the product's global seam", () => {
    const { w } = setup();
    const g = globalThis as Record<symbol, unknown>;
    expect(g[SQL_CONNECTOR_SYMBOL]).toBeUndefined();
    uninstall = installSqlTwin(w);
    expect(typeof (g[SQL_CONNECTOR_SYMBOL] as SqlConnector).connect).toBe('function');
    uninstall();
    uninstall = undefined;
    expect(g[SQL_CONNECTOR_SYMBOL]).toBeUndefined();
  });
});

describe("the product's own SQL (lambdas/shared/sql.ts) against the twin", () => {
  it('writeHeartbeat on PostgreSQL and MySQL returns the database time; verify-writes checks read the flags', async () => {
    const { writeHeartbeat } = await import('../../lambdas/shared/sql.js');
    const { w, sql } = setup();
    await w.clock.advanceBy(90_500);
    const pg = await sql.connect(target(RECORD));
    expect(await writeHeartbeat(pg, 'postgres', { site: 'use1-a', epoch: 3 })).toBe(new Date(w.clock.now()).toISOString());
    expect(await writeHeartbeat(pg, 'postgres', { site: 'use1-a', epoch: 4 })).toBe(new Date(w.clock.now()).toISOString());
    expect(await pg.query('SELECT pg_is_in_recovery() AS in_recovery')).toEqual([{ in_recovery: false }]);
    w.rds.createInstance({ region: 'us-east-1', id: 'my', engine: 'mysql' });
    const my = await sql.connect({ ...target('my.c0abcdefghij.us-east-1.rds.amazonaws.com'), engine: 'mysql', port: 3306 });
    expect(await writeHeartbeat(my, 'mysql', { site: 'usw2', epoch: null })).toBe(new Date(w.clock.now()).toISOString());
    expect(await my.query('SELECT @@global.read_only AS read_only')).toEqual([{ read_only: 0 }]);
    expect(w.network.writes.filter((x) => x.target === 'my')).toHaveLength(2);
    const replica = await sql.connect(target(endpointOf(REPLICA)));
    await expect(writeHeartbeat(replica, 'postgres', { site: 'x' })).rejects.toMatchObject({ code: '25006' });
  });

  it("the probe classifies the twin's failures as the product expects", async () => {
    const { classifyDatabaseError, isReadOnlyError } = await import('../../lambdas/probe/core.js');
    const { w, sql } = setup();
    w.partition(['use1-a'], PRIMARY.id);
    const partitioned = await as('use1-a', 'us-east-1', () => sql.connect(target(RECORD))).catch((e) => e);
    expect(classifyDatabaseError(partitioned)).toBe('down');
    w.heal();
    w.rds.rebootDBInstance({ DBInstanceIdentifier: PRIMARY.id }, { region: 'us-east-1' });
    expect(classifyDatabaseError(await sql.connect(target(RECORD)).catch((e) => e))).toBe('down');
    expect(classifyDatabaseError(await sql.connect(target('nowhere.orders.internal')).catch((e) => e))).toBe('unknown');
    const replica = await sql.connect(target(endpointOf(REPLICA)));
    expect(isReadOnlyError(await replica.query('CREATE TABLE t (a int)').catch((e) => e))).toBe(true);
  });
});

describe('IAM database authentication: RDS checks the token against the endpoint the connection reached', () => {
  const savedEnv = { ...process.env };
  afterEach(() => {
    vi.useRealTimers();
    process.env = { ...savedEnv };
    delete (globalThis as Record<symbol, unknown>)[SQL_CONNECTOR_SYMBOL];
  });
  /** A world whose Date is the twin's clock (as in a drill), with role credentials to sign with. */
  const signingWorld = () => {
    const { w, sql } = setup();
    vi.useFakeTimers({ now: w.clock.now(), toFake: ['Date'] });
    process.env.AWS_ACCESS_KEY_ID = 'ASIATWINEXAMPLE00000';
    process.env.AWS_SECRET_ACCESS_KEY = 'twinSecretAccessKeyPlaceholder0000000000';
    return { w, sql };
  };
  const token = (hostname: string, region: string, username = 'probe', port = 5432) => new Signer({ hostname, port, username, region }).getAuthToken();
  const PAM = { code: '28000', message: 'PAM authentication failed for user "probe"' };

  it.each([
    ['the Route 53 name in front of the instance', () => token(RECORD, 'us-east-1')],
    ["the caller's Region instead of the database's", () => token(endpointOf(PRIMARY), 'us-west-2')],
    ['another user', () => token(endpointOf(PRIMARY), 'us-east-1', 'admin')],
    ['another port', () => token(endpointOf(PRIMARY), 'us-east-1', 'probe', 5433)],
    ["another instance's endpoint", () => token(endpointOf(REPLICA), 'us-east-1')],
  ])('a token signed for %s is refused: PAM authentication failed', async (_label, sign) => {
    const { w, sql } = signingWorld();
    const password = await sign();
    const err: any = await as('use1-a', 'us-east-1', () => sql.connect(target(RECORD, { user: 'probe', password, ssl: true }))).catch((e) => e);
    expect(err).toMatchObject(PAM);
    expect(w.timeline.some((e) => /refused an IAM auth token for probe/.test(e.event))).toBe(true);
  });

  it('a token for the instance endpoint, its port and Region is accepted through the DNS name, until it expires (15 minutes)', async () => {
    const { w, sql } = signingWorld();
    const password = await token(endpointOf(PRIMARY), 'us-east-1');
    const s = await as('usw2', 'us-west-2', () => sql.connect(target(RECORD, { password, ssl: true })));
    expect(await s.query('SELECT 1')).toEqual([{ '?column?': 1 }]);
    await w.clock.advanceBy(15 * 60_000 + 1_000);
    const late: any = await as('usw2', 'us-west-2', () => sql.connect(target(RECORD, { password, ssl: true }))).catch((e) => e);
    expect(late).toMatchObject(PAM);
    // MySQL says it the MySQL way.
    w.rds.createInstance({ region: 'us-east-1', id: 'my', engine: 'mysql' });
    const my = 'my.c0abcdefghij.us-east-1.rds.amazonaws.com';
    const wrong: any = await sql.connect({ ...target(my), engine: 'mysql', port: 3306, password: await token(my, 'eu-west-1', 'probe', 3306) }).catch((e) => e);
    expect(wrong).toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR', errno: 1045 });
  });

  it("the signer's role must be allowed rds-db:connect on the database user (any resource id of the Region), else PAM authentication failed", async () => {
    const { w, sql } = signingWorld();
    const password = await token(endpointOf(PRIMARY), 'us-east-1');
    const role = (Resource: string) => ({
      arn: 'arn:aws:sts::123456789012:assumed-role/heartbeat/hb',
      policies: [{ Statement: [{ Effect: 'Allow' as const, Action: 'rds-db:connect', Resource }] }],
    });
    const connect = (Resource: string) =>
      twinContext.run({ vantage: 'use1-a', region: 'us-east-1', functionName: 'heartbeat', principal: role(Resource) }, () =>
        sql.connect(target(RECORD, { password, ssl: true })),
      );
    await expect(connect('arn:aws:rds-db:us-east-1:123456789012:dbuser:*/probe')).resolves.toBeDefined();
    await expect(connect('arn:aws:rds-db:us-west-2:123456789012:dbuser:*/probe')).rejects.toMatchObject(PAM);
    await expect(connect('arn:aws:rds-db:us-east-1:123456789012:dbuser:*/admin')).rejects.toMatchObject(PAM);
    expect(w.timeline.some((e) => /is not allowed rds-db:connect on arn:aws:rds-db:us-east-1:123456789012:dbuser:db-[^/]+\/probe/.test(e.event))).toBe(true);
  });

  it("the product signs through the twin's resolver: the endpoint the record leads to, in its Region, from any Region", async () => {
    const { resolveCredentials } = await import('../../lambdas/shared/sql.js');
    const { w } = signingWorld();
    installSqlTwin(w);
    const sql = createSqlConnector(w);
    for (const [vantage, region] of [
      ['use1-a', 'us-east-1'],
      ['euw1', 'eu-west-1'],
    ] as const) {
      const creds = await as(vantage, region, () => resolveCredentials({ host: RECORD, port: 5432, iamUser: 'probe', ownRegion: region }));
      expect(creds).toMatchObject({ source: 'iam', user: 'probe', host: endpointOf(PRIMARY) });
      const s = await as(vantage, region, () => sql.connect(target(creds!.host!, { password: creds!.password, ssl: true })));
      expect(await s.query('SELECT 1')).toEqual([{ '?column?': 1 }]);
    }
  });
});

describe('iamTokenRefusal', () => {
  const want = { host: 'orders.c0.us-east-1.rds.amazonaws.com', port: 5432, region: 'us-east-1', user: 'probe', nowMs: Date.UTC(2026, 0, 1, 0, 10) };
  const tok = (over: Record<string, string> = {}, hostPort = 'orders.c0.us-east-1.rds.amazonaws.com:5432') => {
    const p = new URLSearchParams({
      Action: 'connect',
      DBUser: 'probe',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'ASIAX/20260101/us-east-1/rds-db/aws4_request',
      'X-Amz-Date': '20260101T000500Z',
      'X-Amz-Expires': '900',
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Signature': 'ab12',
      ...over,
    });
    return `${hostPort}/?${p.toString()}`;
  };
  it.each([
    ['a valid token', tok(), undefined],
    ['another host', tok({}, 'writer.orders.internal:5432'), /signed for host writer\.orders\.internal/],
    ['another port', tok({}, 'orders.c0.us-east-1.rds.amazonaws.com:3306'), /signed for port 3306/],
    ['another Region', tok({ 'X-Amz-Credential': 'ASIAX/20260101/us-west-2/rds-db/aws4_request' }), /signed for Region us-west-2/],
    ['another service', tok({ 'X-Amz-Credential': 'ASIAX/20260101/us-east-1/rds/aws4_request' }), /credential scope/],
    ['another action', tok({ Action: 'DescribeDBInstances' }), /is not connect/],
    ['another user', tok({ DBUser: 'admin' }), /DBUser admin/],
    ['a lifetime over 15 minutes', tok({ 'X-Amz-Expires': '3600' }), /over 900/],
    ['an expired token', tok({ 'X-Amz-Date': '20251231T235400Z' }), /expired at 2026-01-01T00:09:00/],
    ['no signature', tok({ 'X-Amz-Signature': '' }), /not a SigV4-signed token/],
  ])('%s', (_label, t, refusal) => {
    const out = iamTokenRefusal(t, want);
    if (refusal === undefined) expect(out).toBeUndefined();
    else expect(out).toMatch(refusal);
    expect(isIamAuthToken(t)).toBe(true);
  });
  it('a password is not a token', () => {
    expect(isIamAuthToken('pw')).toBe(false);
  });
});

describe('network disruption (FIS disrupt-connectivity)', () => {
  it('ends on the instance it cut, even when it was renamed meanwhile (a preserved old primary)', async () => {
    const world = exampleWorld();
    const end = world.network.disrupt(PRIMARY.id);
    expect(world.network.isDisrupted(PRIMARY.id)).toBe(true);
    await world.call(
      'rds',
      'ModifyDBInstance',
      { DBInstanceIdentifier: PRIMARY.id, NewDBInstanceIdentifier: `${PRIMARY.id}-old-1`, ApplyImmediately: true },
      { region: PRIMARY.region },
    );
    await world.clock.advanceBy(600_000);
    expect(world.rds.getInstance(PRIMARY.id, PRIMARY.region)).toBeUndefined();
    expect(world.network.isDisrupted(`${PRIMARY.id}-old-1`)).toBe(true);
    end();
    expect(world.network.isDisrupted(`${PRIMARY.id}-old-1`)).toBe(false);
    end();
    expect(world.network.isDisrupted(`${PRIMARY.id}-old-1`)).toBe(false);
  });

  it('nests: the database is reachable again when the last disruption ends', () => {
    const world = exampleWorld();
    const first = world.network.disrupt(PRIMARY.id);
    const second = world.network.disrupt(PRIMARY.id);
    first();
    expect(world.network.isDisrupted(PRIMARY.id)).toBe(true);
    second();
    expect(world.network.isDisrupted(PRIMARY.id)).toBe(false);
  });
});
