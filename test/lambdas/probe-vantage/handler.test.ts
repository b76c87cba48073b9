import 'aws-sdk-client-mock-vitest/extend';
import { InvokeCommand, LambdaClient, ResourceNotFoundException, TooManyRequestsException, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import {
  DBClusterNotFoundFault,
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auroraDatabase, exampleDatabase } from '../shared/database-fixture.js';

process.env.AWS_REGION = 'us-west-2';
process.env.RESOURCE_PREFIX = 'acme';
delete process.env.PROBE_FUNCTION_NAME;
const rds = mockClient(RDSClient);
const lambda = mockClient(LambdaClient);
let handler: (event: unknown) => Promise<unknown>;
beforeAll(async () => {
  ({ handler } = await import('../../../lambdas/probe-vantage/handler.js'));
});
beforeEach(() => {
  rds.reset();
  lambda.reset();
});

const db = exampleDatabase();
const rdsError = (name: string, status: number) =>
  new RDSServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: `${name} message` });
/** A Lambda response payload (the SDK wraps bytes in a blob adapter; the handler only decodes bytes). */
const encode = (o: unknown) => new TextEncoder().encode(JSON.stringify(o)) as unknown as InvokeCommandOutput['Payload'];

describe('probe-vantage: the rds-api vantage', () => {
  const event = { database: db, vantage: { name: 'rds-api', region: 'us-west-2' }, round: 1 };

  it('asks DescribeDBInstances in the primary Region and maps available to up', async () => {
    let region: string | undefined;
    rds.on(DescribeDBInstancesCommand).callsFake(async (_input, getClient) => {
      region = await getClient().config.region();
      return { DBInstances: [{ DBInstanceIdentifier: 'orders-primary', DBInstanceStatus: 'available' }] };
    });
    await expect(handler(event)).resolves.toMatchObject({ vantage: 'rds-api', region: 'us-east-1', round: 1, status: 'up', tcp: false, wrote: false });
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-primary' });
    expect(region).toBe('us-east-1');
    expect(lambda).not.toHaveReceivedAnyCommand();
  });

  it('a failed instance is down', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'failed' }] });
    await expect(handler(event)).resolves.toMatchObject({ status: 'down', error: 'RDS reports status "failed"' });
  });

  it('DBInstanceNotFound is down', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .rejects(new DBInstanceNotFoundFault({ message: 'DBInstance orders-primary not found.', $metadata: { httpStatusCode: 404 } }));
    await expect(handler(event)).resolves.toMatchObject({ status: 'down', error: expect.stringContaining('DBInstanceNotFoundFault') });
  });

  it.each([
    ['throttling after the SDK retries', rdsError('Throttling', 400), 'Throttling'],
    ['a timeout (Region outage)', Object.assign(new Error('Request timed out'), { name: 'TimeoutError' }), 'TimeoutError'],
    ['access denied', rdsError('AccessDenied', 403), 'AccessDenied'],
    ['a 503', rdsError('ServiceUnavailable', 503), 'ServiceUnavailable'],
  ])('%s is unknown, never an error', async (_label, err, name) => {
    rds.on(DescribeDBInstancesCommand).rejects(err);
    await expect(handler(event)).resolves.toMatchObject({ vantage: 'rds-api', status: 'unknown', wrote: false, error: expect.stringContaining(name) });
  });

  it('Aurora asks DescribeDBClusters for the primary cluster', async () => {
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterIdentifier: 'orders-east', Status: 'available' }] });
    await expect(handler({ ...event, database: auroraDatabase() })).resolves.toMatchObject({ status: 'up' });
    expect(rds).toHaveReceivedCommandWith(DescribeDBClustersCommand, { DBClusterIdentifier: 'orders-east' });
    expect(rds).not.toHaveReceivedCommand(DescribeDBInstancesCommand);
  });

  it('Aurora: a missing cluster is down', async () => {
    rds.on(DescribeDBClustersCommand).rejects(new DBClusterNotFoundFault({ message: 'DBCluster orders-east not found.', $metadata: { httpStatusCode: 404 } }));
    await expect(handler({ ...event, database: auroraDatabase() })).resolves.toMatchObject({ status: 'down' });
  });
});

describe('probe-vantage: remote vantages', () => {
  const event = { database: db, vantage: { name: 'euw1', region: 'eu-west-1' }, round: 2 };
  const probeResult = { vantage: 'euw1', region: 'eu-west-1', status: 'up', wrote: true, tcp: true, latencyMs: 41 };

  it('invokes the probe function in the vantage Region with the probe input', async () => {
    let region: string | undefined;
    lambda.on(InvokeCommand).callsFake(async (_input, getClient) => {
      region = await getClient().config.region();
      return { StatusCode: 200, Payload: encode(probeResult) };
    });
    await expect(handler(event)).resolves.toEqual({ ...probeResult, round: 2 });
    expect(region).toBe('eu-west-1');
    expect(lambda).toHaveReceivedCommandWith(InvokeCommand, { FunctionName: 'acme-probe', InvocationType: 'RequestResponse' });
    const sent = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(JSON.parse(new TextDecoder().decode(sent.Payload as Uint8Array))).toEqual({
      database: 'orders',
      engine: 'postgres',
      host: 'writer.orders.internal',
      port: 5432,
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/failover-probe-AbCdEf',
      secretReplicaRegions: ['us-west-2', 'eu-west-1'],
      databaseName: 'orders',
      write: true,
      timeoutMs: 3000,
      vantage: 'euw1',
    });
    expect(rds).not.toHaveReceivedAnyCommand();
  });

  it('a function error is unknown', async () => {
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: encode({ errorType: 'Runtime.ExitError', errorMessage: 'exited' }) });
    await expect(handler(event)).resolves.toMatchObject({
      vantage: 'euw1',
      region: 'eu-west-1',
      round: 2,
      status: 'unknown',
      error: expect.stringContaining('Runtime.ExitError'),
    });
  });

  it.each([
    ['throttled invokes', new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }), 'TooManyRequestsException'],
    [
      'a probe function that is not deployed there',
      new ResourceNotFoundException({ message: 'Function not found', $metadata: { httpStatusCode: 404 } }),
      'ResourceNotFoundException',
    ],
    ['a Region that does not answer', Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }), 'TimeoutError'],
  ])('%s are unknown, never an error', async (_label, err, name) => {
    lambda.on(InvokeCommand).rejects(err);
    await expect(handler(event)).resolves.toMatchObject({ status: 'unknown', wrote: false, error: expect.stringContaining(name) });
  });
});

describe('probe-vantage invalid input', () => {
  it.each([
    ['round 0', { database: db, vantage: { name: 'a', region: 'us-east-1' }, round: 0 }],
    ['no vantage', { database: db, round: 1 }],
    ['no database', { vantage: { name: 'a', region: 'us-east-1' }, round: 1 }],
  ])('%s: InvalidInputError, nothing sent', async (_label, event) => {
    await expect(handler(event)).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(rds).not.toHaveReceivedAnyCommand();
    expect(lambda).not.toHaveReceivedAnyCommand();
  });
});
