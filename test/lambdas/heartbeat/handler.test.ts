import 'aws-sdk-client-mock-vitest/extend';
import { CloudWatchClient, CloudWatchServiceException, DescribeAlarmsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HEARTBEAT_SQL, REPLICATION_SQL } from '../../../lambdas/shared/sql.js';
import { coded, installFakeConnector, uninstallFakeConnector } from '../shared/fake-connector.js';

process.env.AWS_REGION = 'us-east-1';
process.env.RESOURCE_PREFIX = 'failover';
process.env.EVENT_BUS_NAME = 'failover-events';
process.env.CONTROL_REGION = 'us-west-2';
delete process.env.DB_TLS;
const cw = mockClient(CloudWatchClient);
const eb = mockClient(EventBridgeClient);
const sm = mockClient(SecretsManagerClient);
let handler: (event: unknown) => Promise<unknown>;
beforeAll(async () => {
  ({ handler } = await import('../../../lambdas/heartbeat/handler.js'));
});
beforeEach(() => {
  cw.reset();
  sm.reset();
  eb.reset();
  cw.on(PutMetricDataCommand).resolves({});
  cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'failover-orders-heartbeat-in-region', StateValue: 'OK' }] });
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'hb', password: 'pw' }) });
});
afterEach(() => uninstallFakeConnector());

const input = (extra: object = {}) => ({
  database: 'orders',
  engine: 'postgres',
  host: 'writer.orders.internal',
  port: 5432,
  secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/failover-probe-AbCdEf',
  site: 'in-region',
  timeoutMs: 200,
  ...extra,
});
const Dimensions = [
  { Name: 'Database', Value: 'orders' },
  { Name: 'Site', Value: 'in-region' },
];

