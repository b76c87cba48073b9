/** buildPlan on fixed facts: one table row per engine, readiness, fence method and policy. */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lib/config/index.js';
import { buildPlan, formatPlan, type PlanFacts, type SiteFacts } from '../../../lib/ops/plan.js';
import { configWith, databaseConfig, type DatabaseOptions } from '../../fixtures/databases.js';
import { auroraExample, example, type Json } from '../config/helpers.js';

const site = (over: Partial<SiteFacts>): SiteFacts => ({
  region: 'us-east-1',
  id: 'x',
  exists: true,
  status: 'available',
  vpcId: 'vpc-0abc1234def567890',
  backupRetentionPeriod: 7,
  replicas: [],
  ...over,
});
const facts = (over: Partial<PlanFacts> = {}): PlanFacts => ({
  lease: { epoch: 4 },
  control: { tableName: 'failover-state', region: 'us-west-2', failoverArn: 'arn:fo', failbackArn: 'arn:fb' },
  writer: site({
    id: 'orders-primary',
    endpoint: 'p.example',
    arn: 'arn:aws:rds:us-east-1:1:db:orders-primary',
    replicas: ['arn:aws:rds:us-west-2:1:db:orders-replica'],
  }),
  standby: site({
    region: 'us-west-2',
    id: 'orders-replica',
    endpoint: 's.example',
    arn: 'arn:aws:rds:us-west-2:1:db:orders-replica',
    replicaOf: 'arn:aws:rds:us-east-1:1:db:orders-primary',
  }),
  record: { type: 'CNAME', ttl: 30, value: 'p.example' },
  isolationGroupId: 'sg-0iso0000000000000',
  now: '2026-01-01T00:00:00.000Z',
  ...over,
});
/** The plan of a config's first database on `facts(f)`. */
const planOf = (raw: unknown, f: Partial<PlanFacts> = {}) => {
  const { config } = validateConfig(raw, 'test');
  return buildPlan(config.databases[0]!, config, facts(f));
};
const plan = (mutate: (c: Json) => void, f: Partial<PlanFacts> = {}, base = example) => {
  const raw = base();
  mutate(raw);
  return planOf(raw, f);
};
const apis = (steps: { calls: { api: string }[] }[]): string[] => steps.flatMap((s) => s.calls.map((c) => c.api));
const asks = (p: ReturnType<typeof plan>): string[] => [...p.failover, ...p.failback].flatMap((s) => (s.asks ? [s.asks.split(':')[0]!] : []));

