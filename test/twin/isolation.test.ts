/**
 * The twin's model of a fence that isolates an instance: VPCs, CreateSecurityGroup in a VPC,
 * VpcSecurityGroupIds applied asynchronously (adding/removing, then active, ApplyImmediately
 * ignored), connection tracking (open sessions keep writing until a reboot), InvalidGroup.NotFound,
 * InvalidDBInstanceState for instances that cannot be modified or stopped, and the IAM of the new call.
 */
import { describe, expect, it } from 'vitest';
import { twinContext } from '../../twin/context.js';
import { evaluate } from '../../twin/iam.js';
import { DEFAULT_TWIN_VPC } from '../../twin/services/ec2.js';
import { createSqlConnector, type SqlTarget } from '../../twin/sql.js';
import type { World } from '../../twin/world.js';
import { PRIMARY, PRIMARY_SG, RECORD, REPLICA, exampleWorld } from './helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const E1 = { region: 'us-east-1' };
const describeOne = (w: World, id: string, region = 'us-east-1'): any =>
  (w.rds.describeDBInstances({ DBInstanceIdentifier: id }, { region }) as any).DBInstances[0];
const errOf = (fn: () => unknown): any => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
};
const target = (host: string): SqlTarget => ({ engine: 'postgres', host, port: 5432, user: 'app', password: 'pw', database: 'orders', timeoutMs: 3000 });
const HB_TABLE = 'CREATE TABLE IF NOT EXISTS failover_heartbeat (site text PRIMARY KEY, at timestamptz NOT NULL)';
const HB_UPSERT = 'INSERT INTO failover_heartbeat (site, at) VALUES ($1, now()) ON CONFLICT (site) DO UPDATE SET at = EXCLUDED.at';
const isolationGroup = (w: World, vpcId = DEFAULT_TWIN_VPC): string =>
  (
    w.ec2.createSecurityGroupOp(
      {
        GroupName: 'rds-failover-isolation',
        Description: 'fence',
        VpcId: vpcId,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'rds-failover:purpose', Value: 'fence-isolation' }] }],
      },
      E1,
    ) as any
  ).GroupId;

