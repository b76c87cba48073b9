import { describe, expect, it } from 'vitest';
import { classifyFenceError, failedAction, fenceConfirmed, mergeRevoked, sessionPlan, stableJson, type FenceAction } from '../../../lambdas/fence-primary/core.js';

const err = (name: string, message = name) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

describe('sessionPlan', () => {
  it.each([
    ['available', 'reboot'],
    ['failed', 'down'],
    ['stopped', 'down'],
    ['stopping', 'down'],
    ['rebooting', 'down'],
    ['storage-full', 'down'],
    ['incompatible-network', 'down'],
    ['incompatible-parameters', 'down'],
    ['inaccessible-encryption-credentials', 'down'],
    ['inaccessible-encryption-credentials-recoverable', 'down'],
    ['modifying', 'busy'],
    ['backing-up', 'busy'],
    ['starting', 'busy'],
    ['maintenance', 'busy'],
    ['upgrading', 'busy'],
  ] as const)('%s -> %s', (status, plan) => expect(sessionPlan(status)).toBe(plan));
});

describe('classifyFenceError', () => {
  it.each([
    [err('Throttling'), 'throttled'],
    [err('RequestLimitExceeded'), 'throttled'],
    [err('TimeoutError'), 'unreachable'],
    [Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }), 'unreachable'],
    [Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), 'unreachable'],
    [err('UnauthorizedOperation'), 'denied'],
    [err('AccessDenied'), 'denied'],
    [err('InvalidGroup.NotFound'), 'rejected'],
    [err('DBInstanceNotFoundFault'), 'rejected'],
  ])('%s -> %s', (e, kind) => expect(classifyFenceError(e)).toBe(kind));

  it('describes a failed action with the operation, the kind and the AWS error', () => {
    expect(failedAction('reboot orders-primary', 'RebootDBInstance', err('TimeoutError', 'socket hang up'))).toEqual({
      action: 'reboot orders-primary',
      result: 'failed',
      detail: 'RebootDBInstance: the primary Region did not answer (TimeoutError: socket hang up)',
    });
    expect(failedAction('revoke-ingress sg-1', 'RevokeSecurityGroupIngress', err('UnauthorizedOperation', 'You are not authorized')).detail).toBe(
      'RevokeSecurityGroupIngress: access denied (UnauthorizedOperation: You are not authorized)',
    );
  });
});

describe('mergeRevoked', () => {
  const ruleA = { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/16' }] };
  const ruleAReordered = { IpRanges: [{ CidrIp: '10.0.0.0/16' }], ToPort: 5432, FromPort: 5432, IpProtocol: 'tcp' };
  const ruleB = { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: 'sg-0aaa0aaa0aaa0aaa0' }] };

  it.each([
    ['first rules of a group', [], 'sg-1', [ruleA], [{ groupId: 'sg-1', permissions: [ruleA] }], true],
    ['the same rule again (any key order)', [{ groupId: 'sg-1', permissions: [ruleA] }], 'sg-1', [ruleAReordered], [{ groupId: 'sg-1', permissions: [ruleA] }], false],
    ['a new rule of a known group', [{ groupId: 'sg-1', permissions: [ruleA] }], 'sg-1', [ruleB], [{ groupId: 'sg-1', permissions: [ruleA, ruleB] }], true],
    ['another group', [{ groupId: 'sg-1', permissions: [ruleA] }], 'sg-2', [ruleB], [{ groupId: 'sg-1', permissions: [ruleA] }, { groupId: 'sg-2', permissions: [ruleB] }], true],
    ['nothing found now (re-run): keeps what was saved', [{ groupId: 'sg-1', permissions: [ruleA] }], 'sg-1', [], [{ groupId: 'sg-1', permissions: [ruleA] }], false],
  ])('%s', (_name, saved, groupId, found, revoked, changed) => {
    expect(mergeRevoked(saved, groupId, found)).toEqual({ revoked, changed });
  });

  it('does not change the saved list it was given', () => {
    const saved = [{ groupId: 'sg-1', permissions: [ruleA] }];
    mergeRevoked(saved, 'sg-1', [ruleB]);
    expect(saved).toEqual([{ groupId: 'sg-1', permissions: [ruleA] }]);
  });

  it('stableJson ignores key order and undefined values', () => {
    expect(stableJson({ b: 1, a: [{ y: 2, x: undefined, z: 'q' }] })).toBe('{"a":[{"y":2,"z":"q"}],"b":1}');
  });
});

describe('fenceConfirmed', () => {
  const a = (result: FenceAction['result']): FenceAction => ({ action: 'x', result, detail: '' });
  it.each([
    [[a('done')], a('done'), true],
    [[a('already-done'), a('done')], a('already-done'), true],
    [[a('done'), a('failed')], a('done'), false],
    [[a('done')], a('failed'), false],
    [[a('skipped')], a('done'), false],
    [[], a('done'), false],
  ])('ingress %j, sessions %j -> %s', (ingress, sessions, confirmed) => expect(fenceConfirmed(ingress, sessions)).toBe(confirmed));
});