describe('buildPlan', () => {
  it('the example: isolate with the group found, promote with backups, DNS old → new, epoch 4 → 5', () => {
    const p = plan(() => undefined);
    expect(p.blockers).toEqual([]);
    expect(p.dns).toMatchObject({ from: 'p.example', to: 's.example' });
    expect(apis(p.failover)).not.toContain('ec2:CreateSecurityGroup');
    expect(p.failover.flatMap((s) => s.calls).find((c) => c.api === 'rds:ModifyDBInstance')?.params).toEqual({
      DBInstanceIdentifier: 'orders-primary',
      VpcSecurityGroupIds: ['sg-0iso0000000000000'],
      ApplyImmediately: true,
    });
    expect(p.failover[0]!.calls[0]!.params.epoch).toBe('4 → 5');
    expect(asks(p)).toEqual(['promote', 'accept-data-loss', 'promote-unfenced', 'fail-back']);
    expect(formatPlan(p, 'aws').join('\n')).toContain('DNS change:  writer.orders.internal (CNAME, TTL 30 s, zone Z0EXAMPLE): p.example → s.example');
  });

  it.each<[string, DatabaseOptions, string[]]>([
    ['mode manual asks before the fence too', { mode: 'manual' }, ['promote', 'accept-data-loss', 'promote', 'promote-unfenced', 'fail-back']],
    ['fencing best-effort never asks about the fence', { fencing: 'best-effort' }, ['promote', 'accept-data-loss', 'fail-back']],
    ['failback automatic never asks to fail back', { failback: 'automatic' }, ['promote', 'accept-data-loss', 'promote-unfenced']],
    ['failback never stops after the rebuild', { failback: 'never' }, ['promote', 'accept-data-loss', 'promote-unfenced']],
  ])('%s', (_label, options, expected) => {
    expect(asks(planOf(configWith(databaseConfig(options))))).toEqual(expected);
  });

  it('fenceMethod stop: an old primary with a replica is rebooted, not stopped', () => {
    const p = planOf(configWith(databaseConfig({ fenceMethod: 'stop' })));
    expect(apis([p.failover.find((s) => s.title.startsWith('Fence'))!])).toEqual([
      'ec2:DescribeSecurityGroups',
      'rds:ModifyDBInstance',
      'rds:RebootDBInstance',
    ]);
  });

  it('revoke-ingress: one revoke per configured group, with its rule count', () => {
    const p = planOf(configWith(databaseConfig({ fenceMethod: 'revoke-ingress' })), { ingressRules: { 'sg-0a1b2c3d4e5f60718': 2 } });
    expect(p.failover.find((s) => s.title.startsWith('Fence'))!.calls[0]).toEqual({
      api: 'ec2:RevokeSecurityGroupIngress',
      region: 'us-east-1',
      params: { GroupId: 'sg-0a1b2c3d4e5f60718', SecurityGroupRuleIds: '2 rules' },
    });
  });

  it('a warm standby is scaled up after its promotion', () => {
    const p = planOf(configWith(databaseConfig({ readiness: 'warm' })));
    const promote = p.failover.find((s) => s.title.startsWith('Promote'))!;
    expect(promote.calls.map((c) => [c.api, c.params.DBInstanceClass])).toEqual([
      ['rds:PromoteReadReplica', undefined],
      ['rds:ModifyDBInstance', 'db.r6g.xlarge'],
    ]);
  });

  it('Aurora: a global failover, then a switchover back (no preserve, no rebuild)', () => {
    const p = plan(
      () => undefined,
      { writer: site({ id: 'payments-use1', arn: 'arn:c1' }), standby: site({ region: 'us-west-2', id: 'payments-usw2', arn: 'arn:c2', replicaOf: 'arn:c1' }) },
      auroraExample,
    );
    expect(apis(p.failover)).toContain('rds:FailoverGlobalCluster');
    expect(p.failover.flatMap((s) => s.calls).find((c) => c.api === 'rds:FailoverGlobalCluster')?.params).toEqual({
      GlobalClusterIdentifier: 'payments-global',
      TargetDbClusterIdentifier: 'arn:c2',
      AllowDataLoss: true,
    });
    expect(apis(p.failback)).toContain('rds:SwitchoverGlobalCluster');
    expect(apis(p.failback)).not.toContain('rds:CreateDBInstanceReadReplica');
  });

  it.each([
    ['the lease is held', { lease: { epoch: 4, holder: 'arn:run', incidentId: 'inc' } }, 'the lease is held by arn:run'],
    ['the standby is a former writer', { lease: { epoch: 4, writer: 'standby' as const, standbyNotReadySince: '2026-01-01T00:00:00Z' } }, 'is a former writer'],
    ['the standby is no read replica', { standby: site({ region: 'us-west-2', id: 'orders-replica' }) }, 'is not a read replica: there is nothing to promote'],
    ['the standby does not exist', { standby: site({ region: 'us-west-2', id: 'orders-replica', exists: false }) }, 'does not exist'],
    ['a site does not answer', { writer: site({ id: 'orders-primary', error: 'TimeoutError' }) }, 'could not be described'],
  ])('blocked: %s', (_label, f, text) => {
    expect(plan(() => undefined, f as Partial<PlanFacts>).blockers.join('\n')).toContain(text);
  });

  it('after a failover the roles are swapped: the failover goes back the other way', () => {
    const p = plan(() => undefined, { lease: { epoch: 5, writer: 'standby' } });
    expect(p.writer).toEqual({ configured: 'standby', region: 'us-west-2', id: 'orders-replica' });
    expect(p.failover.flatMap((s) => s.calls).find((c) => c.api === 'rds:PromoteReadReplica')).toMatchObject({
      region: 'us-east-1',
      params: { DBInstanceIdentifier: 'orders-primary' },
    });
  });
});
