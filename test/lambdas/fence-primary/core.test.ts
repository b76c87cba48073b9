import { describe, expect, it } from 'vitest';
import {
  closeStep,
  closingStarted,
  clusterWriter,
  createdMeanwhile,
  fenceErrorDecision,
  ingressRulesOf,
  isolationEntry,
  isolationGroupSource,
  isolationGroupVerdict,
  isolationPlanOf,
  isolationStep,
  notIsolated,
  planAfterRefusedSwap,
  rebootRefused,
  rebooted,
  refusedForState,
  revokeAnswered,
  revokeRefused,
  sessionsDecision,
  sessionsTarget,
  stopRefused,
  stopped,
  unconfiguredIngress,
  unconfiguredIsolation,
  type Closing,
  type InstanceFacts,
  type IsolationSeen,
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
  unsavedIngress,
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

describe('unsavedIngress', () => {
  const listed = (groupId: string, port: number) => ({
    SecurityGroupRuleId: `sgr-${port}`,
    GroupId: groupId,
    IsEgress: false,
    IpProtocol: 'tcp',
    FromPort: port,
    ToPort: port,
    CidrIpv4: '10.0.0.0/16',
  });
  const perm = (port: number) => ({ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '10.0.0.0/16' }] });

  it("every group's rules not kept yet, in one list; groups with nothing new left out; nothing when all are kept", () => {
    const saved = [{ groupId: 'sg-1', permissions: [perm(5432)] }];
    expect(
      unsavedIngress(saved, [
        { groupId: 'sg-1', rules: [listed('sg-1', 5432), listed('sg-1', 6432)] },
        { groupId: 'sg-2', rules: [] },
        { groupId: 'sg-3', rules: [listed('sg-3', 5432)] },
      ]),
    ).toEqual([
      { groupId: 'sg-1', permissions: [perm(6432)] },
      { groupId: 'sg-3', permissions: [perm(5432)] },
    ]);
    expect(unsavedIngress(saved, [{ groupId: 'sg-1', rules: [listed('sg-1', 5432)] }])).toEqual([]);
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
    const merged = mergeRevoked(saved, groupId, found);
    expect(merged).toMatchObject({ revoked, changed });
    // `added`: what was not saved yet, in the order found (what the fence asks to keep first).
    const before = saved.flatMap((r) => (r.groupId === groupId ? r.permissions : []));
    expect(merged.added).toEqual(changed ? found.filter((p) => !before.some((b) => JSON.stringify(b) === JSON.stringify(p))) : []);
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

describe('fenceOutcome: confirmed when connections are refused and sessions cut; deferred while down; cutPending when only the cut failed', () => {
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
      false,
    ],
    [
      'revoke: sessions not cut',
      { method: 'revoke-ingress', ingress: [act('revoke sg-1', 'done')], sessions: act('reboot', 'failed'), instanceStatus: 'available' },
      false,
      false,
      true,
    ],
    [
      'isolate: swapped and rebooted',
      { method: 'isolate', isolation: act('isolate', 'done'), sessions: act('reboot', 'done'), plan: 'swap', instanceStatus: 'rebooting' },
      true,
      false,
      false,
    ],
    [
      'isolate: the swap failed',
      { method: 'isolate', isolation: act('isolate', 'failed'), sessions: act('reboot', 'done'), plan: 'swap', instanceStatus: 'available' },
      false,
      false,
      false,
    ],
    [
      'stop: the instance is down (deferred)',
      { method: 'stop', isolation: act('isolate', 'skipped'), sessions: act('stop', 'already-done'), plan: 'down', instanceStatus: 'failed' },
      true,
      true,
      false,
    ],
    [
      'isolate: isolated, the reboot refused (only the cut is pending)',
      { method: 'isolate', isolation: act('isolate', 'already-done'), sessions: act('reboot', 'failed'), plan: 'isolated', instanceStatus: 'modifying' },
      false,
      false,
      true,
    ],
    [
      'revoke: no group configured, the reboot refused: nothing blocks new connections, so no cut is pending',
      { method: 'revoke-ingress', ingress: [act('revoke-ingress', 'skipped')], sessions: act('reboot', 'failed'), instanceStatus: 'available' },
      false,
      false,
      false,
    ],
    [
      'isolate: busy, nothing confirmed',
      { method: 'isolate', isolation: act('isolate', 'failed'), sessions: act('reboot', 'skipped'), plan: 'busy', instanceStatus: 'modifying' },
      false,
      false,
      false,
    ],
  ] as const)('%s', (_label, acts, confirmed, deferred, cutPending) => {
    const out = fenceOutcome(acts as FenceActs, record);
    expect(out).toMatchObject({ confirmed, deferred, cutPending, revoked: record.revoked, isolated: [], instanceStatus: acts.instanceStatus });
    expect(out.actions).toEqual(acts.method === 'revoke-ingress' ? [...acts.ingress, acts.sessions] : [acts.isolation, acts.sessions]);
  });
});

