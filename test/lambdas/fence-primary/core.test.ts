import { describe, expect, it } from 'vitest';
import {
  fenceMethodOf,
  fenceOutcome,
  type FenceActs,
  classifyFenceError,
  failedAction,
  fenceConfirmed,
  isolationConfirmed,
  isolationDeferred,
  isolationOf,
  isolationPlan,
  mergeIsolated,
  mergeRevoked,
  originalGroups,
  permissionOfRule,
  sessionPlan,
  stableJson,
  type FenceAction,
} from '../../../lambdas/fence-primary/core.js';
import { missingRules } from '../../../lambdas/restore-ingress/core.js';

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
    [
      'the same rule again (any key order)',
      [{ groupId: 'sg-1', permissions: [ruleA] }],
      'sg-1',
      [ruleAReordered],
      [{ groupId: 'sg-1', permissions: [ruleA] }],
      false,
    ],
    ['a new rule of a known group', [{ groupId: 'sg-1', permissions: [ruleA] }], 'sg-1', [ruleB], [{ groupId: 'sg-1', permissions: [ruleA, ruleB] }], true],
    [
      'another group',
      [{ groupId: 'sg-1', permissions: [ruleA] }],
      'sg-2',
      [ruleB],
      [
        { groupId: 'sg-1', permissions: [ruleA] },
        { groupId: 'sg-2', permissions: [ruleB] },
      ],
      true,
    ],
    [
      'nothing found now (re-run): keeps what was saved',
      [{ groupId: 'sg-1', permissions: [ruleA] }],
      'sg-1',
      [],
      [{ groupId: 'sg-1', permissions: [ruleA] }],
      false,
    ],
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

