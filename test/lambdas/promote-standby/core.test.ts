import { describe, expect, it } from 'vitest';
import {
  coldStackParameters,
  decideAfterNotAReplica,
  decideColdStack,
  decideGlobalFailover,
  decideInstancePromotion,
  decideScaleUp,
  isNoUpdatesMessage,
  isNotAReplicaMessage,
} from '../../../lambdas/promote-standby/core.js';

const SRC = 'arn:aws:rds:us-east-1:123456789012:db:orders-primary';

describe('decideInstancePromotion', () => {
  it.each([
    [{ status: 'available', source: SRC }, 'call'],
    [{ status: 'storage-optimization', source: SRC }, 'call'],
    [{ status: 'available' }, 'done'],
    [{ status: 'modifying' }, 'done'],
    [{ status: 'rebooting' }, 'done'],
    [{ status: 'backing-up', source: SRC }, 'busy'],
    [{ status: 'modifying', source: SRC }, 'busy'],
    [{ status: 'failed', source: SRC }, 'fail'],
    [{ status: 'stopped', source: SRC }, 'fail'],
    [{ status: 'storage-full', source: SRC }, 'fail'],
    [{ status: 'incompatible-parameters', source: SRC }, 'fail'],
    [{ status: 'inaccessible-encryption-credentials', source: SRC }, 'fail'],
  ])('%j -> %s', (facts, kind) => expect(decideInstancePromotion({ id: 'orders-replica', ...facts }).kind).toBe(kind));

  it('says why it is already done', () => {
    expect(decideInstancePromotion({ id: 'orders-replica', status: 'available' }).detail).toBe(
      'orders-replica is already promoted (no longer a read replica; status available)',
    );
  });
});

describe('decideAfterNotAReplica', () => {
  it.each([
    [{ status: 'available' }, 'done'],
    [{ status: 'available', source: SRC }, 'fail'],
  ])('%j -> %s', (facts, kind) => expect(decideAfterNotAReplica({ id: 'r', ...facts }).kind).toBe(kind));
});

describe('decideScaleUp', () => {
  it.each([
    [{ status: 'available', instanceClass: 'db.r6g.large' }, 'call'],
    [{ status: 'modifying', instanceClass: 'db.r6g.large' }, 'call'],
    [{ status: 'available', instanceClass: 'db.r6g.xlarge' }, 'done'],
    [{ status: 'modifying', instanceClass: 'db.r6g.large', pendingClass: 'db.r6g.xlarge' }, 'done'],
    [{ status: 'failed', instanceClass: 'db.r6g.large' }, 'fail'],
  ])('%j -> %s', (facts, kind) => expect(decideScaleUp({ id: 'r', ...facts }, 'db.r6g.xlarge').kind).toBe(kind));
});

describe('decideGlobalFailover', () => {
  const EAST = 'arn:east';
  const WEST = 'arn:west';
  const members = (writer: string) => [
    { arn: EAST, isWriter: writer === EAST },
    { arn: WEST, isWriter: writer === WEST },
  ];
  it.each([
    ['east writes, nothing running', { members: members(EAST) }, 'call'],
    ['west already writes', { members: members(WEST) }, 'done'],
    ['a failover to west is running', { members: members(EAST), failoverStatus: 'failing-over', failoverTo: WEST }, 'done'],
    ['a switchover pending, target unknown', { members: members(EAST), failoverStatus: 'pending' }, 'done'],
    ['a failover is being cancelled', { members: members(EAST), failoverStatus: 'cancelling', failoverTo: WEST }, 'busy'],
    ['a failover to another cluster runs', { members: members(EAST), failoverStatus: 'failing-over', failoverTo: 'arn:eu' }, 'fail'],
    ['west is not a member', { members: [{ arn: EAST, isWriter: true }] }, 'fail'],
  ])('%s -> %s', (_name, facts, kind) => expect(decideGlobalFailover({ id: 'orders-global', ...facts }, WEST).kind).toBe(kind));
});

describe('decideColdStack', () => {
  const cold = { stackName: 'orders-cold', parameterName: 'Mode', activeValue: 'active' };
  const stack = (status: string, mode: string | null = 'dormant') => ({
    name: 'orders-cold',
    status,
    parameters: [{ key: 'InstanceClass', value: 'db.r6g.large' }, ...(mode === null ? [] : [{ key: 'Mode', value: mode }])],
  });
  it.each([
    [stack('CREATE_COMPLETE'), 'call'],
    [stack('UPDATE_COMPLETE'), 'call'],
    [stack('UPDATE_ROLLBACK_COMPLETE'), 'call'],
    [stack('UPDATE_COMPLETE', 'active'), 'done'],
    [stack('UPDATE_IN_PROGRESS', 'active'), 'done'],
    [stack('UPDATE_IN_PROGRESS'), 'busy'],
    [stack('UPDATE_ROLLBACK_IN_PROGRESS'), 'busy'],
    [stack('UPDATE_ROLLBACK_FAILED'), 'fail'],
    [stack('ROLLBACK_COMPLETE'), 'fail'],
    [stack('CREATE_COMPLETE', null), 'fail'],
  ])('%j -> %s', (s, kind) => expect(decideColdStack(s, cold).kind).toBe(kind));

  it('keeps every other parameter and sets the activation one', () => {
    expect(coldStackParameters(stack('UPDATE_COMPLETE'), cold)).toEqual([
      { ParameterKey: 'InstanceClass', UsePreviousValue: true },
      { ParameterKey: 'Mode', ParameterValue: 'active' },
    ]);
  });
});

describe('error messages', () => {
  it.each([
    ['DB Instance is not a read replica.', true],
    ['DB instance orders-replica is not a Read Replica', true],
    ['DB Instance is not in available state.', false],
    [undefined, false],
  ])('not a replica: %j -> %s', (m, yes) => expect(isNotAReplicaMessage(m)).toBe(yes));
  it.each([
    ['No updates are to be performed.', true],
    ['Stack with id orders-cold does not exist', false],
  ])('no updates: %j -> %s', (m, yes) => expect(isNoUpdatesMessage(m)).toBe(yes));
});