describe('fenceErrorDecision: recorded as failed, or retried by the workflow', () => {
  const withStatus = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
  it.each([
    ['throttling', err('Throttling', 'Rate exceeded'), { kind: 'retry', message: 'RebootDBInstance was throttled: Throttling', awsError: 'Throttling' }],
    [
      'EC2 throttling answered with a 503',
      withStatus('RequestLimitExceeded', 503),
      { kind: 'retry', message: 'RebootDBInstance was throttled: RequestLimitExceeded', awsError: 'RequestLimitExceeded' },
    ],
    [
      'a 5xx from a Region that answers',
      withStatus('InternalError', 500),
      { kind: 'retry', message: 'RebootDBInstance failed with a server error: InternalError', awsError: 'InternalError' },
    ],
    [
      'a service unavailable error without a status',
      err('ServiceUnavailable'),
      { kind: 'retry', message: 'RebootDBInstance failed with a server error: ServiceUnavailable', awsError: 'ServiceUnavailable' },
    ],
    [
      'a Region that does not answer (timeout)',
      err('TimeoutError', 'socket hang up'),
      {
        kind: 'record',
        action: { action: 'reboot db', result: 'failed', detail: 'RebootDBInstance: the primary Region did not answer (TimeoutError: socket hang up)' },
      },
    ],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      {
        kind: 'record',
        action: { action: 'reboot db', result: 'failed', detail: 'RebootDBInstance: the primary Region did not answer (ECONNREFUSED: connect ECONNREFUSED)' },
      },
    ],
    [
      'access denied',
      err('AccessDenied', 'no'),
      { kind: 'record', action: { action: 'reboot db', result: 'failed', detail: 'RebootDBInstance: access denied (AccessDenied: no)' } },
    ],
    [
      'any other refusal',
      err('DBInstanceNotFound', 'gone'),
      { kind: 'record', action: { action: 'reboot db', result: 'failed', detail: 'RebootDBInstance: the call failed (DBInstanceNotFound: gone)' } },
    ],
  ])('%s', (_label, e, decision) => expect(fenceErrorDecision(e, 'reboot db', 'RebootDBInstance')).toEqual(decision));

  it.each([
    ['InvalidDBInstanceState', true],
    ['InvalidDBInstanceStateFault', true],
    ['InvalidDBClusterStateFault', false],
    ['AccessDenied', false],
  ])('refusedForState(%s) -> %s', (name, refused) => expect(refusedForState(err(name))).toBe(refused));
});