describe('permissionOfRule (what the fence record keeps of a rule listed by DescribeSecurityGroupRules)', () => {
  const port = { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432 };
  it.each([
    [
      'an IPv4 range with its description',
      { ...port, CidrIpv4: '10.8.0.0/16', Description: 'vpn' },
      { ...port, IpRanges: [{ CidrIp: '10.8.0.0/16', Description: 'vpn' }] },
    ],
    ['an IPv6 range', { ...port, CidrIpv6: '2001:db8::/32' }, { ...port, Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32' }] }],
    ['a prefix list', { ...port, PrefixListId: 'pl-0123456789abcdef0' }, { ...port, PrefixListIds: [{ PrefixListId: 'pl-0123456789abcdef0' }] }],
    [
      'a referenced group',
      { ...port, ReferencedGroupInfo: { GroupId: 'sg-0ccc', UserId: '123456789012' } },
      { ...port, UserIdGroupPairs: [{ GroupId: 'sg-0ccc', UserId: '123456789012' }] },
    ],
    // DescribeSecurityGroupRules gives -1/-1 for all traffic; DescribeSecurityGroups (and restore-ingress) no ports.
    ['all traffic', { IpProtocol: '-1', FromPort: -1, ToPort: -1, CidrIpv4: '0.0.0.0/0' }, { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    [
      'ICMP type and code',
      { IpProtocol: 'icmp', FromPort: 8, ToPort: -1, CidrIpv4: '10.0.0.0/8' },
      { IpProtocol: 'icmp', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
    ],
  ])('%s', (_name, rule, permission) => {
    expect(permissionOfRule(rule)).toEqual(permission);
  });

  it('restore-ingress finds nothing missing once the kept rules are back as DescribeSecurityGroups shows them', () => {
    const kept = [
      permissionOfRule({ IpProtocol: '-1', FromPort: -1, ToPort: -1, CidrIpv4: '0.0.0.0/0' }),
      permissionOfRule({ ...port, CidrIpv4: '10.8.0.0/16', Description: 'vpn' }),
    ];
    const described = [
      { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], UserIdGroupPairs: [], PrefixListIds: [] },
      { ...port, IpRanges: [{ CidrIp: '10.8.0.0/16', Description: 'vpn' }], Ipv6Ranges: [], UserIdGroupPairs: [], PrefixListIds: [] },
    ];
    expect(missingRules(kept, described)).toEqual([]);
    expect(missingRules(kept, described.slice(1))).toEqual([kept[0]]);
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

describe('isolation (fenceMethod isolate | stop)', () => {
  const ISO = 'sg-0150150150150150a';
  const g = (id: string, status = 'active') => ({ id, status });

  describe('isolationPlan', () => {
    it.each([
      ['only the isolation group, active', 'available', [g(ISO)], 'isolated'],
      ['only the isolation group, active, instance rebooting', 'rebooting', [g(ISO)], 'isolated'],
      ['isolation adding, original removing', 'available', [g('sg-1', 'removing'), g(ISO, 'adding')], 'applying'],
      ['isolation active, original still removing', 'available', [g('sg-1', 'removing'), g(ISO)], 'applying'],
      ['original groups, available', 'available', [g('sg-1'), g('sg-2')], 'swap'],
      ['original groups, storage-optimization', 'storage-optimization', [g('sg-1')], 'swap'],
      ['isolation plus another active group (someone added one)', 'available', [g('sg-1'), g(ISO)], 'swap'],
      ['failed: RDS refuses changes and connections', 'failed', [g('sg-1')], 'down'],
      ['stopped', 'stopped', [g('sg-1')], 'down'],
      ['stopping', 'stopping', [g('sg-1')], 'down'],
      ['incompatible-network', 'incompatible-network', [g('sg-1')], 'down'],
      ['inaccessible-encryption-credentials', 'inaccessible-encryption-credentials', [g('sg-1')], 'down'],
      ['rebooting (comes back in a minute, not isolated)', 'rebooting', [g('sg-1')], 'busy'],
      ['modifying', 'modifying', [g('sg-1')], 'busy'],
      ['backing-up', 'backing-up', [g('sg-1')], 'busy'],
      ['starting', 'starting', [g('sg-1')], 'busy'],
    ] as const)('%s -> %s', (_, status, groups, plan) => expect(isolationPlan(status, groups, ISO)).toBe(plan));

    it('without a known isolation group, an available instance needs the swap', () => expect(isolationPlan('available', [g('sg-1')], undefined)).toBe('swap'));
  });

  describe('originalGroups', () => {
    const saved = { region: 'us-east-1', instanceId: 'db', vpcId: 'vpc-1', isolationGroupId: ISO, originalGroupIds: ['sg-1', 'sg-2'] };
    it.each([
      ['first run: the groups now', undefined, [g('sg-1'), g('sg-2')], ['sg-1', 'sg-2']],
      ['a re-run after the swap keeps the recorded originals, never the isolation group', saved, [g(ISO)], ['sg-1', 'sg-2']],
      ['a re-run mid-swap keeps the recorded originals', saved, [g('sg-1', 'removing'), g(ISO, 'adding')], ['sg-1', 'sg-2']],
      ['no record, mid-swap: removing groups are originals, adding ones are not', undefined, [g('sg-1', 'removing'), g(ISO, 'adding')], ['sg-1']],
      ['a record without originals: the groups now', { ...saved, originalGroupIds: [] as string[] }, [g('sg-3')], ['sg-3']],
    ] as const)('%s', (_, rec, groups, want) => expect(originalGroups(rec, groups, ISO)).toEqual(want));
  });

  describe('mergeIsolated', () => {
    const a = { region: 'us-east-1', instanceId: 'orders-primary', vpcId: 'vpc-1', isolationGroupId: ISO, originalGroupIds: ['sg-1'] };
    const b = { region: 'us-west-2', instanceId: 'orders-replica', vpcId: 'vpc-2', isolationGroupId: 'sg-0b0b0b0b0b0b0b0b0', originalGroupIds: ['sg-2'] };
    it.each([
      ['a first instance', [], a, [a], true],
      ['the same record again', [a], a, [a], false],
      ['a later run cannot replace the recorded originals', [a], { ...a, originalGroupIds: [ISO] as string[] }, [a], false],
      ['originals recorded once known', [{ ...a, originalGroupIds: [] as string[] }], a, [a], true],
      ['another instance', [a], b, [a, b], true],
    ] as const)('%s', (_, saved, entry, want, changed) => expect(mergeIsolated(saved, entry)).toEqual({ isolated: want, changed }));

    it('finds the record of an instance by Region and identifier', () => {
      expect(isolationOf([a, b], 'us-west-2', 'orders-replica')).toBe(b);
      expect(isolationOf([a, b], 'us-west-2', 'orders-primary')).toBeUndefined();
    });
  });

  describe('isolationConfirmed', () => {
    const act = (result: FenceAction['result']): FenceAction => ({ action: 'x', result, detail: '' });
    it.each([
      ['isolated and rebooted', act('done'), act('done'), 'isolated', true],
      ['isolated earlier, instance already rebooting', act('already-done'), act('already-done'), 'isolated', true],
      ['isolated, reboot failed (sessions may remain)', act('done'), act('failed'), 'isolated', false],
      ['isolation failed, reboot done', act('failed'), act('done'), 'busy', false],
      ['down (failed instance): no connection now, isolation deferred', act('skipped'), act('already-done'), 'down', true],
      ['down but its sessions could not be checked', act('skipped'), act('failed'), 'down', false],
    ] as const)('%s -> %s', (_, isolation, sessions, plan, want) => expect(isolationConfirmed(isolation, sessions, plan)).toBe(want));
  });

  describe('isolationDeferred: confirmed only while the instance stays down (the failover fences it again when it answers)', () => {
    it.each([
      ['down and confirmed', true, 'down', true],
      ['down, not confirmed', false, 'down', false],
      ['isolated', true, 'isolated', false],
      ['swap not done', false, 'swap', false],
      ['busy', false, 'busy', false],
    ] as const)('%s -> %s', (_, confirmed, plan, want) => expect(isolationDeferred(confirmed, plan)).toBe(want));
  });
});

describe('fenceMethodOf', () => {
  it.each([
    ['Aurora, whatever is configured', true, 'isolate', 'revoke-ingress'],
    ['Aurora, nothing configured', true, undefined, 'revoke-ingress'],
    ['instance, nothing configured: isolate', false, undefined, 'isolate'],
    ['instance, stop', false, 'stop', 'stop'],
    ['instance, revoke-ingress', false, 'revoke-ingress', 'revoke-ingress'],
  ] as const)('%s', (_label, aurora, configured, method) => {
    expect(fenceMethodOf(aurora, configured)).toBe(method);
  });
});

describe('fenceOutcome: confirmed when connections are refused and sessions cut; deferred while down', () => {
  const act = (action: string, result: FenceAction['result']): FenceAction => ({ action, result, detail: '' });
  const record = { revoked: [{ groupId: 'sg-0a1b2c3d4e5f60718', permissions: [] }], isolated: [] };
  it.each([
    [
      'revoke: every group revoked, rebooted',
      {
        method: 'revoke-ingress',
        ingress: [act('revoke sg-1', 'done'), act('revoke sg-2', 'already-done')],
        sessions: act('reboot', 'done'),
        instanceStatus: 'rebooting',
      },
      true,
      false,
    ],
    [
      'revoke: one group failed',
      {
        method: 'revoke-ingress',
        ingress: [act('revoke sg-1', 'done'), act('revoke sg-2', 'failed')],
        sessions: act('reboot', 'done'),
        instanceStatus: 'available',
      },
      false,
      false,
    ],
    [
      'revoke: sessions not cut',
      { method: 'revoke-ingress', ingress: [act('revoke sg-1', 'done')], sessions: act('reboot', 'failed'), instanceStatus: 'available' },
      false,
      false,
    ],
    [
      'isolate: swapped and rebooted',
      { method: 'isolate', isolation: act('isolate', 'done'), sessions: act('reboot', 'done'), plan: 'swap', instanceStatus: 'rebooting' },
      true,
      false,
    ],
    [
      'isolate: the swap failed',
      { method: 'isolate', isolation: act('isolate', 'failed'), sessions: act('reboot', 'done'), plan: 'swap', instanceStatus: 'available' },
      false,
      false,
    ],
    [
      'stop: the instance is down (deferred)',
      { method: 'stop', isolation: act('isolate', 'skipped'), sessions: act('stop', 'already-done'), plan: 'down', instanceStatus: 'failed' },
      true,
      true,
    ],
    [
      'isolate: busy, nothing confirmed',
      { method: 'isolate', isolation: act('isolate', 'failed'), sessions: act('reboot', 'skipped'), plan: 'busy', instanceStatus: 'modifying' },
      false,
      false,
    ],
  ] as const)('%s', (_label, acts, confirmed, deferred) => {
    const out = fenceOutcome(acts as FenceActs, record);
    expect(out).toMatchObject({ confirmed, deferred, revoked: record.revoked, isolated: [], instanceStatus: acts.instanceStatus });
    expect(out.actions).toEqual(acts.method === 'revoke-ingress' ? [...acts.ingress, acts.sessions] : [acts.isolation, acts.sessions]);
  });
});
