import { describe, expect, it } from 'vitest';
import { decideParameterGroup, decideRebuild, replicaParameters, type SourceFacts } from '../../../lambdas/rebuild-replica/core.js';

const source = (over: Partial<SourceFacts> = {}): SourceFacts => ({
  region: 'us-west-2',
  id: 'orders-replica',
  arn: 'arn:aws:rds:us-west-2:123456789012:db:orders-replica',
  status: 'available',
  instanceClass: 'db.r6g.large',
  encrypted: false,
  engine: 'mysql',
  ...over,
});

describe('decideRebuild', () => {
  it.each([
    ['nothing there, source available: create', { found: false }, {}, 'create'],
    ['our replica already there (ARN): done', { found: true, status: 'creating', source: 'arn:aws:rds:us-west-2:123456789012:db:orders-replica' }, {}, 'done'],
    ['the old primary still holds the name: fail (never overwrite)', { found: true, status: 'available' }, {}, 'fail'],
    ['a replica of something else: fail', { found: true, status: 'available', source: 'arn:aws:rds:eu-west-1:123456789012:db:x' }, {}, 'fail'],
    ['source backing-up: busy', { found: false }, { status: 'backing-up' }, 'busy'],
    ['source failed: fail', { found: false }, { status: 'failed' }, 'fail'],
  ] as const)('%s', (_label, existing, src, kind) => {
    expect(decideRebuild('orders-primary', existing, source(src)).kind).toBe(kind);
  });
});

describe('replicaParameters', () => {
  const preserved = {
    subnetGroup: 'orders-db-subnets',
    securityGroupIds: ['sg-0aaaaaaaaaaaaaaa1'],
    parameterGroup: 'orders-pg15',
    multiAz: true,
    kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k-1',
    port: 5432,
    deletionProtection: true,
  };

  it("copies the old primary's network settings, takes the source's class, and the configured groups win", () => {
    expect(replicaParameters('orders-primary', ['sg-0a1b2c3d4e5f60718'], source({ encrypted: true }), preserved)).toEqual({
      ok: true,
      notes: [],
      params: {
        DBInstanceIdentifier: 'orders-primary',
        SourceDBInstanceIdentifier: 'arn:aws:rds:us-west-2:123456789012:db:orders-replica',
        DBInstanceClass: 'db.r6g.large',
        VpcSecurityGroupIds: ['sg-0a1b2c3d4e5f60718'],
        DBSubnetGroupName: 'orders-db-subnets',
        DBParameterGroupName: 'orders-pg15',
        MultiAZ: true,
        KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k-1',
        Port: 5432,
        DeletionProtection: true,
      },
    });
  });

  it('a PostgreSQL replica is created without the parameter group (InvalidParameterCombination otherwise): the settle step applies it', () => {
    const out = replicaParameters('orders-primary', undefined, source({ engine: 'postgres' }), preserved);
    expect(out.ok && out.params).not.toHaveProperty('DBParameterGroupName');
    expect(out).toMatchObject({ ok: true, params: { DBSubnetGroupName: 'orders-db-subnets', Port: 5432 } });
  });

  it("uses the preserved instance's groups when none are configured, and no KMS key for an unencrypted source", () => {
    const out = replicaParameters('orders-primary', undefined, source(), preserved);
    expect(out).toMatchObject({ ok: true, params: { VpcSecurityGroupIds: ['sg-0aaaaaaaaaaaaaaa1'] } });
    expect(out.ok && out.params).not.toHaveProperty('KmsKeyId');
  });

  it('without a preserved instance: Region defaults, said so; an encrypted source cannot be replicated without a key', () => {
    expect(replicaParameters('orders-primary', undefined, source(), undefined)).toMatchObject({
      ok: true,
      notes: [expect.stringContaining('Region defaults')],
    });
    expect(replicaParameters('orders-primary', undefined, source({ encrypted: true }), undefined)).toMatchObject({
      ok: false,
      detail: expect.stringContaining('encrypted'),
    });
  });
});

describe('decideParameterGroup (settle: one step per call, decided from what is there)', () => {
  it.each([
    ['the replica is gone: fail', { found: false }, 'orders-pg15', 'fail'],
    ['still creating: wait', { found: true, status: 'creating', parameterGroup: 'default.postgres16', parameterApplyStatus: 'in-sync' }, 'orders-pg15', 'wait'],
    [
      'available with the default group: modify',
      { found: true, status: 'available', parameterGroup: 'default.postgres16', parameterApplyStatus: 'in-sync' },
      'orders-pg15',
      'modify',
    ],
    [
      'modifying (the modify was sent): wait',
      { found: true, status: 'modifying', parameterGroup: 'orders-pg15', parameterApplyStatus: 'applying' },
      'orders-pg15',
      'wait',
    ],
    ['available, applying: wait', { found: true, status: 'available', parameterGroup: 'orders-pg15', parameterApplyStatus: 'applying' }, 'orders-pg15', 'wait'],
    [
      'pending-reboot: reboot',
      { found: true, status: 'available', parameterGroup: 'orders-pg15', parameterApplyStatus: 'pending-reboot' },
      'orders-pg15',
      'reboot',
    ],
    [
      'rebooting (the reboot was sent): wait',
      { found: true, status: 'rebooting', parameterGroup: 'orders-pg15', parameterApplyStatus: 'pending-reboot' },
      'orders-pg15',
      'wait',
    ],
    ['in sync: settled', { found: true, status: 'available', parameterGroup: 'orders-pg15', parameterApplyStatus: 'in-sync' }, 'orders-pg15', 'settled'],
    [
      'nothing to carry over, available: settled',
      { found: true, status: 'available', parameterGroup: 'default.postgres16', parameterApplyStatus: 'in-sync' },
      undefined,
      'settled',
    ],
    ['nothing to carry over, still creating: wait', { found: true, status: 'creating' }, undefined, 'wait'],
  ] as const)('%s', (_label, replica, wanted, kind) => {
    const d = decideParameterGroup('orders-primary', replica, wanted);
    expect(d.kind).toBe(kind);
    if (d.kind === 'modify') expect(d.parameterGroup).toBe('orders-pg15');
  });
});