describe('EC2 CreateSecurityGroup / DescribeSecurityGroups in a VPC', () => {
  it('creates a group with no ingress and the default egress, found by VPC, name and tag', () => {
    const w = exampleWorld();
    const id = isolationGroup(w);
    expect(id).toMatch(/^sg-[0-9a-f]{17}$/);
    const found: any = w.ec2.describeSecurityGroups(
      {
        Filters: [
          { Name: 'vpc-id', Values: [DEFAULT_TWIN_VPC] },
          { Name: 'group-name', Values: ['rds-failover-isolation'] },
        ],
      },
      E1,
    );
    expect(found.SecurityGroups).toHaveLength(1);
    expect(found.SecurityGroups[0]).toMatchObject({
      GroupId: id,
      VpcId: DEFAULT_TWIN_VPC,
      IpPermissions: [],
      Tags: [{ Key: 'rds-failover:purpose', Value: 'fence-isolation' }],
    });
    expect(found.SecurityGroups[0].IpPermissionsEgress).toEqual([expect.objectContaining({ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] })]);
    expect(
      (w.ec2.describeSecurityGroups({ Filters: [{ Name: 'tag:rds-failover:purpose', Values: ['fence-isolation'] }] }, E1) as any).SecurityGroups.map(
        (g: any) => g.GroupId,
      ),
    ).toEqual([id]);
    // Another Region has its own groups.
    expect(
      (w.ec2.describeSecurityGroups({ Filters: [{ Name: 'group-name', Values: ['rds-failover-isolation'] }] }, { region: 'us-west-2' }) as any).SecurityGroups,
    ).toEqual([]);
  });

  it('refuses a name taken in the VPC, an unknown VPC, no VPC, an sg- name', () => {
    const w = exampleWorld();
    isolationGroup(w);
    expect(errOf(() => isolationGroup(w))).toMatchObject({ name: 'InvalidGroup.Duplicate' });
    expect(errOf(() => isolationGroup(w, 'vpc-0ffffffffffffffff'))).toMatchObject({
      name: 'InvalidVpcID.NotFound',
      message: "The vpc ID 'vpc-0ffffffffffffffff' does not exist",
    });
    expect(errOf(() => w.ec2.createSecurityGroupOp({ GroupName: 'x', Description: 'x' }, E1))).toMatchObject({ name: 'VPCIdNotSpecified' });
    expect(errOf(() => w.ec2.createSecurityGroupOp({ GroupName: 'sg-1', Description: 'x', VpcId: DEFAULT_TWIN_VPC }, E1))).toMatchObject({
      name: 'InvalidParameterValue',
    });
  });

  it('an unknown group id is InvalidGroup.NotFound', () => {
    const w = exampleWorld();
    expect(errOf(() => w.ec2.describeSecurityGroups({ GroupIds: ['sg-0deadbeefdeadbeef'] }, E1))).toMatchObject({ name: 'InvalidGroup.NotFound' });
  });

  it('IAM: the VPC and security-group/* with the request tags in the context', () => {
    const w = exampleWorld();
    const input = {
      GroupName: 'rds-failover-isolation',
      Description: 'x',
      VpcId: DEFAULT_TWIN_VPC,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'rds-failover:purpose', Value: 'fence-isolation' }] }],
    };
    const auth = w.ec2.authorization('CreateSecurityGroup', input, { region: 'us-east-1' });
    expect(auth).toEqual({
      action: 'ec2:CreateSecurityGroup',
      resources: [`arn:aws:ec2:us-east-1:123456789012:vpc/${DEFAULT_TWIN_VPC}`, 'arn:aws:ec2:us-east-1:123456789012:security-group/*'],
      context: { 'aws:RequestTag/rds-failover:purpose': 'fence-isolation' },
    });
    const principal = (condition: boolean) => ({
      arn: 'arn:aws:sts::123456789012:assumed-role/fence/fence',
      policies: [
        {
          Statement: [
            { Effect: 'Allow' as const, Action: 'ec2:CreateSecurityGroup', Resource: 'arn:aws:ec2:us-east-1:123456789012:vpc/*' },
            {
              Effect: 'Allow' as const,
              Action: 'ec2:CreateSecurityGroup',
              Resource: 'arn:aws:ec2:us-east-1:123456789012:security-group/*',
              Condition: { StringEquals: { 'aws:RequestTag/rds-failover:purpose': condition ? 'fence-isolation' : 'other' } },
            },
          ],
        },
      ],
    });
    expect(evaluate(principal(true), auth)).toEqual({ allowed: true });
    expect(evaluate(principal(false), auth)).toMatchObject({ allowed: false, resource: 'arn:aws:ec2:us-east-1:123456789012:security-group/*' });
  });
});

describe('RDS: VPC security groups of an instance', () => {
  it('DescribeDBInstances shows the VPC in DBSubnetGroup.VpcId', () => {
    const w = exampleWorld();
    expect(describeOne(w, PRIMARY.id).DBSubnetGroup).toMatchObject({ VpcId: DEFAULT_TWIN_VPC, SubnetGroupStatus: 'Complete' });
  });

  it('refuses a group of another VPC, and an empty list', () => {
    const w = exampleWorld();
    w.ec2.declareVpc('us-east-1', 'vpc-0other0000000000');
    const other = isolationGroup(w, 'vpc-0other0000000000');
    expect(errOf(() => w.rds.modifyDBInstance({ DBInstanceIdentifier: PRIMARY.id, VpcSecurityGroupIds: [other] }, E1))).toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining('different VPCs'),
    });
    expect(errOf(() => w.rds.modifyDBInstance({ DBInstanceIdentifier: PRIMARY.id, VpcSecurityGroupIds: [] }, E1))).toMatchObject({
      name: 'InvalidParameterValue',
    });
  });

  it('a failed, stopped or rebooting instance cannot be modified (InvalidDBInstanceState)', async () => {
    const w = exampleWorld();
    const iso = isolationGroup(w);
    w.rds.crash(PRIMARY.id, PRIMARY.region);
    expect(errOf(() => w.rds.modifyDBInstance({ DBInstanceIdentifier: PRIMARY.id, VpcSecurityGroupIds: [iso], ApplyImmediately: true }, E1))).toMatchObject({
      name: 'InvalidDBInstanceStateFault',
    });
    w.rds.recover(PRIMARY.id, PRIMARY.region);
    w.rds.rebootDBInstance({ DBInstanceIdentifier: PRIMARY.id }, E1);
    expect(errOf(() => w.rds.modifyDBInstance({ DBInstanceIdentifier: PRIMARY.id, VpcSecurityGroupIds: [iso] }, E1))).toMatchObject({
      name: 'InvalidDBInstanceStateFault',
    });
  });

  it('StopDBInstance is refused for an instance with replicas and for a replica', () => {
    const w = exampleWorld();
    expect(errOf(() => w.rds.stopDBInstance({ DBInstanceIdentifier: PRIMARY.id }, E1))).toMatchObject({
      name: 'InvalidDBInstanceStateFault',
      message: expect.stringContaining('has read replicas'),
    });
    expect(errOf(() => w.rds.stopDBInstance({ DBInstanceIdentifier: REPLICA.id }, { region: REPLICA.region }))).toMatchObject({
      name: 'InvalidDBInstanceStateFault',
      message: expect.stringContaining('Read Replica'),
    });
  });

  it('a stopped instance cannot be modified', async () => {
    const w = exampleWorld();
    w.rds.createInstance({ region: 'us-east-1', id: 'lonely', securityGroupIds: [PRIMARY_SG] });
    w.rds.stopDBInstance({ DBInstanceIdentifier: 'lonely' }, E1);
    await w.clock.advanceBy(200_000);
    expect(describeOne(w, 'lonely').DBInstanceStatus).toBe('stopped');
    expect(errOf(() => w.rds.modifyDBInstance({ DBInstanceIdentifier: 'lonely', VpcSecurityGroupIds: [isolationGroup(w)] }, E1))).toMatchObject({
      name: 'InvalidDBInstanceStateFault',
      message: expect.stringContaining("can't modify a stopped DB instance"),
    });
  });
});

