/** The useSdkTwin fixture: a world per test with the SDK twin on it, taken off after each test. */
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { World } from '../../twin/world.js';
import { exampleWorld } from '../twin/helpers.js';
import { useSdkTwin } from './sdk-twin.js';

const unpatchedSend = RDSClient.prototype.send;

describe('useSdkTwin(factory)', () => {
  const twin = useSdkTwin(exampleWorld);
  const seen: World[] = [];

  it('gives each test a world made by the factory, whose SDK clients it answers', async () => {
    seen.push(twin.world);
    expect(RDSClient.prototype.send).not.toBe(unpatchedSend);
    const out = await twin.client(RDSClient, 'us-west-2').send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-replica' }));
    expect(out.DBInstances?.[0]?.DBInstanceIdentifier).toBe('orders-replica');
    expect(twin.world.apiCalls['rds:DescribeDBInstances']).toBe(1);
  });

  it('and a fresh one for the next test', () => {
    seen.push(twin.world);
    expect(seen[1]).not.toBe(seen[0]);
    expect(twin.world.apiCalls['rds:DescribeDBInstances']).toBeUndefined();
  });
});

describe('useSdkTwin() without a factory', () => {
  const twin = useSdkTwin();

  it('has no world (and no SDK twin) until a test brings one', () => {
    expect(RDSClient.prototype.send).toBe(unpatchedSend);
    expect(() => twin.world).toThrow(/no world in this test/);
    expect(() => twin.client(RDSClient)).toThrow(/would reach AWS/);
  });

  it('use(world) answers from that world for the rest of the test', async () => {
    const w = twin.use(exampleWorld(3));
    expect(twin.world).toBe(w);
    await new RDSClient({ region: 'us-east-1' }).send(new DescribeDBInstancesCommand({}));
    expect(w.apiCalls['rds:DescribeDBInstances']).toBe(1);
  });

  it('takes the SDK twin off after each test', () => {
    expect(RDSClient.prototype.send).toBe(unpatchedSend);
  });
});
