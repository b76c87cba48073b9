/**
 * Fixtures for the failover-step functions' tests (request-approval, fence-primary,
 * promote-standby, check-standby, switch-dns, verify-writes, record-incident): databases of every
 * kind parsed with the real schema, and a helper that tells which Region an SDK call went to.
 */
import type { AwsStub } from 'aws-sdk-client-mock';
import { databaseSchema, type DatabaseConfig } from '../../../lambdas/shared/config-schema.js';

/** The example topology: orders, postgres, us-east-1 -> us-west-2, hot standby. */
export const ordersInput = () => ({
  name: 'orders',
  engine: 'postgres',
  primary: { region: 'us-east-1', instanceId: 'orders-primary', securityGroupIds: ['sg-0a1b2c3d4e5f60718'] },
  standby: { region: 'us-west-2', instanceId: 'orders-replica', readiness: 'hot' },
  dns: { hostedZoneId: 'Z0EXAMPLE', recordName: 'writer.orders.internal', ttlSeconds: 30 },
  credentials: { secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/failover-probe-AbCdEf', databaseName: 'orders' },
  detection: {
    vantagePoints: [
      { name: 'use1-a', region: 'us-east-1' },
      { name: 'usw2', region: 'us-west-2' },
      { name: 'euw1', region: 'eu-west-1' },
    ],
    quorum: 2,
  },
  failover: { mode: 'automatic', rpoBudgetSeconds: 30, fencing: 'required', approvalTimeoutMinutes: 30 },
});

type Raw = ReturnType<typeof ordersInput> & Record<string, unknown>;

/** The hot postgres database, changed by `edit` (which may mutate the raw config). */
export function hotDb(edit: (raw: Raw) => void = () => undefined): DatabaseConfig {
  const raw = ordersInput() as Raw;
  edit(raw);
  return databaseSchema.parse(raw);
}

/** A warm standby scaled up to db.r6g.xlarge after promotion. */
export const warmDb = (): DatabaseConfig =>
  hotDb((r) => {
    r.standby = { ...r.standby, readiness: 'warm', promotedInstanceClass: 'db.r6g.xlarge' } as Raw['standby'];
  });

/** A cold standby: stack orders-cold with parameter Mode, instance orders-cold-db once active. */
export const coldDb = (): DatabaseConfig =>
  hotDb((r) => {
    r.standby = {
      region: 'us-west-2',
      instanceId: 'orders-cold-db',
      readiness: 'cold',
      coldStandby: { stackName: 'orders-cold', serviceRoleArn: 'arn:aws:iam::123456789012:role/orders-cold-cloudformation' },
    } as unknown as Raw['standby'];
  });

/** An Aurora global database: orders-east (writer) and orders-west in global cluster orders-global. */
export const auroraDb = (): DatabaseConfig =>
  hotDb((r) => {
    r.engine = 'aurora-postgresql';
    r.primary = {
      region: 'us-east-1',
      clusterId: 'orders-east',
      globalClusterId: 'orders-global',
      securityGroupIds: ['sg-0a1b2c3d4e5f60718'],
    } as unknown as Raw['primary'];
    r.standby = { region: 'us-west-2', clusterId: 'orders-west', globalClusterId: 'orders-global', readiness: 'hot' } as unknown as Raw['standby'];
  });

export const EAST_ARN = 'arn:aws:rds:us-east-1:123456789012:cluster:orders-east';
export const WEST_ARN = 'arn:aws:rds:us-west-2:123456789012:cluster:orders-west';

/** The Regions of the clients that sent each call of `command` (in call order). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function regionsOf(mock: AwsStub<any, any, any>, command: abstract new (...args: any[]) => unknown): Promise<string[]> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const calls = mock.commandCalls(command as any);
  return Promise.all(calls.map(async (c) => (c.thisValue as { config: { region: () => Promise<string> } }).config.region()));
}

/** An SDK-shaped error for services without modelled exception classes (EC2, CloudFormation). */
export function awsError(name: string, message = name, status = 400): Error & { $metadata: { httpStatusCode: number }; $fault: 'client' | 'server' } {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status }, $fault: status >= 500 ? ('server' as const) : ('client' as const) });
}

/** Weighted traffic records of the example database's two Regions (a config's `traffic`, without drain settings). */
export const TRAFFIC = {
  hostedZoneId: 'Z0APP',
  recordName: 'app.example.com',
  type: 'CNAME',
  targets: [
    { region: 'us-east-1', setIdentifier: 'use1', value: 'a.example.com' },
    { region: 'us-west-2', setIdentifier: 'usw2', value: 'b.example.com' },
  ],
};
