/**
 * `failover plan`: a dry run on the cloud twin. It makes read calls only (counted by the twin's
 * `world.apiCalls`), and follows the current roles: after a failover it plans the other way and
 * says the former writer is no standby yet.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../../bin/failover.js';
import { queryTwin } from '../../bin/cli/twin-world.js';
import { buildPlan, readPlanFacts } from '../../lib/ops/plan.js';
import { fakeIo } from '../helpers/cli-io.js';

process.env.RDS_FAILOVER_TWIN_CACHE ??= `${process.cwd()}/.twin-cache`;
const READ = /^[a-z0-9]+:(Describe|List|Get)[A-Za-z]*$/;

describe('failover plan on the twin', () => {
  it('makes only read calls, and plans the failover, the DNS change and the failback of the example', async () => {
    const { plan, calls } = await queryTwin({ configFile: 'examples/config.json', atSeconds: 30 }, async ({ env, config, world }) => {
      const before = { ...world.apiCalls };
      const db = config.databases[0]!;
      const p = buildPlan(db, config, await readPlanFacts(config, env, db));
      const made = Object.entries(world.apiCalls)
        .map(([k, n]) => [k, n - (before[k] ?? 0)] as const)
        .filter(([, n]) => n > 0)
        .map(([k]) => k);
      return { plan: p, calls: made };
    });
    expect(calls.length).toBeGreaterThan(3);
    expect(calls.filter((c) => !READ.test(c))).toEqual([]);
    expect(calls).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'rds:DescribeDBInstances', 'route53:ListResourceRecordSets', 'ec2:DescribeSecurityGroups']),
    );

    expect(plan.blockers).toEqual([]);
    expect(plan.dns).toEqual({
      record: 'writer.orders.internal',
      zone: 'Z0EXAMPLE',
      type: 'CNAME',
      from: 'orders-primary.c0abcdefghij.us-east-1.rds.amazonaws.com',
      to: 'orders-replica.c0abcdefghij.us-west-2.rds.amazonaws.com',
      ttl: 30,
    });
    const apis = plan.failover.flatMap((s) => s.calls.map((c) => c.api));
    expect(apis.indexOf('rds:ModifyDBInstance')).toBeLessThan(apis.indexOf('rds:PromoteReadReplica'));
    expect(apis.indexOf('rds:PromoteReadReplica')).toBeLessThan(apis.indexOf('route53:ChangeResourceRecordSets'));
    expect(plan.failover.flatMap((s) => s.calls).find((c) => c.api === 'rds:PromoteReadReplica')).toMatchObject({
      region: 'us-west-2',
      params: { DBInstanceIdentifier: 'orders-replica' },
    });
    expect([...plan.failover, ...plan.failback].flatMap((s) => (s.asks ? [s.asks.split(':')[0]] : []))).toEqual([
      'promote',
      'accept-data-loss',
      'promote-unfenced',
      'fail-back',
    ]);
    expect(plan.humans).toHaveLength(4);
  }, 120_000);

  it('after a failover: plans from the new writer and says the former writer is no standby yet', async () => {
    const t = fakeIo();
    expect(await run(['plan', 'orders', '--twin', '--scenario', 'scenarios/region-outage.json', '--at', '30m', '--json'], t.io)).toBe(0);
    const plan = JSON.parse(t.stdout());
    expect(plan.writer).toEqual({ configured: 'standby', region: 'us-west-2', id: 'orders-replica' });
    expect(plan.standby).toMatchObject({ configured: 'primary', region: 'us-east-1', id: 'orders-primary' });
    expect(plan.dns.from).toBe('orders-replica.c0abcdefghij.us-west-2.rds.amazonaws.com');
    expect(plan.blockers.join('\n')).toContain('orders-primary (us-east-1) is a former writer');
  }, 120_000);

  it('prints the steps for people, and exits 2 for an unknown database', async () => {
    const t = fakeIo();
    expect(await run(['plan', 'orders', '--twin', '--config', 'examples/config.json', '--at', '30s'], t.io)).toBe(0);
    expect(t.stdout()).toContain('a dry run, nothing was changed');
    expect(t.stdout()).toContain(
      'DNS change:  writer.orders.internal (CNAME, TTL 30 s, zone Z0EXAMPLE): orders-primary.c0abcdefghij.us-east-1.rds.amazonaws.com → orders-replica.c0abcdefghij.us-west-2.rds.amazonaws.com',
    );
    expect(t.stdout()).toMatch(/rds:PromoteReadReplica \(us-west-2\) DBInstanceIdentifier=orders-replica BackupRetentionPeriod=7/);
    const u = fakeIo();
    expect(await run(['plan', 'nope', '--twin', '--config', 'examples/config.json'], u.io)).toBe(2);
    expect(u.stderr()).toContain('no database "nope"');
  }, 120_000);
});
