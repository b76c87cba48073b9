/** The useDeployedTwin fixture: the app deployed once for a describe's tests, the SDK twin on its world, taken off after them. */
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConnector, getSqlConnector } from '../../lambdas/shared/sql.js';
import type { World } from '../../twin/world.js';
import { useDeployedTwin } from './deployed-twin.js';

const unpatchedSend = RDSClient.prototype.send;

describe('useDeployedTwin({ seed, prepare })', () => {
  const twin = useDeployedTwin({
    seed: 5,
    prepare: (app) => {
      const copy = structuredClone(app);
      for (const f of copy.functions) f.environment.PREPARED = 'yes';
      return copy;
    },
  });
  const whileCollecting = ((): unknown => {
    try {
      return twin.world;
    } catch (err) {
      return err;
    }
  })();
  const seen: World[] = [];
  beforeAll(() => void seen.push(twin.world)); // a hook registered after the fixture runs after the deployment

  it('deploys the example config before the first test (not while the tests are collected), on a world of that seed that answers the SDK and SQL', async () => {
    expect(whileCollecting).toMatchObject({ message: expect.stringMatching(/^useDeployedTwin: not deployed yet/) });
    expect(seen).toEqual([twin.world]);
    expect(twin.world.seed).toBe(5);
    expect(Object.keys(twin.deployment.databases)).toEqual(['orders']);
    const out = await new RDSClient({ region: 'us-east-1' }).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-primary' }));
    expect(out.DBInstances?.[0]?.DBInstanceIdentifier).toBe('orders-primary');
    await expect(getSqlConnector().resolveEndpoint('writer.orders.internal', 1000)).resolves.toBe(twin.deployment.databases.orders!.primary.endpoint);
  });

  it('deploys the app as prepare changed it; finds a function by folder, in the control Region unless told', () => {
    expect(twin.app.functions.every((f) => f.environment.PREPARED === 'yes')).toBe(true);
    expect(twin.fn('manage-lease').env.PREPARED).toBe('yes');
    expect(twin.fn('heartbeat').fn.region).toBe('us-west-2');
    expect(twin.fn('heartbeat', 'us-east-1').fn.region).toBe('us-east-1');
    expect(() => twin.fn('no-such-folder')).toThrow('useDeployedTwin: no no-such-folder function in us-west-2');
  });

  it('keeps one deployment for every test of the describe', () => {
    expect(twin.world).toBe(seen[0]);
  });
});

describe('useDeployedTwin() after the describe that used it', () => {
  it('has taken the SDK and SQL twins off', () => {
    expect(RDSClient.prototype.send).toBe(unpatchedSend);
    expect(getSqlConnector()).toBe(defaultConnector);
  });
});