describe('revoke-ingress: closing one group', () => {
  const SG = 'sg-0a1b2c3d4e5f60718';
  const rule = (id: string, extra: Record<string, unknown> = {}) => ({
    SecurityGroupRuleId: id,
    GroupId: SG,
    IsEgress: false,
    IpProtocol: 'tcp',
    FromPort: 5432,
    ToPort: 5432,
    CidrIpv4: '10.0.0.0/16',
    ...extra,
  });
  const perm = { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/16' }] };
  const at = (round: number, revoked = 0, refusals: string[] = []): Closing => ({ ...closingStarted(SG), round, revoked, refusals });

  it.each([
    [[], [{ action: 'revoke-ingress', result: 'skipped', detail: 'no securityGroupIds configured for the primary: new connections are not blocked' }]],
    [[SG], []],
  ])('unconfiguredIngress(%j)', (groups, actions) => expect(unconfiguredIngress(groups)).toEqual(actions));

  it.each([
    ['an ingress rule of the group', rule('sgr-1'), true],
    ['an egress rule', rule('sgr-2', { IsEgress: true }), false],
    ["another group's rule", rule('sgr-3', { GroupId: 'sg-0other0000000000' }), false],
    ['a rule without an id (cannot be revoked by id)', rule('', {}), false],
  ])('ingressRulesOf keeps %s: %s', (_label, r, kept) => expect(ingressRulesOf(SG, [r])).toEqual(kept ? [r] : []));

  it.each([
    [
      'none at the first look',
      at(0),
      [],
      [],
      { kind: 'settled', action: { action: `revoke-ingress ${SG}`, result: 'already-done', detail: 'no ingress rules left' } },
    ],
    [
      'none left after revoking two',
      at(1, 2),
      [],
      [],
      { kind: 'settled', action: { action: `revoke-ingress ${SG}`, result: 'done', detail: 'revoked 2 ingress rules; no ingress rule left' } },
    ],
    [
      'none left after a refusal and one revoked',
      at(2, 1, ['RevokeSecurityGroupIngress refused: InvalidSecurityGroupRuleId.NotFound, nothing revoked']),
      [],
      [],
      {
        kind: 'settled',
        action: {
          action: `revoke-ingress ${SG}`,
          result: 'done',
          detail:
            'revoked 1 ingress rule; no ingress rule left (after RevokeSecurityGroupIngress refused: InvalidSecurityGroupRuleId.NotFound, nothing revoked)',
        },
      },
    ],
    [
      'still one after three revokes',
      at(3, 0, ['RevokeSecurityGroupIngress returned false', 'RevokeSecurityGroupIngress returned false']),
      [rule('sgr-1')],
      [{ groupId: SG, permissions: [perm] }],
      {
        kind: 'settled',
        action: {
          action: `revoke-ingress ${SG}`,
          result: 'failed',
          detail:
            '1 ingress rule still on the group after 3 revokes (sgr-1): RevokeSecurityGroupIngress returned false; RevokeSecurityGroupIngress returned false',
        },
      },
    ],
    [
      'rules not saved yet: kept first (nothing revoked by this step)',
      at(0),
      [rule('sgr-1')],
      [],
      { kind: 'record', record: { groupId: SG, permissions: [perm] } },
    ],
    [
      'rules saved by an earlier round or run: revoked without saving again',
      at(1),
      [rule('sgr-1')],
      [{ groupId: SG, permissions: [perm] }],
      { kind: 'revoke', ruleIds: ['sgr-1'] },
    ],
  ] as const)('closeStep: %s', (_label, closing, rules, saved, step) => {
    expect(closeStep(closing, rules as never, saved as never)).toEqual(step);
  });

  it.each([
    ['revoked, listed', { Return: true, RevokedSecurityGroupRules: [{}, {}] }, at(1, 2)],
    ['revoked, none listed: every rule asked', { Return: true }, at(1, 3)],
    ['returned false: nothing revoked', { Return: false }, at(1, 0, ['RevokeSecurityGroupIngress returned false'])],
  ])('revokeAnswered: %s', (_label, answer, next) => expect(revokeAnswered(at(0), 3, answer)).toEqual(next));

  it.each([
    ['InvalidSecurityGroupRuleId.NotFound', at(1, 0, ['RevokeSecurityGroupIngress refused: InvalidSecurityGroupRuleId.NotFound, nothing revoked'])],
    ['InvalidPermission.NotFound', at(1, 0, ['RevokeSecurityGroupIngress refused: InvalidPermission.NotFound, nothing revoked'])],
    ['UnauthorizedOperation', undefined],
    ['InternalError', undefined],
  ])('revokeRefused(%s): looked at again, or left to be recorded/retried', (name, next) => expect(revokeRefused(at(0), err(name))).toEqual(next));
});

describe('open sessions: whose, and what to do', () => {
  const failedNo = (what: string) => ({
    kind: 'settled',
    cut: { action: { action: 'reboot', result: 'failed', detail: `no ${what} configured for the primary` }, instanceStatus: null },
  });
  it.each([
    ['an instance', false, { instanceId: 'db-1' }, { kind: 'instance', instanceId: 'db-1' }],
    ['an instance without instanceId', false, { clusterId: 'c-1' }, failedNo('instanceId')],
    ['an Aurora cluster', true, { clusterId: 'c-1', instanceId: 'ignored' }, { kind: 'cluster', clusterId: 'c-1' }],
    ['an Aurora cluster without clusterId', true, { instanceId: 'db-1' }, failedNo('clusterId')],
  ])('sessionsTarget: %s', (_label, aurora, site, target) => expect(sessionsTarget(aurora, site)).toEqual(target));

  it.each([
    [
      'the writer',
      {
        Status: 'available',
        DBClusterMembers: [
          { DBInstanceIdentifier: 'c-1-b', IsClusterWriter: false },
          { DBInstanceIdentifier: 'c-1-a', IsClusterWriter: true },
        ],
      },
      { kind: 'instance', instanceId: 'c-1-a' },
    ],
    [
      'no writer',
      { Status: 'failing-over', DBClusterMembers: [{ DBInstanceIdentifier: 'c-1-b', IsClusterWriter: false }] },
      {
        kind: 'settled',
        cut: {
          action: { action: 'reboot c-1', result: 'already-done', detail: 'cluster c-1 (failing-over) has no writer instance: no write sessions' },
          instanceStatus: 'failing-over',
        },
      },
    ],
    [
      'no cluster described',
      undefined,
      {
        kind: 'settled',
        cut: {
          action: { action: 'reboot c-1', result: 'already-done', detail: 'cluster c-1 (unknown) has no writer instance: no write sessions' },
          instanceStatus: null,
        },
      },
    ],
  ])('clusterWriter: %s', (_label, cluster, target) => expect(clusterWriter('c-1', cluster)).toEqual(target));

  it.each([
    ['available', { kind: 'reboot' }],
    [
      'stopped',
      {
        kind: 'settled',
        cut: { action: { action: 'reboot db', result: 'already-done', detail: 'instance is stopped: no open sessions' }, instanceStatus: 'stopped' },
      },
    ],
    [
      'modifying',
      {
        kind: 'settled',
        cut: {
          action: { action: 'reboot db', result: 'failed', detail: 'instance is modifying: it cannot be rebooted now, open sessions may remain' },
          instanceStatus: 'modifying',
        },
      },
    ],
  ])('sessionsDecision(%s)', (status, decision) => expect(sessionsDecision('db', status)).toEqual(decision));

  it.each([
    ['rebooting', 'rebooting'],
    [undefined, 'rebooting'],
    ['available', 'available'],
  ])('rebooted: RDS answered %s -> %s', (answered, status) =>
    expect(rebooted('db', answered)).toEqual({
      action: { action: 'reboot db', result: 'done', detail: 'rebooted: open sessions dropped' },
      instanceStatus: status,
    }),
  );

  it.each([
    ['stopping', 'already-done', 'instance is stopping: no open sessions'],
    ['failed', 'already-done', 'instance is failed: no open sessions'],
    ['modifying', 'failed', 'RebootDBInstance refused (InvalidDBInstanceState) and the instance is modifying: open sessions may remain'],
    ['available', 'failed', 'RebootDBInstance refused (InvalidDBInstanceState) and the instance is available: open sessions may remain'],
  ])('rebootRefused, now %s -> %s', (status, result, detail) =>
    expect(rebootRefused('db', status)).toEqual({ action: { action: 'reboot db', result, detail }, instanceStatus: status }),
  );
});

describe('isolation: from the facts to the plan and the outcome', () => {
  const ISO = 'sg-0150150150150150a';
  const VPC = 'vpc-0e0e0e0e0e0e0e0e0';
  const g = (id: string, status = 'active') => ({ id, status });
  /** The instance as described (`vpcId` null: no DBSubnetGroup.VpcId shown). */
  const facts = (status: string | undefined, groups: { id: string; status: string }[], vpcId: string | null = VPC): InstanceFacts => ({
    status,
    vpcId: vpcId ?? undefined,
    groups,
  });
  const record = { region: 'us-east-1', instanceId: 'db', vpcId: VPC, isolationGroupId: ISO, originalGroupIds: ['sg-1'] };

  it('notIsolated and unconfiguredIsolation leave the sessions alone, plan busy', () => {
    const failed: FenceAction = { action: 'isolate db', result: 'failed', detail: 'x' };
    expect(notIsolated('db', failed, 'not isolated', 'available')).toEqual({
      isolation: failed,
      sessions: { action: 'reboot db', result: 'skipped', detail: 'not isolated' },
      instanceStatus: 'available',
      plan: 'busy',
    });
    expect(unconfiguredIsolation()).toEqual({
      isolation: { action: 'isolate', result: 'failed', detail: 'no instanceId configured for the site' },
      sessions: { action: 'reboot', result: 'skipped', detail: 'nothing to reboot' },
      instanceStatus: null,
      plan: 'busy',
    });
  });

  it.each([
    ['recorded by an earlier run (even without a VPC shown)', facts('available', [g(ISO)], null), record, { kind: 'recorded', groupId: ISO }],
    ['the VPC shown', facts('available', [g('sg-1')]), undefined, { kind: 'vpc', vpcId: VPC }],
    [
      'no VPC shown, none recorded',
      facts(undefined, [], null),
      undefined,
      {
        kind: 'settled',
        acts: notIsolated(
          'db',
          { action: 'isolate db', result: 'failed', detail: 'DescribeDBInstances shows no DBSubnetGroup.VpcId for db: no VPC to isolate it in' },
          'not isolated',
          'unknown',
        ),
      },
    ],
  ])('isolationGroupSource: %s', (_label, f, saved, source) => expect(isolationGroupSource('db', f, saved)).toEqual(source));

  it.each([
    ['deny-all', { GroupId: ISO, IpPermissions: [] }, { groupId: ISO }],
    ['no IpPermissions listed', { GroupId: ISO }, { groupId: ISO }],
    ['not found', undefined, { refusal: { name: 'InvalidGroup.NotFound', message: `no group rds-failover-isolation in ${VPC}` } }],
    [
      'with an ingress rule',
      { GroupId: ISO, IpPermissions: [{ IpProtocol: '-1' }] },
      {
        refusal: {
          name: 'IsolationGroupNotDenyAll',
          message: `${ISO} (rds-failover-isolation) has 1 ingress rule(s): it would not isolate; remove them`,
        },
      },
    ],
  ])('isolationGroupVerdict: %s', (_label, group, verdict) => expect(isolationGroupVerdict(VPC, group)).toEqual(verdict));

  it.each([
    ['InvalidGroup.Duplicate', true],
    ['InvalidGroup.NotFound', false],
  ])('createdMeanwhile(%s) -> %s', (name, meanwhile) => expect(createdMeanwhile(err(name))).toBe(meanwhile));

  it.each([
    ['first run: the groups now', facts('available', [g('sg-1'), g('sg-2')]), undefined, { ...record, originalGroupIds: ['sg-1', 'sg-2'] }],
    ['re-run: the recorded originals, never the isolation group', facts('available', [g(ISO)]), record, record],
    ['no VPC shown now: the recorded one', facts('available', [g(ISO)], null), record, record],
    ['no VPC shown, none recorded', facts('available', [g('sg-1')], null), undefined, { ...record, vpcId: '' }],
  ])('isolationEntry: %s', (_label, f, saved, entry) => expect(isolationEntry('us-east-1', 'db', f, saved, ISO)).toEqual(entry));

  it.each([
    ['swap needed', facts('available', [g('sg-1')]), 'swap', 'busy'],
    ['now failed', facts('failed', [g('sg-1')]), 'down', 'down'],
    ['now modifying', facts('modifying', [g('sg-1')]), 'busy', 'busy'],
    ['the swap applied meanwhile', facts('available', [g(ISO)]), 'isolated', 'isolated'],
    ['the swap being applied', facts('available', [g('sg-1', 'removing'), g(ISO, 'adding')]), 'applying', 'applying'],
    ['no status shown', facts(undefined, [g('sg-1')]), 'busy', 'busy'],
  ])('isolationPlanOf / planAfterRefusedSwap: %s', (_label, f, plan, afterRefusal) => {
    expect(isolationPlanOf(f, ISO)).toBe(plan);
    expect(planAfterRefusedSwap(f, ISO)).toBe(afterRefusal);
  });

  const seen = (over: Partial<IsolationSeen>): IsolationSeen => ({
    instanceId: 'db',
    groupId: ISO,
    entry: record,
    first: facts('available', [g('sg-1')]),
    last: facts('available', [g(ISO)]),
    plan: 'isolated',
    stop: false,
    ...over,
  });
  const isolated = (result: FenceAction['result']): FenceAction => ({
    action: 'isolate db',
    result,
    detail: `only ${ISO} (rds-failover-isolation, no inbound rule) is active; originals sg-1 kept`,
  });
  it.each([
    ['isolated: cut the sessions', seen({}), { kind: 'cut', isolation: isolated('done'), plan: 'isolated' }],
    ['isolated, fenceMethod stop: stop it', seen({ stop: true }), { kind: 'stop', isolation: isolated('done'), plan: 'isolated' }],
    [
      'isolated, found so by a re-run: already-done',
      seen({ first: facts('available', [g(ISO)]) }),
      { kind: 'cut', isolation: isolated('already-done'), plan: 'isolated' },
    ],
    [
      'only the isolation group, the fence given no record (a first call): already-done, nothing claimed kept',
      seen({ entry: { ...record, originalGroupIds: [] }, first: facts('available', [g(ISO)]) }),
      {
        kind: 'cut',
        isolation: {
          action: 'isolate db',
          result: 'already-done',
          detail: `only ${ISO} (rds-failover-isolation, no inbound rule) is active; isolated before this attempt (its originals are kept by the attempt that swapped)`,
        },
        plan: 'isolated',
      },
    ],
    [
      'swapped by this call (the groups still being replaced at its first look): done',
      seen({ first: facts('available', [g('sg-1', 'removing'), g(ISO, 'adding')]) }),
      { kind: 'cut', isolation: isolated('done'), plan: 'isolated' },
    ],
    [
      'no originals recorded',
      seen({ entry: { ...record, originalGroupIds: [] } }),
      {
        kind: 'cut',
        isolation: { action: 'isolate db', result: 'done', detail: `only ${ISO} (rds-failover-isolation, no inbound rule) is active; originals (none) kept` },
        plan: 'isolated',
      },
    ],
    [
      'down (even with stop): the sessions looked at, the isolation deferred',
      seen({ plan: 'down', stop: true, last: facts('failed', [g('sg-1')]) }),
      {
        kind: 'cut',
        isolation: {
          action: 'isolate db',
          result: 'skipped',
          detail: `instance is failed: RDS takes no connection and refuses changes; nothing changed (its groups sg-1 are kept when it is isolated), isolated in ${ISO} when it answers again`,
        },
        plan: 'down',
      },
    ],
    [
      'busy: not isolated now',
      seen({ plan: 'busy', last: facts('modifying', [g('sg-1')]) }),
      {
        kind: 'settled',
        acts: notIsolated(
          'db',
          { action: 'isolate db', result: 'failed', detail: 'instance is modifying: it cannot be isolated now' },
          'instance is modifying: not isolated, sessions not cut',
          'modifying',
        ),
      },
    ],
    [
      'busy, no status shown last: the first status',
      seen({ plan: 'busy', first: facts('backing-up', [g('sg-1')]), last: facts(undefined, []) }),
      {
        kind: 'settled',
        acts: notIsolated(
          'db',
          { action: 'isolate db', result: 'failed', detail: 'instance is backing-up: it cannot be isolated now' },
          'instance is backing-up: not isolated, sessions not cut',
          'backing-up',
        ),
      },
    ],
    [
      'a swap never asked for is not an isolation',
      seen({ plan: 'swap', last: facts('available', [g('sg-1')]) }),
      {
        kind: 'settled',
        acts: notIsolated(
          'db',
          { action: 'isolate db', result: 'failed', detail: 'instance is available: it cannot be isolated now' },
          'instance is available: not isolated, sessions not cut',
          'available',
        ),
      },
    ],
    [
      'still being applied after every poll',
      seen({ plan: 'applying', last: facts('available', [g('sg-1', 'removing'), g(ISO, 'adding')]) }),
      { kind: 'still-applying', message: `db: the isolation group ${ISO} is still being applied (sg-1 removing, ${ISO} adding)` },
    ],
  ])('isolationStep: %s', (_label, s, step) => expect(isolationStep(s)).toEqual(step));

  it.each([
    ['stopping', 'stopping'],
    [undefined, 'stopping'],
  ])('stopped: RDS answered %s -> %s', (answered, status) =>
    expect(stopped('db', answered)).toEqual({
      action: { action: 'stop db', result: 'done', detail: 'stopped: open sessions dropped; it stays isolated if it starts again' },
      instanceStatus: status,
    }),
  );

  it.each([
    ['rebooted instead', rebooted('db', 'rebooting'), 'has read replicas', 'rebooted: open sessions dropped (StopDBInstance refused: has read replicas)'],
    ['down already', rebootRefused('db', 'stopping'), 'not available', 'instance is stopping: no open sessions (StopDBInstance refused: not available)'],
  ])('stopRefused: %s, the refusal said', (_label, cut, why, detail) => expect(stopRefused(cut, why)).toEqual({ ...cut, action: { ...cut.action, detail } }));
});