describe('heartbeat handler', () => {
  it("IAM auth (the cross-Region heartbeat): a token for the endpoint the record leads to, in that endpoint's Region, and the connection made to it over TLS", async () => {
    const saved = { ...process.env };
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
    try {
      // This function runs in us-east-1; the writer is in eu-west-1.
      const endpoint = 'orders-primary.c0abcdefghij.eu-west-1.rds.amazonaws.com';
      const fake = installFakeConnector({ cnames: { 'writer.orders.internal': `${endpoint}.` } });
      const out = await handler(input({ secretArn: undefined, iamUser: 'failover_iam', site: 'cross-region' }));
      expect(out).toMatchObject({ ok: true });
      expect(sm).not.toHaveReceivedAnyCommand();
      const target = fake.targets[0]!;
      expect(target).toMatchObject({ host: endpoint, port: 5432, user: 'failover_iam', ssl: true });
      expect(target.password!.startsWith(`${endpoint}:5432/?Action=connect&DBUser=failover_iam&`)).toBe(true);
      expect(target.password).toContain('%2Feu-west-1%2Frds-db%2Faws4_request');
      expect(target.password).not.toContain('us-east-1');
    } finally {
      process.env = saved;
    }
  });

  it('writes the heartbeat through the DNS name and publishes success and latency', async () => {
    const fake = installFakeConnector();
    const out = await handler(input());
    expect(out).toMatchObject({ database: 'orders', site: 'in-region', ok: true });
    expect((out as { error?: string }).error).toBeUndefined();
    expect(fake.targets).toEqual([
      { engine: 'postgres', host: 'writer.orders.internal', port: 5432, user: 'hb', password: 'pw', database: 'postgres', timeoutMs: 200, ssl: true },
    ]);
    expect(fake.statements).toEqual([
      { sql: REPLICATION_SQL.postgres, params: undefined },
      { sql: HEARTBEAT_SQL.postgres.create, params: undefined },
      { sql: HEARTBEAT_SQL.postgres.upsert, params: ['in-region', null] },
    ]);
    expect(fake.closed).toBe(1);
    // The fake's answer to pg_stat_replication says nothing of replicas: no WAL figure.
    expect(cw).toHaveReceivedCommandWith(PutMetricDataCommand, {
      Namespace: 'RdsFailover',
      MetricData: [
        expect.objectContaining({ MetricName: 'HeartbeatSuccess', Dimensions, Value: 1, Unit: 'Count' }),
        expect.objectContaining({ MetricName: 'HeartbeatLatency', Dimensions, Unit: 'Milliseconds' }),
      ],
    });
  });

  it('PostgreSQL: reads the WAL its replicas lack before writing, and publishes it as WalBytesBehind', async () => {
    installFakeConnector({
      query: (sql) => (sql === REPLICATION_SQL.postgres ? [{ replicas: '1', readable: '1', bytes_behind: '0' }] : [{ at_epoch: 1775044800 }]),
    });
    await expect(handler(input())).resolves.toMatchObject({ ok: true });
    const data = cw.commandCalls(PutMetricDataCommand)[0]!.args[0].input.MetricData!;
    expect(data.map((d) => [d.MetricName, d.Unit])).toEqual([
      ['HeartbeatSuccess', 'Count'],
      ['HeartbeatLatency', 'Milliseconds'],
      ['WalBytesBehind', 'Bytes'],
    ]);
    expect(data[2]).toMatchObject({ Dimensions, Value: 0 });
  });

  it('a pg_stat_replication read that fails (no privilege, a server in recovery) does not fail the heartbeat', async () => {
    installFakeConnector({ query: (sql) => (sql === REPLICATION_SQL.postgres ? coded('42501', 'permission denied') : [{ at_epoch: 1775044800 }]) });
    await expect(handler(input())).resolves.toMatchObject({ ok: true });
    const data = cw.commandCalls(PutMetricDataCommand)[0]!.args[0].input.MetricData!;
    expect(data.map((d) => d.MetricName)).toEqual(['HeartbeatSuccess', 'HeartbeatLatency']);
  });

  it.each([
    ['a refused connection', { connect: coded('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:5432') }, 'connecting: connect ECONNREFUSED'],
    ['a read-only server', { query: () => coded('25006', 'cannot execute CREATE TABLE in a read-only transaction') }, 'writing the heartbeat: 25006'],
    ['a write that hangs', { query: () => new Promise<never>(() => undefined) }, 'writing the heartbeat: ETIMEDOUT'],
  ])('%s publishes 0 and never throws', async (_label, script, error) => {
    installFakeConnector(script);
    await expect(handler(input())).resolves.toMatchObject({ ok: false, error: expect.stringContaining(error) });
    expect(cw).toHaveReceivedCommandWith(PutMetricDataCommand, {
      Namespace: 'RdsFailover',
      MetricData: [expect.objectContaining({ MetricName: 'HeartbeatSuccess', Dimensions, Value: 0 })],
    });
  });

  it('a failed heartbeat whose alarm is not in ALARM asks for a verification on the product bus in the control Region', async () => {
    installFakeConnector({ connect: coded('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:5432') });
    await expect(handler(input())).resolves.toMatchObject({ ok: false, verification: 'sent' });
    expect(cw).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: ['failover-orders-heartbeat-in-region'] });
    expect(await eb.call(0).thisValue.config.region()).toBe('us-west-2');
    const entry = eb.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({ Source: 'rds-failover.heartbeat', DetailType: 'Heartbeat Failed', EventBusName: 'failover-events' });
    const detail = JSON.parse(entry.Detail!) as Record<string, string>;
    expect(detail).toMatchObject({ database: 'orders', site: 'in-region', error: expect.stringContaining('ECONNREFUSED') });
    // The attempt's start: the same instant as the HeartbeatSuccess 0 datapoint.
    const datum = cw.commandCalls(PutMetricDataCommand)[0]!.args[0].input.MetricData![0]!;
    expect(new Date(detail.at!).getTime()).toBe((datum.Timestamp as Date).getTime());
  });

  it('a successful heartbeat asks nothing', async () => {
    installFakeConnector();
    const out = await handler(input());
    expect(out).toMatchObject({ ok: true });
    expect((out as { verification?: string }).verification).toBeUndefined();
    expect(cw).not.toHaveReceivedCommand(DescribeAlarmsCommand);
    expect(eb).not.toHaveReceivedAnyCommand();
  });

  it('a failed heartbeat whose alarm is already in ALARM asks nothing (that alarm started a run)', async () => {
    installFakeConnector({ connect: coded('ECONNREFUSED', 'refused') });
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'failover-orders-heartbeat-in-region', StateValue: 'ALARM' }] });
    await expect(handler(input())).resolves.toMatchObject({ ok: false, verification: 'alarm-already-in-alarm' });
    expect(eb).not.toHaveReceivedAnyCommand();
  });

  it('an alarm that cannot be read does not stop the request', async () => {
    installFakeConnector({ connect: coded('ECONNREFUSED', 'refused') });
    cw.on(DescribeAlarmsCommand).rejects(
      new CloudWatchServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'no' }),
    );
    await expect(handler(input())).resolves.toMatchObject({ ok: false, verification: 'sent' });
  });

  it.each([
    ['refused', () => eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' }] })],
    ['throws', () => eb.on(PutEventsCommand).rejects(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))],
  ])('a request that is %s is logged, never an error (the datapoint is published; the alarm still triggers)', async (_label, arrange) => {
    installFakeConnector({ connect: coded('ECONNREFUSED', 'refused') });
    arrange();
    await expect(handler(input())).resolves.toMatchObject({ ok: false, verification: 'failed-to-send' });
    expect(cw).toHaveReceivedCommandWith(PutMetricDataCommand, { MetricData: [expect.objectContaining({ Value: 0 })] });
  });

  it('reads the secret in the ARN Region when its own is not listed, and a listed replica when that Region does not answer', async () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/failover-probe-AbCdEf';
    sm.on(GetSecretValueCommand, { SecretId: arn }).rejects(Object.assign(new Error('connection timed out'), { name: 'TimeoutError', code: 'ETIMEDOUT' }));
    const fake = installFakeConnector();
    await expect(handler(input({ secretReplicaRegions: ['us-west-2'] }))).resolves.toMatchObject({ ok: true });
    expect(sm).toHaveReceivedNthCommandWith(GetSecretValueCommand, 1, { SecretId: arn });
    expect(sm).toHaveReceivedNthCommandWith(GetSecretValueCommand, 2, { SecretId: arn.replace(':us-east-1:', ':us-west-2:') });
    expect(fake.targets).toHaveLength(1);
  });

  it('unreadable credentials publish 0', async () => {
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    const fake = installFakeConnector();
    await expect(handler(input())).resolves.toMatchObject({ ok: false, error: 'reading the database credentials: ThrottlingException: Rate exceeded' });
    expect(fake.targets).toEqual([]);
  });

  it('without credentials the heartbeat is a TCP check', async () => {
    const fake = installFakeConnector({ tcp: coded('ETIMEDOUT', 'TCP connection to writer.orders.internal:5432 timed out after 200 ms') });
    await expect(handler(input({ secretArn: undefined, site: 'cross-region' }))).resolves.toMatchObject({
      ok: false,
      site: 'cross-region',
      error: expect.stringContaining('TCP check'),
    });
    expect(fake.tcpChecks).toHaveLength(1);
    expect(cw).toHaveReceivedCommandWith(PutMetricDataCommand, {
      MetricData: [
        expect.objectContaining({
          Dimensions: [
            { Name: 'Database', Value: 'orders' },
            { Name: 'Site', Value: 'cross-region' },
          ],
          Value: 0,
        }),
      ],
    });
  });

  it('PutMetricData throttling is TransientAwsError', async () => {
    installFakeConnector();
    cw.on(PutMetricDataCommand).rejects(
      new CloudWatchServiceException({ name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }),
    );
    await expect(handler(input())).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('cloudwatch:PutMetricData failed: Throttling'),
    });
  });

  it('PutMetricData access denied is AwsCallFailedError', async () => {
    installFakeConnector();
    cw.on(PutMetricDataCommand).rejects(
      new CloudWatchServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'not authorized to perform: cloudwatch:PutMetricData',
      }),
    );
    await expect(handler(input())).rejects.toMatchObject({ name: 'AwsCallFailedError' });
  });

  it.each([
    ['an unknown site', { site: 'elsewhere' }],
    ['no host', { host: '' }],
    ['a port that is not a number', { port: '5432' }],
  ])('%s: InvalidInputError, nothing written or published', async (_label, extra) => {
    const fake = installFakeConnector();
    await expect(handler(input(extra))).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(fake.targets).toEqual([]);
    expect(cw).not.toHaveReceivedAnyCommand();
  });
});
