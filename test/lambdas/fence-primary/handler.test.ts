import 'aws-sdk-client-mock-vitest/extend';
import {
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  EC2ServiceException,
  RevokeSecurityGroupIngressCommand,
  type IpPermission,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import {
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  InvalidDBInstanceStateFault,
  RDSClient,
  RDSServiceException,
  RebootDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { permissionOfRule } from '../../../lambdas/fence-primary/core.js';
import { emptyFenceRecord, mergeFenceRecord, UNSAVED_CHARS, type FenceRecord } from '../../../lambdas/shared/fence-record.js';
import { currentRoles } from '../../../lambdas/shared/roles.js';
import { auroraDb, hotDb, regionsOf } from '../shared/failover-steps-fixture.js';
import { fenceLikeTheWorkflow } from './fence-loop.js';

// The function runs in the control Region; it fences in the primary's (us-east-1). It keeps no table: no TABLE_NAME.
process.env.AWS_REGION = 'us-west-2';
const { handler } = await import('../../../lambdas/fence-primary/handler.js');

const ec2 = mockClient(EC2Client);
const rds = mockClient(RDSClient);

const SG1 = 'sg-0a1b2c3d4e5f60718';
const SG2 = 'sg-0b1b2c3d4e5f60719';
/** The rules as the fence record keeps them (one source each, the shape restore-ingress authorizes). */
const RULE_APP: IpPermission = {
  IpProtocol: 'tcp',
  FromPort: 5432,
  ToPort: 5432,
  UserIdGroupPairs: [{ GroupId: 'sg-0ccc0ccc0ccc0ccc0', UserId: '123456789012' }],
};
const RULE_VPN: IpPermission = { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.8.0.0/16', Description: 'vpn' }] };
/** The same rules as DescribeSecurityGroupRules lists them, with their rule ids. */
const SGR: Record<string, (groupId: string) => SecurityGroupRule> = {
  app: (GroupId) => ({
    SecurityGroupRuleId: `sgr-0app${GroupId.slice(-4)}`,
    GroupId,
    IsEgress: false,
    IpProtocol: 'tcp',
    FromPort: 5432,
    ToPort: 5432,
    ReferencedGroupInfo: { GroupId: 'sg-0ccc0ccc0ccc0ccc0', UserId: '123456789012' },
  }),
  vpn: (GroupId) => ({
    SecurityGroupRuleId: `sgr-0vpn${GroupId.slice(-4)}`,
    GroupId,
    IsEgress: false,
    IpProtocol: 'tcp',
    FromPort: 5432,
    ToPort: 5432,
    CidrIpv4: '10.8.0.0/16',
    Description: 'vpn',
  }),
};
const sgrOf = (groupId: string, p: IpPermission): SecurityGroupRule => (p === RULE_APP ? SGR.app!(groupId) : SGR.vpn!(groupId));

const ec2Error = (name: string, message = name, status = 400) =>
  new EC2ServiceException({ name, message, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
const rdsError = (name: string, message = name) => new RDSServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
const timeout = () => Object.assign(new Error('Connection timed out after 3000 ms'), { name: 'TimeoutError' });

/** The method these tests cover: revoking the listed groups' rules (the isolation has its own file). */
const revokingDb = (edit: Parameters<typeof hotDb>[0] = () => undefined) =>
  hotDb((r) => {
    Object.assign(r.failover as object, { fenceMethod: 'revoke-ingress' });
    edit(r);
  });
const revoking = () => revokingDb();
const event = (database = revoking()) => ({ database, epoch: 3, incidentId: 'inc-7' });
/** What EC2 holds now, per group: every describe reads it, a revoke by rule id removes from it. */
let held: Record<string, SecurityGroupRule[]>;
const groups = (perms: Record<string, IpPermission[]>) => {
  for (const [id, IpPermissions] of Object.entries(perms)) held[id] = IpPermissions.map((p) => sgrOf(id, p));
};
const heldIds = (groupId: string) => (held[groupId] ?? []).map((r) => r.SecurityGroupRuleId);
const instance = (status: string) =>
  rds
    .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-primary' })
    .resolves({ DBInstances: [{ DBInstanceIdentifier: 'orders-primary', DBInstanceStatus: status }] });

let order: string[];
/** The fence record in the table (FENCE#inc-7), as record-fence keeps it. */
let record: FenceRecord;
/** Every whole record record-fence returned, in order (one per RecordOriginalsFirst), and the messages that asked for them. */
let saves: FenceRecord[];
let asked: string[];
/** record-fence, as the workflow runs it after a RecordOriginalsFirst: the part carried merged into the table's record, the whole record returned. */
const keep = (unsaved: FenceRecord, message: string): FenceRecord => {
  order.push('save');
  asked.push(message);
  record = mergeFenceRecord(record, unsaved).record;
  saves.push(record);
  return record;
};
/** The fence as the workflow runs it: first without `saved`, then again with the kept record while it asks to keep originals. */
const fence = (ev: object) => fenceLikeTheWorkflow(handler, ev, keep);
const RULES_KEPT: FenceRecord = { revoked: [{ groupId: SG1, permissions: [RULE_APP, RULE_VPN] }], isolated: [] };

beforeEach(() => {
  ec2.reset();
  rds.reset();
  order = [];
  held = {};
  record = emptyFenceRecord();
  saves = [];
  asked = [];
  ec2.on(DescribeSecurityGroupRulesCommand).callsFake((input: { Filters: Array<{ Name: string; Values: string[] }> }) => {
    const id = input.Filters.find((f) => f.Name === 'group-id')!.Values[0]!;
    order.push(`describe ${id}`);
    return { SecurityGroupRules: (held[id] ?? []).map((r) => ({ ...r })) };
  });
  // The same groups through the older call (the isolation's; and what a fence that read IpPermissions saw).
  ec2.on(DescribeSecurityGroupsCommand).callsFake((input: { GroupIds?: string[] }) => ({
    SecurityGroups: (input.GroupIds ?? []).map((id) => ({ GroupId: id, IpPermissions: (held[id] ?? []).map(permissionOfRule) })),
  }));
  ec2.on(RevokeSecurityGroupIngressCommand).callsFake((input: { GroupId: string; SecurityGroupRuleIds: string[] }) => {
    order.push(`revoke ${input.GroupId}`);
    const rules = held[input.GroupId] ?? [];
    const unknown = input.SecurityGroupRuleIds.find((id) => !rules.some((r) => r.SecurityGroupRuleId === id));
    if (unknown) throw ec2Error('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${unknown}' does not exist`);
    held[input.GroupId] = rules.filter((r) => !input.SecurityGroupRuleIds.includes(r.SecurityGroupRuleId!));
    return { Return: true, RevokedSecurityGroupRules: rules.filter((r) => input.SecurityGroupRuleIds.includes(r.SecurityGroupRuleId!)) };
  });
  groups({ [SG1]: [RULE_APP, RULE_VPN] });
  instance('available');
  rds.on(RebootDBInstanceCommand).callsFake(() => {
    order.push('reboot');
    return { DBInstance: { DBInstanceIdentifier: 'orders-primary', DBInstanceStatus: 'rebooting' } };
  });
});

/**
 * A group that shows a rule not kept yet after a first revoke (changed or put back meanwhile):
 * kept, revoked, and the new rule kept (a second save) before the revoke that takes it.
 */
const KEPT_TWICE = [
  `describe ${SG1}`,
  'save',
  `describe ${SG1}`,
  `revoke ${SG1}`,
  `describe ${SG1}`,
  'save',
  `describe ${SG1}`,
  `revoke ${SG1}`,
  `describe ${SG1}`,
  'reboot',
];

describe('fence-primary handler', () => {
  it('keeps the rules first, then revokes them, reboots the available primary: confirmed', async () => {
    const out = await fence(event());
    expect(out).toEqual({
      confirmed: true,
      deferred: false,
      cutPending: false,
      actions: [
        { action: `revoke-ingress ${SG1}`, result: 'done', detail: 'revoked 2 ingress rules; no ingress rule left' },
        { action: 'reboot orders-primary', result: 'done', detail: 'rebooted: open sessions dropped' },
      ],
      revoked: [{ groupId: SG1, permissions: [RULE_APP, RULE_VPN] }],
      isolated: [],
      instanceStatus: 'rebooting',
    });
    // The first call (given no record) only looked, and asked to keep the rules; the second one, given them kept,
    // revoked them, described the group again and found it empty.
    expect(order).toEqual([`describe ${SG1}`, 'save', `describe ${SG1}`, `revoke ${SG1}`, `describe ${SG1}`, 'reboot']);
    expect(saves).toEqual([RULES_KEPT]);
    expect(ec2).toHaveReceivedCommandWith(DescribeSecurityGroupRulesCommand, { Filters: [{ Name: 'group-id', Values: [SG1] }] });
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(RevokeSecurityGroupIngressCommand, {
      GroupId: SG1,
      SecurityGroupRuleIds: ['sgr-0app0718', 'sgr-0vpn0718'],
    });
    // The group is checked to exist by the call that revokes (the first only listed and asked to keep).
    expect(ec2).toHaveReceivedCommandTimes(DescribeSecurityGroupsCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(DescribeSecurityGroupsCommand, { GroupIds: [SG1] });
    expect(rds).toHaveReceivedCommandExactlyOnceWith(RebootDBInstanceCommand, { DBInstanceIdentifier: 'orders-primary' });
    // Fencing acts in the primary's Region, not in the control Region the function runs in.
    expect(await regionsOf(ec2, RevokeSecurityGroupIngressCommand)).toEqual(['us-east-1']);
    expect(await regionsOf(rds, RebootDBInstanceCommand)).toEqual(['us-east-1']);
  });

  it('does not revoke a rule whose original is not kept: RecordOriginalsFirst carries it, nothing is changed', async () => {
    // One call, as the workflow's first fence state makes it (no record given): the error is what record-fence keeps.
    const err = await handler(event()).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RecordOriginalsFirst' });
    expect(JSON.parse((err as Error).message)).toEqual(RULES_KEPT);
    expect(ec2).not.toHaveReceivedCommand(RevokeSecurityGroupIngressCommand);
    expect(rds).not.toHaveReceivedAnyCommand(); // not even the sessions: nothing after the group that waits for its record
    expect(heldIds(SG1)).toEqual(['sgr-0app0718', 'sgr-0vpn0718']);
    // A record that holds only one of them: the error carries only the other, and still nothing is revoked.
    const some = await handler({ ...event(), saved: { revoked: [{ groupId: SG1, permissions: [RULE_APP] }], isolated: [] } }).catch((e: unknown) => e);
    expect(some).toMatchObject({ name: 'RecordOriginalsFirst' });
    expect(JSON.parse((some as Error).message)).toEqual({ revoked: [{ groupId: SG1, permissions: [RULE_VPN] }], isolated: [] });
    // The same rules kept for another group do not count for this one.
    const other = await handler({ ...event(), saved: { revoked: [{ groupId: SG2, permissions: [RULE_APP, RULE_VPN] }], isolated: [] } }).catch(
      (e: unknown) => e,
    );
    expect(JSON.parse((other as Error).message)).toEqual(RULES_KEPT);
    expect(ec2).not.toHaveReceivedCommand(RevokeSecurityGroupIngressCommand);
    expect(heldIds(SG1)).toEqual(['sgr-0app0718', 'sgr-0vpn0718']);
  });

  it('given a record that holds every rule already: revokes at once, asks for nothing, returns the record as given', async () => {
    // The record as record-fence returns it from the table: keys in another order still name the same rules.
    const reordered = [RULE_VPN, RULE_APP].map((p) => Object.fromEntries(Object.entries(p).reverse()));
    const earlier = {
      region: 'us-east-1',
      instanceId: 'orders-other',
      vpcId: 'vpc-0e0e0e0e0e0e0e0e0',
      isolationGroupId: 'sg-0150150150150150a',
      originalGroupIds: [SG2],
    };
    const saved: FenceRecord = { revoked: [{ groupId: SG1, permissions: reordered }], isolated: [earlier] };
    const out = await handler({ ...event(), saved });
    expect(out).toMatchObject({ confirmed: true, revoked: saved.revoked, isolated: [earlier] });
    expect(out.actions[0]).toEqual({ action: `revoke-ingress ${SG1}`, result: 'done', detail: 'revoked 2 ingress rules; no ingress rule left' });
    expect(order).toEqual([`describe ${SG1}`, `revoke ${SG1}`, `describe ${SG1}`, 'reboot']);
    expect(heldIds(SG1)).toEqual([]);
  });

  it("site 'standby': fences the other site of the view (the failback fences the original site of the current roles)", async () => {
    // After a failover the current roles are swapped: orders-replica (us-west-2) writes, orders-primary (us-east-1) is the standby.
    const current = currentRoles(revoking(), 'standby');
    const out = await fence({ ...event(current), site: 'standby' });
    expect(out).toMatchObject({ confirmed: true, revoked: [{ groupId: SG1, permissions: [RULE_APP, RULE_VPN] }], instanceStatus: 'rebooting' });
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(RevokeSecurityGroupIngressCommand, {
      GroupId: SG1,
      SecurityGroupRuleIds: ['sgr-0app0718', 'sgr-0vpn0718'],
    });
    expect(rds).toHaveReceivedCommandExactlyOnceWith(RebootDBInstanceCommand, { DBInstanceIdentifier: 'orders-primary' });
    expect(rds).not.toHaveReceivedCommandWith(RebootDBInstanceCommand, { DBInstanceIdentifier: 'orders-replica' });
    expect(await regionsOf(ec2, RevokeSecurityGroupIngressCommand)).toEqual(['us-east-1']);
    expect(await regionsOf(rds, RebootDBInstanceCommand)).toEqual(['us-east-1']);
    // The same view without `site` fences its primary (the current writer): orders-replica in us-west-2.
    rds.reset();
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: 'orders-replica', DBInstanceStatus: 'available' }] });
    rds.on(RebootDBInstanceCommand).resolves({ DBInstance: { DBInstanceIdentifier: 'orders-replica', DBInstanceStatus: 'rebooting' } });
    await fence(event(current));
    expect(rds).toHaveReceivedCommandExactlyOnceWith(RebootDBInstanceCommand, { DBInstanceIdentifier: 'orders-replica' });
    expect(await regionsOf(rds, RebootDBInstanceCommand)).toEqual(['us-west-2']);
  });

  it('never stops or deletes anything', async () => {
    await fence(event());
    const sent = rds.calls().map((c) => (c.args[0] as object).constructor.name);
    expect(sent.every((n) => n === 'DescribeDBInstancesCommand' || n === 'RebootDBInstanceCommand')).toBe(true);
  });

  it('re-run: no ingress left and the instance rebooting -> already-done, nothing saved or called again, the kept rules untouched', async () => {
    record = RULES_KEPT;
    groups({ [SG1]: [] });
    instance('rebooting');
    const out = await fence(event());
    expect(out.confirmed).toBe(true);
    expect(out.actions).toEqual([
      { action: `revoke-ingress ${SG1}`, result: 'already-done', detail: 'no ingress rules left' },
      { action: 'reboot orders-primary', result: 'already-done', detail: 'instance is rebooting: no open sessions' },
    ]);
    // Nothing was to be revoked, so nothing was asked: the call was given no record and says so; the table's is as it was.
    expect(out.revoked).toEqual([]);
    expect(saves).toEqual([]);
    expect(record).toEqual(RULES_KEPT);
    expect(ec2).not.toHaveReceivedCommand(RevokeSecurityGroupIngressCommand);
    expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
    expect(order).toEqual([`describe ${SG1}`]);
  });

  it('a rule added back after an earlier run is kept with the earlier ones before it is revoked', async () => {
    record = { revoked: [{ groupId: SG1, permissions: [RULE_APP] }], isolated: [] };
    groups({ [SG1]: [RULE_VPN] });
    const out = await fence(event());
    // Only the new rule was asked for; merged into the table's record, the earlier one is not lost.
    expect(asked.map((m) => JSON.parse(m) as FenceRecord)).toEqual([{ revoked: [{ groupId: SG1, permissions: [RULE_VPN] }], isolated: [] }]);
    expect(saves).toEqual([RULES_KEPT]);
    expect(out.revoked).toEqual([{ groupId: SG1, permissions: [RULE_APP, RULE_VPN] }]);
    expect(order).toEqual([`describe ${SG1}`, 'save', `describe ${SG1}`, `revoke ${SG1}`, `describe ${SG1}`, 'reboot']);
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(RevokeSecurityGroupIngressCommand, { GroupId: SG1, SecurityGroupRuleIds: ['sgr-0vpn0718'] });
  });

  it('handles each security group on its own', async () => {
    const database = revokingDb((r) => {
      r.primary.securityGroupIds = [SG1, SG2];
    });
    groups({ [SG1]: [RULE_APP], [SG2]: [] });
    const out = await fence(event(database));
    expect(out.actions.map((a) => [a.action, a.result])).toEqual([
      [`revoke-ingress ${SG1}`, 'done'],
      [`revoke-ingress ${SG2}`, 'already-done'],
      ['reboot orders-primary', 'done'],
    ]);
    expect(out.confirmed).toBe(true);
    expect(saves).toEqual([{ revoked: [{ groupId: SG1, permissions: [RULE_APP] }], isolated: [] }]);
  });

  it('several groups with rules: all kept in ONE round before any is revoked, then each revoked and reported done', async () => {
    const database = revokingDb((r) => {
      r.primary.securityGroupIds = [SG1, SG2];
    });
    groups({ [SG1]: [RULE_APP], [SG2]: [RULE_VPN] });
    const out = await fence(event(database));
    expect(saves).toEqual([
      {
        revoked: [
          { groupId: SG1, permissions: [RULE_APP] },
          { groupId: SG2, permissions: [RULE_VPN] },
        ],
        isolated: [],
      },
    ]);
    expect(order).toEqual([
      `describe ${SG1}`,
      `describe ${SG2}`,
      'save',
      `describe ${SG1}`,
      `describe ${SG2}`,
      `revoke ${SG1}`,
      `describe ${SG1}`,
      `revoke ${SG2}`,
      `describe ${SG2}`,
      'reboot',
    ]);
    expect(out.actions.map((a) => [a.action, a.result])).toEqual([
      [`revoke-ingress ${SG1}`, 'done'],
      [`revoke-ingress ${SG2}`, 'done'],
      ['reboot orders-primary', 'done'],
    ]);
    expect(out.confirmed).toBe(true);
  });

  it('a group with more rules than one error carries: kept over several saves, revoked only after the last one', async () => {
    // 40 rules with long descriptions, about 1,100 JSON characters each: more than twice UNSAVED_CHARS, so one
    // RecordOriginalsFirst cannot carry them all (its message ends up in a Step Functions error cause).
    const many = Array.from({ length: 40 }, (_, i): SecurityGroupRule => ({
      SecurityGroupRuleId: `sgr-0many${String(i).padStart(4, '0')}`,
      GroupId: SG1,
      IsEgress: false,
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
      CidrIpv4: `10.${i}.0.0/16`,
      Description: `client ${i} `.padEnd(1000, '.'),
    }));
    held[SG1] = many;
    const permissions = many.map(permissionOfRule);
    expect(JSON.stringify(permissions).length).toBeGreaterThan(2 * UNSAVED_CHARS);
    const out = await fence(event());
    // 14 rules a save (14 * ~1,100 <= 16,000 < 15 * ~1,100): three saves, each one holding more of them, in order, the last all of them.
    const kept = [14, 28, 40];
    expect(saves.map((s) => s.revoked[0]!.permissions.length)).toEqual(kept);
    saves.forEach((s, i) => expect(s).toEqual({ revoked: [{ groupId: SG1, permissions: permissions.slice(0, kept[i]) }], isolated: [] }));
    expect(asked).toHaveLength(kept.length);
    for (const message of asked) {
      expect(message.length).toBeLessThanOrEqual(UNSAVED_CHARS + 100);
      // The error as AWS hands it to the workflow's Catch fits in an error cause (32,768 characters).
      expect(JSON.stringify({ errorType: 'RecordOriginalsFirst', errorMessage: message, trace: [] }).length).toBeLessThan(32_768);
    }
    // Nothing revoked until the last save: then all of them at once.
    expect(order).toEqual([...kept.flatMap(() => [`describe ${SG1}`, 'save']), `describe ${SG1}`, `revoke ${SG1}`, `describe ${SG1}`, 'reboot']);
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(RevokeSecurityGroupIngressCommand, {
      GroupId: SG1,
      SecurityGroupRuleIds: many.map((r) => r.SecurityGroupRuleId!),
    });
    expect(out).toMatchObject({ confirmed: true, revoked: [{ groupId: SG1, permissions }] });
    expect(heldIds(SG1)).toEqual([]);
  });

  it('a revoke refused as not found revoked NOTHING: the rules still there -> failed, not confirmed (never "already revoked")', async () => {
    // EC2 in a non-default VPC: one rule of the request does not match -> the error, and no rule is revoked.
    ec2.on(RevokeSecurityGroupIngressCommand).rejects(ec2Error('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.'));
    const out = await fence(event());
    expect(out.actions[0]).toEqual({
      action: `revoke-ingress ${SG1}`,
      result: 'failed',
      detail: `2 ingress rules still on the group after 3 revokes (sgr-0app0718, sgr-0vpn0718): ${Array(3).fill('RevokeSecurityGroupIngress refused: InvalidPermission.NotFound, nothing revoked').join('; ')}`,
    });
    expect(out.confirmed).toBe(false);
    expect(heldIds(SG1)).toEqual(['sgr-0app0718', 'sgr-0vpn0718']);
    expect(out.revoked).toEqual([{ groupId: SG1, permissions: [RULE_APP, RULE_VPN] }]);
  });

  /** The VPN rule is replaced by `replacement` (a new rule id) just after the describe the revoke goes by: the second call's. */
  const replaceVpnBeforeTheRevoke = (replacement: SecurityGroupRule) => {
    let describes = 0;
    ec2.on(DescribeSecurityGroupRulesCommand).callsFake(() => {
      order.push(`describe ${SG1}`);
      const rules = held[SG1]!.map((r) => ({ ...r }));
      if (++describes === 2) held[SG1] = [SGR.app!(SG1), replacement];
      return { SecurityGroupRules: rules };
    });
  };

  it('a rule replaced by the same rule between the describe and the revoke: described again and revoked in the same call, nothing more to keep', async () => {
    replaceVpnBeforeTheRevoke({ ...SGR.vpn!(SG1), SecurityGroupRuleId: 'sgr-0vpnnew' });
    const out = await fence(event());
    expect(out.actions[0]).toEqual({
      action: `revoke-ingress ${SG1}`,
      result: 'done',
      detail: 'revoked 2 ingress rules; no ingress rule left (after RevokeSecurityGroupIngress refused: InvalidSecurityGroupRuleId.NotFound, nothing revoked)',
    });
    expect(out.confirmed).toBe(true);
    expect(heldIds(SG1)).toEqual([]);
    expect(ec2).toHaveReceivedNthCommandWith(RevokeSecurityGroupIngressCommand, 2, { GroupId: SG1, SecurityGroupRuleIds: ['sgr-0app0718', 'sgr-0vpnnew'] });
    expect(saves).toEqual([RULES_KEPT]);
    expect(order).toEqual([`describe ${SG1}`, 'save', `describe ${SG1}`, `revoke ${SG1}`, `describe ${SG1}`, `revoke ${SG1}`, `describe ${SG1}`, 'reboot']);
  });

  it('a rule changed between the describe and the revoke: the refused revoke revoked nothing, the changed rule is kept before it is revoked', async () => {
    replaceVpnBeforeTheRevoke({ ...SGR.vpn!(SG1), SecurityGroupRuleId: 'sgr-0vpnnew', FromPort: 3306, ToPort: 3306 });
    const out = await fence(event());
    expect(out.actions[0]).toEqual({ action: `revoke-ingress ${SG1}`, result: 'done', detail: 'revoked 2 ingress rules; no ingress rule left' });
    expect(out.confirmed).toBe(true);
    expect(heldIds(SG1)).toEqual([]);
    expect(ec2).toHaveReceivedNthCommandWith(RevokeSecurityGroupIngressCommand, 1, { GroupId: SG1, SecurityGroupRuleIds: ['sgr-0app0718', 'sgr-0vpn0718'] });
    expect(ec2).toHaveReceivedNthCommandWith(RevokeSecurityGroupIngressCommand, 2, { GroupId: SG1, SecurityGroupRuleIds: ['sgr-0app0718', 'sgr-0vpnnew'] });
    // The group described again after the refusal shows a rule not kept yet: kept (a second save) before the revoke that takes it.
    expect(order).toEqual(KEPT_TWICE);
    // Every rule seen is kept for the failback, the changed one too.
    const all = [RULE_APP, RULE_VPN, { ...RULE_VPN, FromPort: 3306, ToPort: 3306 }];
    expect(saves.at(-1)).toEqual({ revoked: [{ groupId: SG1, permissions: all }], isolated: [] });
    expect(out.revoked).toEqual([{ groupId: SG1, permissions: all }]);
  });

  it('a rule added while the fence runs is revoked too, once kept: the fence holds only for what is observed after the revoke', async () => {
    let revokes = 0;
    ec2.on(RevokeSecurityGroupIngressCommand).callsFake((input: { GroupId: string; SecurityGroupRuleIds: string[] }) => {
      order.push(`revoke ${input.GroupId}`);
      held[input.GroupId] = held[input.GroupId]!.filter((r) => !input.SecurityGroupRuleIds.includes(r.SecurityGroupRuleId!));
      if (revokes++ === 0) held[input.GroupId]!.push(SGR.vpn!(input.GroupId)); // put back at once by someone else
      return { Return: true };
    });
    groups({ [SG1]: [RULE_APP] });
    const out = await fence(event());
    expect(revokes).toBe(2);
    expect(out.actions[0]).toMatchObject({ result: 'done' });
    expect(out.confirmed).toBe(true);
    expect(out.revoked).toEqual([{ groupId: SG1, permissions: [RULE_APP, RULE_VPN] }]);
    // The rule found after the first revoke is kept (the second save) before the second revoke.
    expect(saves).toEqual([{ revoked: [{ groupId: SG1, permissions: [RULE_APP] }], isolated: [] }, RULES_KEPT]);
    expect(order).toEqual(KEPT_TWICE);
    expect(ec2).toHaveReceivedNthCommandWith(RevokeSecurityGroupIngressCommand, 2, { GroupId: SG1, SecurityGroupRuleIds: ['sgr-0vpn0718'] });
  });

  it('no security groups configured -> skipped, sessions still cut, fence not confirmed', async () => {
    const database = revokingDb((r) => {
      delete (r.primary as { securityGroupIds?: string[] }).securityGroupIds;
    });
    const out = await fence(event(database));
    expect(out.actions[0]).toEqual({ action: 'revoke-ingress', result: 'skipped', detail: expect.stringContaining('no securityGroupIds configured') });
    expect(out.actions[1]).toMatchObject({ action: 'reboot orders-primary', result: 'done' });
    expect(out.confirmed).toBe(false);
    expect(ec2).not.toHaveReceivedAnyCommand();
    expect(saves).toEqual([]);
  });

  it('the primary Region does not answer -> every action failed, not confirmed, no throw', async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).rejects(timeout());
    rds.on(DescribeDBInstancesCommand).rejects(timeout());
    const out = await fence(event());
    expect(out).toEqual({
      confirmed: false,
      deferred: false,
      cutPending: false,
      actions: [
        {
          action: `revoke-ingress ${SG1}`,
          result: 'failed',
          detail: 'DescribeSecurityGroupRules: the primary Region did not answer (TimeoutError: Connection timed out after 3000 ms)',
        },
        {
          action: 'reboot orders-primary',
          result: 'failed',
          detail: 'DescribeDBInstances: the primary Region did not answer (TimeoutError: Connection timed out after 3000 ms)',
        },
      ],
      revoked: [],
      isolated: [],
      instanceStatus: null,
    });
    expect(saves).toEqual([]);
  });

  it('access denied on revoke and on reboot -> failed, the rules stay kept', async () => {
    ec2.on(RevokeSecurityGroupIngressCommand).rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
    rds
      .on(RebootDBInstanceCommand)
      .rejects(rdsError('AccessDenied', 'User: arn:aws:sts::123456789012:assumed-role/fence/x is not authorized to perform: rds:RebootDBInstance'));
    const out = await fence(event());
    expect(out.actions.map((a) => a.result)).toEqual(['failed', 'failed']);
    expect(out.actions[0]!.detail).toMatch(/^RevokeSecurityGroupIngress: access denied \(UnauthorizedOperation/);
    expect(out.actions[1]!.detail).toMatch(/^RebootDBInstance: access denied \(AccessDenied/);
    expect(out.confirmed).toBe(false);
    expect(out.instanceStatus).toBe('available');
    expect(out.revoked).toEqual([{ groupId: SG1, permissions: [RULE_APP, RULE_VPN] }]);
    expect(record).toEqual(RULES_KEPT);
  });

  it('a revoke that returns false is not counted as done', async () => {
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: false });
    const out = await fence(event());
    expect(out.actions[0]).toMatchObject({ result: 'failed', detail: expect.stringMatching(/^2 ingress rules still on the group after 3 revokes/) });
    expect(out.confirmed).toBe(false);
  });

  it('an unknown security group or instance -> failed (never assumed fenced)', async () => {
    // A rule listing filtered by an unknown group is just empty; the group itself is not found.
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });
    ec2.on(DescribeSecurityGroupsCommand).rejects(ec2Error('InvalidGroup.NotFound', `The security group '${SG1}' does not exist`));
    rds.on(DescribeDBInstancesCommand).rejects(new DBInstanceNotFoundFault({ message: 'DBInstance orders-primary not found.', $metadata: {} }));
    const out = await fence(event());
    expect(out.actions.map((a) => a.result)).toEqual(['failed', 'failed']);
    expect(out.actions[0]!.detail).toMatch(/^DescribeSecurityGroups: the call failed \(InvalidGroup.NotFound/);
    expect(out.confirmed).toBe(false);
  });

  it.each([
    ['EC2 throttling', () => ec2.on(DescribeSecurityGroupRulesCommand).rejects(ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503))],
    ['RDS throttling', () => rds.on(DescribeDBInstancesCommand).rejects(rdsError('Throttling', 'Rate exceeded'))],
    [
      'an RDS server error (InternalServerError, 500) from a Region that answers',
      () => rds.on(DescribeDBInstancesCommand).rejects(rdsError('InternalServerError', 'Internal error')),
    ],
    [
      'an EC2 server error (Unavailable, 503)',
      () => ec2.on(DescribeSecurityGroupRulesCommand).rejects(ec2Error('Unavailable', 'The service is unavailable.', 503)),
    ],
  ])('%s after the SDK retries -> TransientAwsError', async (_name, arrange) => {
    arrange();
    await expect(fence(event())).rejects.toMatchObject({ name: 'TransientAwsError' });
  });

  it('a Region that does not answer (a timeout) is recorded as failed, not retried by the run', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
    const out = await fence(event());
    expect(out.actions[1]).toMatchObject({ result: 'failed', detail: expect.stringMatching(/the primary Region did not answer \(TimeoutError/) });
    expect(out.confirmed).toBe(false);
  });

  it.each([
    ['stopped', 'already-done', true],
    ['failed', 'already-done', true],
    ['incompatible-network', 'already-done', true],
    ['modifying', 'failed', false],
    ['backing-up', 'failed', false],
  ])('instance %s -> %s without a reboot (confirmed %s)', async (status, result, confirmed) => {
    instance(status);
    const out = await fence(event());
    expect(out.actions[1]).toMatchObject({ action: 'reboot orders-primary', result });
    expect(out.confirmed).toBe(confirmed);
    expect(out.instanceStatus).toBe(status);
    expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
  });

  // The instance is described only by the call that gets past the groups (the first one stops to keep the rules).
  it('InvalidDBInstanceState on reboot -> looks again: now stopping -> already-done', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [{ DBInstanceStatus: 'available' }] })
      .resolves({ DBInstances: [{ DBInstanceStatus: 'stopping' }] });
    rds.on(RebootDBInstanceCommand).rejects(new InvalidDBInstanceStateFault({ message: 'DB instance is not in available state.', $metadata: {} }));
    const out = await fence(event());
    expect(out.actions[1]).toEqual({ action: 'reboot orders-primary', result: 'already-done', detail: 'instance is stopping: no open sessions' });
    expect(out.confirmed).toBe(true);
    expect(rds).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 2);
  });

  it('InvalidDBInstanceState on reboot -> looks again: modifying -> failed', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [{ DBInstanceStatus: 'available' }] })
      .resolves({ DBInstances: [{ DBInstanceStatus: 'modifying' }] });
    rds.on(RebootDBInstanceCommand).rejects(new InvalidDBInstanceStateFault({ message: 'DB instance is not in available state.', $metadata: {} }));
    const out = await fence(event());
    expect(out.actions[1]).toMatchObject({ result: 'failed', detail: expect.stringContaining('instance is modifying') });
    expect(out.confirmed).toBe(false);
  });

  it('Aurora: reboots the writer instance of the primary cluster', async () => {
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'orders-east' }).resolves({
      DBClusters: [
        {
          DBClusterIdentifier: 'orders-east',
          Status: 'available',
          DBClusterMembers: [
            { DBInstanceIdentifier: 'orders-east-2', IsClusterWriter: false },
            { DBInstanceIdentifier: 'orders-east-1', IsClusterWriter: true },
          ],
        },
      ],
    });
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-east-1' }).resolves({ DBInstances: [{ DBInstanceStatus: 'available' }] });
    const out = await fence(event(auroraDb()));
    expect(out.actions[1]).toEqual({ action: 'reboot orders-east-1', result: 'done', detail: 'rebooted: open sessions dropped' });
    expect(rds).toHaveReceivedCommandWith(RebootDBInstanceCommand, { DBInstanceIdentifier: 'orders-east-1' });
    expect(out.confirmed).toBe(true);
  });

  it('Aurora: a cluster without a writer has no write sessions', async () => {
    rds
      .on(DescribeDBClustersCommand)
      .resolves({ DBClusters: [{ DBClusterIdentifier: 'orders-east', Status: 'inaccessible-encryption-credentials', DBClusterMembers: [] }] });
    const out = await fence(event(auroraDb()));
    expect(out.actions[1]).toMatchObject({ action: 'reboot orders-east', result: 'already-done' });
    expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
  });

  it('Aurora: the cluster cannot be described -> the reboot of the cluster is recorded as failed', async () => {
    rds.on(DescribeDBClustersCommand).rejects(timeout());
    const out = await fence(event(auroraDb()));
    expect(out.actions[1]).toEqual({
      action: 'reboot orders-east',
      result: 'failed',
      detail: 'DescribeDBClusters: the primary Region did not answer (TimeoutError: Connection timed out after 3000 ms)',
    });
    expect(out).toMatchObject({ confirmed: false, instanceStatus: null });
    expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
  });

  it('a server error on the revoke is thrown (TransientAwsError: retried), the rules kept first', async () => {
    ec2.on(RevokeSecurityGroupIngressCommand).callsFake((input: { GroupId: string }) => {
      order.push(`revoke ${input.GroupId}`);
      throw ec2Error('InternalError', 'An internal error has occurred', 500);
    });
    await expect(fence(event())).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'RevokeSecurityGroupIngress failed with a server error: InternalError',
    });
    expect(saves).toEqual([RULES_KEPT]);
    expect(order).toEqual([`describe ${SG1}`, 'save', `describe ${SG1}`, `revoke ${SG1}`]);
    expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
  });

  it('RebootDBInstance refused (InvalidDBInstanceState) and the instance cannot be described again -> failed, status unknown', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [{ DBInstanceStatus: 'available' }] })
      .rejects(timeout());
    rds.on(RebootDBInstanceCommand).rejects(new InvalidDBInstanceStateFault({ message: 'DB instance is not in available state.', $metadata: {} }));
    const out = await fence(event());
    expect(out.actions[1]).toEqual({
      action: 'reboot orders-primary',
      result: 'failed',
      detail: 'DescribeDBInstances: the primary Region did not answer (TimeoutError: Connection timed out after 3000 ms)',
    });
    expect(out.instanceStatus).toBeNull();
  });

  it('refuses a malformed input before doing anything', async () => {
    await expect(handler({ database: hotDb(), incidentId: 'inc-7' })).rejects.toMatchObject({ name: 'InvalidInputError' });
    // A `saved` that is not a fence record is refused too: it would decide what counts as kept.
    await expect(handler({ ...event(), saved: { revoked: [{ groupId: SG1 }] } })).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(ec2).not.toHaveReceivedAnyCommand();
    expect(rds).not.toHaveReceivedAnyCommand();
  });
});