describe('connection tracking through an isolation swap', () => {
  it('the swap applies asynchronously; an open session keeps writing after it is active, until the reboot; then nothing connects', async () => {
    const w = exampleWorld();
    const sql = createSqlConnector(w);
    const app = await twinContext.run({ vantage: 'app', region: 'us-east-1', functionName: 'application' }, () => sql.connect(target(RECORD)));
    await app.query(HB_TABLE);
    const iso = isolationGroup(w);
    w.rds.modifyDBInstance({ DBInstanceIdentifier: PRIMARY.id, VpcSecurityGroupIds: [iso], ApplyImmediately: true }, E1);
    // Asynchronous: while the swap is applied, the old group still admits new connections.
    expect(describeOne(w, PRIMARY.id).VpcSecurityGroups).toEqual([
      { VpcSecurityGroupId: PRIMARY_SG, Status: 'removing' },
      { VpcSecurityGroupId: iso, Status: 'adding' },
    ]);
    await expect(sql.connect(target(RECORD))).resolves.toBeDefined();
    await w.clock.advanceBy(30_000);
    expect(describeOne(w, PRIMARY.id).VpcSecurityGroups).toEqual([{ VpcSecurityGroupId: iso, Status: 'active' }]);
    // Active: new connections are dropped (timeout); the tracked session still writes.
    await expect(sql.connect(target(RECORD))).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    const before = w.network.writes.length;
    await app.query(HB_UPSERT, ['still-writing']);
    expect(w.network.writes.length).toBe(before + 1);
    // The reboot cuts it; after the reboot nothing reaches the instance.
    w.rds.rebootDBInstance({ DBInstanceIdentifier: PRIMARY.id }, E1);
    await expect(app.query('SELECT 1')).rejects.toMatchObject({ code: 'ECONNRESET' });
    await w.clock.advanceBy(61_000);
    await expect(sql.connect(target(RECORD))).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    // Restoring the original group lets clients in again once applied.
    w.rds.modifyDBInstance({ DBInstanceIdentifier: PRIMARY.id, VpcSecurityGroupIds: [PRIMARY_SG] }, E1);
    await w.clock.advanceBy(30_000);
    await expect(sql.connect(target(RECORD))).resolves.toBeDefined();
  });

  it('an untracked flow (all traffic open both ways) is cut as soon as the swap is active', async () => {
    const w = exampleWorld();
    const sql = createSqlConnector(w);
    w.ec2.createSecurityGroup({ region: 'us-east-1', id: 'sg-0open0000000000000', ingress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] });
    w.rds.createInstance({ region: 'us-east-1', id: 'open', securityGroupIds: ['sg-0open0000000000000'] });
    const s = await sql.connect(target('open.c0abcdefghij.us-east-1.rds.amazonaws.com'));
    w.rds.modifyDBInstance({ DBInstanceIdentifier: 'open', VpcSecurityGroupIds: [isolationGroup(w)] }, E1);
    await expect(s.query('SELECT 1')).resolves.toBeDefined();
    await w.clock.advanceBy(30_000);
    await expect(s.query('SELECT 1')).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});
