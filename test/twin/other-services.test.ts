import { CloudFormationClient, DescribeStacksCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  InvalidOutput,
  InvalidToken,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { InvalidParameterException, ListSubscriptionsByTopicCommand, NotFoundException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { beforeEach, describe, expect, it } from 'vitest';
import { useSdkTwin } from '../helpers/sdk-twin.js';
import { currentCaller, twinContext } from '../../twin/context.js';
import type { World } from '../../twin/world.js';
import { PRIMARY_SG, exampleWorld } from './helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const twin = useSdkTwin(exampleWorld);
let w: World;
beforeEach(() => (w = twin.world));
const rule = { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/8' }] };

describe('EC2 security groups', () => {
  it('describe, revoke (then NotFound in a non-default VPC), authorize (Duplicate)', async () => {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    const d = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [PRIMARY_SG] }));
    expect(d.SecurityGroups?.[0]?.IpPermissions).toEqual([
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/8' }], Ipv6Ranges: [], UserIdGroupPairs: [], PrefixListIds: [] },
    ]);
    const r = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: PRIMARY_SG, IpPermissions: [rule] }));
    expect(r.Return).toBe(true);
    expect(r.RevokedSecurityGroupRules?.[0]).toMatchObject({ GroupId: PRIMARY_SG, CidrIpv4: '10.0.0.0/8', FromPort: 5432 });
    const again: any = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: PRIMARY_SG, IpPermissions: [rule] })).catch((e) => e);
    expect(again.name).toBe('InvalidPermission.NotFound');
    expect(again.message).toBe('The specified rule does not exist in this security group.');
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: PRIMARY_SG, IpPermissions: [rule] }));
    const dup: any = await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: PRIMARY_SG, IpPermissions: [rule] })).catch((e) => e);
    expect(dup.name).toBe('InvalidPermission.Duplicate');
    expect(dup.message).toBe('the specified rule "peer: 10.0.0.0/8, TCP, from port: 5432, to port: 5432, ALLOW" already exists');
    const missing: any = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0000000000000dead'] })).catch((e) => e);
    expect(missing.name).toBe('InvalidGroup.NotFound');
  });

  it('revoking exactly what DescribeSecurityGroups returned (the fencing pattern) removes every rule; re-authorizing restores them', async () => {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    w.ec2.authorizeSecurityGroupIngress(
      { GroupId: PRIMARY_SG, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: 'sg-0app000000000000a' }] }] },
      { region: 'us-east-1' },
    );
    const permissions = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [PRIMARY_SG] }))).SecurityGroups![0]!.IpPermissions!;
    const out = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: PRIMARY_SG, IpPermissions: permissions }));
    expect(out.Return).toBe(true);
    expect(out.RevokedSecurityGroupRules).toHaveLength(2);
    expect((await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [PRIMARY_SG] }))).SecurityGroups![0]!.IpPermissions).toEqual([]);
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: PRIMARY_SG, IpPermissions: permissions }));
    expect((await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [PRIMARY_SG] }))).SecurityGroups![0]!.IpPermissions).toEqual(permissions);
  });

  it('a revoke naming one rule that does not match exactly (ports) revokes NO rule of the request in a non-default VPC', async () => {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    const app = { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: 'sg-0app000000000000a' }] };
    w.ec2.authorizeSecurityGroupIngress({ GroupId: PRIMARY_SG, IpPermissions: [app] }, { region: 'us-east-1' });
    const before = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [PRIMARY_SG] }))).SecurityGroups![0]!.IpPermissions!;
    // The first rule matches; the second names 5432-5433 where the group has 5432-5432.
    const err: any = await ec2
      .send(new RevokeSecurityGroupIngressCommand({ GroupId: PRIMARY_SG, IpPermissions: [rule, { ...app, ToPort: 5433 }] }))
      .catch((e) => e);
    expect(err.name).toBe('InvalidPermission.NotFound');
    expect((await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [PRIMARY_SG] }))).SecurityGroups![0]!.IpPermissions).toEqual(before);
  });

  it('DescribeSecurityGroupRules lists one entry per rule with its id; a revoke by SecurityGroupRuleIds removes exactly those', async () => {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    w.ec2.authorizeSecurityGroupIngress(
      { GroupId: PRIMARY_SG, IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-0app000000000000a', Description: 'app' }] }] },
      { region: 'us-east-1' },
    );
    const rules = (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [PRIMARY_SG] }] }))).SecurityGroupRules!;
    const ingress = rules.filter((r) => !r.IsEgress);
    expect(ingress).toEqual([
      expect.objectContaining({
        GroupId: PRIMARY_SG,
        IsEgress: false,
        IpProtocol: 'tcp',
        FromPort: 5432,
        ToPort: 5432,
        CidrIpv4: '10.0.0.0/8',
        SecurityGroupRuleId: expect.stringMatching(/^sgr-[0-9a-f]{17}$/),
      }),
      expect.objectContaining({
        GroupId: PRIMARY_SG,
        IsEgress: false,
        IpProtocol: '-1',
        FromPort: -1,
        ToPort: -1,
        ReferencedGroupInfo: { GroupId: 'sg-0app000000000000a', UserId: '123456789012' },
        Description: 'app',
      }),
    ]);
    expect(rules.filter((r) => r.IsEgress)).toEqual([expect.objectContaining({ IpProtocol: '-1', CidrIpv4: '0.0.0.0/0' })]);
    const byId = await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [ingress[1]!.SecurityGroupRuleId!] }));
    expect(byId.SecurityGroupRules).toHaveLength(1);

    // Both ways of naming rules at once are refused; nothing is revoked.
    const both: any = await ec2
      .send(new RevokeSecurityGroupIngressCommand({ GroupId: PRIMARY_SG, IpPermissions: [rule], SecurityGroupRuleIds: [ingress[0]!.SecurityGroupRuleId!] }))
      .catch((e) => e);
    expect(both.name).toBe('InvalidParameterCombination');
    // An unknown rule id (or an egress rule's): InvalidSecurityGroupRuleId.NotFound, and the known one stays.
    for (const other of ['sgr-0000000000000dead', rules.find((r) => r.IsEgress)!.SecurityGroupRuleId!]) {
      const unknown: any = await ec2
        .send(new RevokeSecurityGroupIngressCommand({ GroupId: PRIMARY_SG, SecurityGroupRuleIds: [ingress[0]!.SecurityGroupRuleId!, other] }))
        .catch((e) => e);
      expect(unknown.name).toBe('InvalidSecurityGroupRuleId.NotFound');
    }
    expect(
      (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [PRIMARY_SG] }] }))).SecurityGroupRules!.filter(
        (r) => !r.IsEgress,
      ),
    ).toHaveLength(2);

    const out = await ec2.send(
      new RevokeSecurityGroupIngressCommand({ GroupId: PRIMARY_SG, SecurityGroupRuleIds: ingress.map((r) => r.SecurityGroupRuleId!) }),
    );
    expect(out.Return).toBe(true);
    expect(out.RevokedSecurityGroupRules?.map((r) => r.SecurityGroupRuleId)).toEqual(ingress.map((r) => r.SecurityGroupRuleId));
    expect((await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [PRIMARY_SG] }))).SecurityGroups![0]!.IpPermissions).toEqual([]);
    const unknownGroupFilter = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: ['sg-0000000000000dead'] }] }));
    expect(unknownGroupFilter.SecurityGroupRules).toEqual([]);
  });

  it('in the default VPC an unknown rule is reported in UnknownIpPermissions instead', async () => {
    w.ec2.createSecurityGroup({ region: 'us-east-1', id: 'sg-0default000000000', defaultVpc: true });
    const r = await new EC2Client({ region: 'us-east-1' }).send(
      new RevokeSecurityGroupIngressCommand({ GroupId: 'sg-0default000000000', IpPermissions: [rule] }),
    );
    expect(r.Return).toBe(true);
    expect(r.UnknownIpPermissions?.[0]?.IpRanges).toEqual([{ CidrIp: '10.0.0.0/8' }]);
  });
});

describe('SNS', () => {
  it('publishes to an existing topic and captures the message; a missing topic is NotFound', async () => {
    const topic = w.sns.createTopic('us-west-2', 'failover-notifications');
    const sns = new SNSClient({ region: 'us-west-2' });
    const out = await sns.send(new PublishCommand({ TopicArn: topic, Subject: 'Failover', Message: 'promoted' }));
    expect(out.MessageId).toBe(w.sns.published[0]!.messageId);
    expect(w.sns.published[0]).toMatchObject({ topicArn: topic, subject: 'Failover', message: 'promoted' });
    await expect(sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-west-2:123456789012:nope', Message: 'x' }))).rejects.toBeInstanceOf(NotFoundException);
  });

  it("lists a topic's subscriptions 100 at a time (NextToken): a pending email is PendingConfirmation, a removed one is not listed", async () => {
    const topic = w.sns.createTopic('us-west-2', 'failover-notifications');
    for (let i = 0; i < 230; i++) w.sns.createSubscription(topic, 'email', `user${i}@example.com`, i !== 7);
    w.sns.removeSubscription(topic, 'user9@example.com');
    const sns = new SNSClient({ region: 'us-west-2' });
    const pages: {
      Subscriptions?: { Endpoint?: string; SubscriptionArn?: string; Protocol?: string; Owner?: string; TopicArn?: string }[];
      NextToken?: string;
    }[] = [];
    let NextToken: string | undefined;
    do {
      const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topic, NextToken }));
      pages.push(page);
      NextToken = page.NextToken;
    } while (NextToken);
    expect(pages.map((p) => p.Subscriptions!.length)).toEqual([100, 100, 29]);
    const all = pages.flatMap((p) => p.Subscriptions!);
    expect(all.find((x) => x.Endpoint === 'user7@example.com')).toEqual({
      SubscriptionArn: 'PendingConfirmation',
      Owner: '123456789012',
      Protocol: 'email',
      Endpoint: 'user7@example.com',
      TopicArn: topic,
    });
    expect(all.find((x) => x.Endpoint === 'user8@example.com')!.SubscriptionArn).toMatch(new RegExp(`^${topic}:[0-9a-f-]{36}$`));
    expect(all.some((x) => x.Endpoint === 'user9@example.com')).toBe(false);
    await expect(sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topic, NextToken: 'not-a-token' }))).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    await expect(sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: 'arn:aws:sns:us-west-2:123456789012:nope' }))).rejects.toBeInstanceOf(
      NotFoundException,
    );
    expect(await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: w.sns.createTopic('us-west-2', 'empty') }))).toMatchObject({ Subscriptions: [] });
  });
});

describe('Step Functions task tokens and executions', () => {
  it('SendTaskSuccess delivers once; a second answer is TaskTimedOut; unknown tokens are InvalidToken; output must be JSON', async () => {
    const answers: unknown[] = [];
    const token = w.sfn.registerTaskToken({ region: 'us-west-2', onSuccess: (o) => answers.push(o), onFailure: (e, c) => answers.push({ e, c }) });
    const sfn = new SFNClient({ region: 'us-west-2' });
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: 'not json' }))).rejects.toBeInstanceOf(InvalidOutput);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ decision: 'approve' }) }));
    expect(answers).toEqual([{ decision: 'approve' }]);
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
    await expect(sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'Rejected' }))).rejects.toBeInstanceOf(TaskTimedOut);
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'forged', output: '{}' }))).rejects.toBeInstanceOf(InvalidToken);
    const expired = w.sfn.registerTaskToken({ region: 'us-west-2', onSuccess: () => undefined, onFailure: () => undefined });
    w.sfn.closeTaskToken(expired);
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: expired, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
    // a token is only valid in its Region
    const other = w.sfn.registerTaskToken({ region: 'us-west-2', onSuccess: () => undefined, onFailure: () => undefined });
    await expect(new SFNClient({ region: 'us-east-1' }).send(new SendTaskSuccessCommand({ taskToken: other, output: '{}' }))).rejects.toBeInstanceOf(
      InvalidToken,
    );
  });

  it('StartExecution is idempotent for the same name and input while RUNNING', async () => {
    const started: unknown[] = [];
    const sm = w.sfn.stateMachineArn('us-west-2', 'failback');
    w.sfn.registerStateMachine(sm, (e) => started.push(e.input));
    const sfn = new SFNClient({ region: 'us-west-2' });
    const a = await sfn.send(new StartExecutionCommand({ stateMachineArn: sm, name: 'inc-1', input: '{"x":1}' }));
    const b = await sfn.send(new StartExecutionCommand({ stateMachineArn: sm, name: 'inc-1', input: '{"x":1}' }));
    expect(b.executionArn).toBe(a.executionArn);
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: sm, name: 'inc-1', input: '{"x":2}' }))).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
    await w.clock.advanceBy(1);
    expect(started).toEqual([{ x: 1 }]);
    w.sfn.setExecutionStatus(a.executionArn!, 'SUCCEEDED', { output: { ok: true } });
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: a.executionArn }))).status).toBe('SUCCEEDED');
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: sm, name: 'inc-1', input: '{"x":1}' }))).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: w.sfn.stateMachineArn('us-west-2', 'nope') }))).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });
  });
});

describe('CloudFormation', () => {
  beforeEach(() => {
    w.cloudformation.createStack({
      region: 'us-west-2',
      name: 'orders-cold',
      templateParameters: { Mode: { Default: 'dormant' }, InstanceClass: { Default: 'db.r6g.large' } },
      parameters: { InstanceClass: 'db.r6g.xlarge' },
    });
    w.cloudformation.attachColdStandby('us-west-2', 'orders-cold', {
      parameterName: 'Mode',
      activeValue: 'active',
      instance: { id: 'orders-cold-db', region: 'us-west-2', engine: 'postgres' },
    });
  });

  it('DescribeStacks on an unknown stack is ValidationError "Stack with id X does not exist"', async () => {
    const e: any = await new CloudFormationClient({ region: 'us-west-2' }).send(new DescribeStacksCommand({ StackName: 'nope' })).catch((x) => x);
    expect(e.name).toBe('ValidationError');
    expect(e.message).toBe('Stack with id nope does not exist');
  });

  it('UsePreviousTemplate: a parameter left out reverts to its default; UsePreviousValue keeps it; no change is an error', async () => {
    const cfn = new CloudFormationClient({ region: 'us-west-2' });
    const noop: any = await cfn
      .send(
        new UpdateStackCommand({
          StackName: 'orders-cold',
          UsePreviousTemplate: true,
          Parameters: [
            { ParameterKey: 'Mode', UsePreviousValue: true },
            { ParameterKey: 'InstanceClass', UsePreviousValue: true },
          ],
        }),
      )
      .catch((x) => x);
    expect(noop.name).toBe('ValidationError');
    expect(noop.message).toBe('No updates are to be performed.');
    const both: any = await cfn
      .send(
        new UpdateStackCommand({
          StackName: 'orders-cold',
          UsePreviousTemplate: true,
          Parameters: [{ ParameterKey: 'Mode', UsePreviousValue: true, ParameterValue: 'x' }],
        }),
      )
      .catch((x) => x);
    expect(both.message).toContain('Cannot specify usePreviousValue as true and non empty value');
    await cfn.send(
      new UpdateStackCommand({ StackName: 'orders-cold', UsePreviousTemplate: true, Parameters: [{ ParameterKey: 'Mode', ParameterValue: 'active' }] }),
    );
    const s = (await cfn.send(new DescribeStacksCommand({ StackName: 'orders-cold' }))).Stacks![0]!;
    expect(s.StackStatus).toBe('UPDATE_IN_PROGRESS');
    // InstanceClass was left out: it reverted to the template default (docs/aws-behaviour.md §8)
    expect(s.Parameters).toEqual([
      { ParameterKey: 'Mode', ParameterValue: 'active' },
      { ParameterKey: 'InstanceClass', ParameterValue: 'db.r6g.large' },
    ]);
    const busy: any = await cfn
      .send(new UpdateStackCommand({ StackName: 'orders-cold', UsePreviousTemplate: true, Parameters: [{ ParameterKey: 'Mode', ParameterValue: 'dormant' }] }))
      .catch((x) => x);
    expect(busy.message).toMatch(/is in UPDATE_IN_PROGRESS state and can not be updated/);
  });

  it('the cold-standby hook restores the database during the update (tens of minutes)', async () => {
    const cfn = new CloudFormationClient({ region: 'us-west-2' });
    await cfn.send(
      new UpdateStackCommand({
        StackName: 'orders-cold',
        UsePreviousTemplate: true,
        Parameters: [
          { ParameterKey: 'Mode', ParameterValue: 'active' },
          { ParameterKey: 'InstanceClass', UsePreviousValue: true },
        ],
      }),
    );
    expect(w.rds.getInstance('orders-cold-db')!.status).toBe('creating');
    await w.clock.advanceBy(14 * 60_000);
    expect(w.cloudformation.stackStatus('us-west-2', 'orders-cold')).toBe('UPDATE_IN_PROGRESS');
    await w.clock.runUntilIdle();
    expect(w.cloudformation.stackStatus('us-west-2', 'orders-cold')).toBe('UPDATE_COMPLETE');
    expect(w.rds.getInstance('orders-cold-db')!.status).toBe('available');
    const minutes = (w.clock.now() - w.startMs) / 60_000;
    expect(minutes).toBeGreaterThanOrEqual(15);
    expect(minutes).toBeLessThanOrEqual(37);
  });

  it('a failed update rolls back to the previous parameters', async () => {
    w.cloudformation.failNextUpdate('us-west-2', 'orders-cold');
    w.cloudformation.updateStack(
      {
        StackName: 'orders-cold',
        UsePreviousTemplate: true,
        Parameters: [
          { ParameterKey: 'Mode', ParameterValue: 'active' },
          { ParameterKey: 'InstanceClass', UsePreviousValue: true },
        ],
      },
      { region: 'us-west-2' },
    );
    await w.clock.runUntilIdle();
    expect(w.cloudformation.stackStatus('us-west-2', 'orders-cold')).toBe('UPDATE_ROLLBACK_COMPLETE');
  });
});

describe('CloudFormation service roles (docs/aws-behaviour.md "CloudFormation service roles")', () => {
  const ACTIVATE = { StackName: 'orders-cold', UsePreviousTemplate: true, Parameters: [{ ParameterKey: 'Mode', ParameterValue: 'active' }] };
  const ROLE = 'arn:aws:iam::123456789012:role/cold/orders-cold-cloudformation';
  const DB = 'arn:aws:rds:us-west-2:123456789012:db:orders-cold-db';
  const STACK = 'arn:aws:cloudformation:us-west-2:123456789012:stack/orders-cold/*';
  const restore = { Effect: 'Allow' as const, Action: ['rds:RestoreDBInstanceToPointInTime', 'rds:DescribeDBInstances'], Resource: DB };
  const update = { Effect: 'Allow' as const, Action: ['cloudformation:UpdateStack', 'cloudformation:DescribeStacks'], Resource: STACK };
  const passRole = (service: string) => ({
    Effect: 'Allow' as const,
    Action: 'iam:PassRole',
    Resource: ROLE,
    Condition: { StringEquals: { 'iam:PassedToService': service } },
  });
  const as = <T>(role: string, fn: () => Promise<T>): Promise<T> => twinContext.run({ principal: w.iam.assumeRole(role, 'promote-standby') }, fn);
  const cfn = () => new CloudFormationClient({ region: 'us-west-2' });

  beforeEach(() => {
    w.cloudformation.createStack({ region: 'us-west-2', name: 'orders-cold', templateParameters: { Mode: { Default: 'dormant' } } });
    w.cloudformation.attachColdStandby('us-west-2', 'orders-cold', {
      parameterName: 'Mode',
      activeValue: 'active',
      instance: { id: 'orders-cold-db', region: 'us-west-2', engine: 'postgres' },
    });
    w.iam.putRole('orders-cold-cloudformation', [{ Statement: [restore] }]);
  });

  it('without a role the update runs as the caller: a caller who may only update the stack cannot restore the database, so the update rolls back', async () => {
    w.iam.putRole('promote', [{ Statement: [update] }]);
    await as('promote', () => cfn().send(new UpdateStackCommand(ACTIVATE)));
    expect(w.rds.getInstance('orders-cold-db', 'us-west-2')).toBeUndefined();
    const failed = w.timeline.find((e) => e.event.includes('UPDATE_FAILED'))!;
    expect(failed.event).toContain(
      'User: arn:aws:sts::123456789012:assumed-role/promote/promote-standby is not authorized to perform: rds:RestoreDBInstanceToPointInTime on resource: ' +
        DB,
    );
    await w.clock.runUntilIdle();
    expect(w.cloudformation.stackStatus('us-west-2', 'orders-cold')).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(w.rds.getInstance('orders-cold-db', 'us-west-2')).toBeUndefined();
  });

  it('a caller with the restore permissions itself restores without a role', async () => {
    w.iam.putRole('admin', [{ Statement: [update, restore] }]);
    await as('admin', () => cfn().send(new UpdateStackCommand(ACTIVATE)));
    await w.clock.runUntilIdle();
    expect(w.cloudformation.stackStatus('us-west-2', 'orders-cold')).toBe('UPDATE_COMPLETE');
  });

  it('RoleARN needs iam:PassRole on that role (to CloudFormation): refused with AccessDenied otherwise, and nothing changes', async () => {
    for (const [name, policies] of [
      ['no-pass', [update]],
      ['pass-to-lambda', [update, passRole('lambda.amazonaws.com')]],
    ] as const) {
      w.iam.putRole(name, [{ Statement: policies }]);
      const e: any = await as(name, () => cfn().send(new UpdateStackCommand({ ...ACTIVATE, RoleARN: ROLE }))).catch((x) => x);
      expect(e.name).toBe('AccessDenied');
      expect(e.message).toBe(
        `User: arn:aws:sts::123456789012:assumed-role/${name}/promote-standby is not authorized to perform: iam:PassRole on resource: ${ROLE} because no identity-based policy allows the iam:PassRole action`,
      );
    }
    expect(w.cloudformation.stackStatus('us-west-2', 'orders-cold')).toBe('CREATE_COMPLETE');
    expect(w.cloudformation.stackRole('us-west-2', 'orders-cold')).toBeUndefined();
  });

  it('with RoleARN (and PassRole) the update runs as the role, which the stack keeps for later updates', async () => {
    w.iam.putRole('promote', [{ Statement: [update, passRole('cloudformation.amazonaws.com')] }]);
    await as('promote', () => cfn().send(new UpdateStackCommand({ ...ACTIVATE, RoleARN: ROLE })));
    expect(w.rds.getInstance('orders-cold-db', 'us-west-2')!.status).toBe('creating');
    await w.clock.runUntilIdle();
    const s = (await cfn().send(new DescribeStacksCommand({ StackName: 'orders-cold' }))).Stacks![0]!;
    expect([s.StackStatus, s.RoleARN]).toEqual(['UPDATE_COMPLETE', ROLE]);
    // Later updates without RoleARN run as the stack's role too (no PassRole needed).
    w.iam.putRole('orders-cold-cloudformation', [{ Statement: [] }]);
    w.cloudformation.setUpdateHook('us-west-2', 'orders-cold', (u) => u.authorize([{ action: 'rds:DeleteDBInstance', resources: [DB] }]));
    await as('promote', () =>
      cfn().send(
        new UpdateStackCommand({ StackName: 'orders-cold', UsePreviousTemplate: true, Parameters: [{ ParameterKey: 'Mode', ParameterValue: 'dormant' }] }),
      ),
    );
    expect(w.timeline.at(-1)!.event).toContain('assumed-role/orders-cold-cloudformation/AWSCloudFormation is not authorized to perform: rds:DeleteDBInstance');
  });

  it('a RoleARN that names no role CloudFormation can assume is a ValidationError', async () => {
    const e: any = await cfn()
      .send(new UpdateStackCommand({ ...ACTIVATE, RoleARN: 'arn:aws:iam::123456789012:role/missing' }))
      .catch((x) => x);
    expect([e.name, e.message]).toEqual(['ValidationError', 'Role arn:aws:iam::123456789012:role/missing is invalid or cannot be assumed']);
  });
});

describe('Lambda', () => {
  it('routes Invoke to the registered handler in its call context; errors are FunctionError Unhandled; injected failures too', async () => {
    const seen: unknown[] = [];
    w.lambda.register({
      region: 'us-east-1',
      functionName: 'probe',
      vantage: 'use1-a',
      handler: async (event: any) => {
        seen.push(currentCaller());
        if (event.fail) throw Object.assign(new Error('probe broke'), { name: 'ProbeError' });
        return { status: 'up' };
      },
    });
    const lambda = new LambdaClient({ region: 'us-east-1' });
    const ok = await lambda.send(new InvokeCommand({ FunctionName: 'probe', Payload: Buffer.from('{"round":1}') }));
    expect(ok.StatusCode).toBe(200);
    expect(ok.FunctionError).toBeUndefined();
    expect(JSON.parse(Buffer.from(ok.Payload!).toString())).toEqual({ status: 'up' });
    expect(seen[0]).toMatchObject({ region: 'us-east-1', vantage: 'use1-a', functionName: 'probe' });
    const bad = await lambda.send(
      new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:probe', Payload: Buffer.from('{"fail":true}') }),
    );
    expect(bad.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(bad.Payload!).toString())).toEqual({ errorType: 'ProbeError', errorMessage: 'probe broke', trace: [] });
    w.lambdaError('probe', 1);
    const injected = await lambda.send(new InvokeCommand({ FunctionName: 'probe', Payload: Buffer.from('{}') }));
    expect(injected.FunctionError).toBe('Unhandled');
    expect((await lambda.send(new InvokeCommand({ FunctionName: 'probe', Payload: Buffer.from('{}') }))).FunctionError).toBeUndefined();
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    const async = await lambda.send(new InvokeCommand({ FunctionName: 'probe', InvocationType: 'Event', Payload: Buffer.from('{}') }));
    expect(async.StatusCode).toBe(202);
    expect(seen).toHaveLength(3);
    await w.clock.advanceBy(1000);
    expect(seen).toHaveLength(4);
  });
});

describe('Secrets Manager with a customer managed KMS key (docs/aws-behaviour.md "Secrets under a customer managed key")', () => {
  const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/failover-probe-AbCdEf';
  const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const read = { Effect: 'Allow' as const, Action: 'secretsmanager:GetSecretValue', Resource: SECRET };
  const decrypt = (condition?: Record<string, Record<string, string>>, resource = KEY) => ({
    Effect: 'Allow' as const,
    Action: 'kms:Decrypt',
    Resource: resource,
    ...(condition ? { Condition: condition } : {}),
  });
  const get = (role: string) =>
    twinContext.run({ principal: w.iam.assumeRole(role, 'heartbeat') }, () =>
      new SecretsManagerClient({ region: 'us-east-1' }).send(new GetSecretValueCommand({ SecretId: SECRET })),
    );
  beforeEach(() => {
    w.secretsmanager.createSecret('us-east-1', SECRET, { username: 'probe', password: 'pw' }, { kmsKeyId: KEY });
  });

  it('GetSecretValue without kms:Decrypt on the key is AccessDeniedException "Access to KMS is not allowed" (400), even with secretsmanager:GetSecretValue', async () => {
    const cases: Array<[string, object[]]> = [
      ['no-decrypt', [read]],
      ['decrypt-other-key', [read, decrypt(undefined, 'arn:aws:kms:us-east-1:123456789012:key/ffffffff-12ab-34cd-56ef-1234567890ab')]],
      ['decrypt-via-rds', [read, decrypt({ StringEquals: { 'kms:ViaService': 'rds.us-east-1.amazonaws.com' } })]],
      ['decrypt-via-other-region', [read, decrypt({ StringEquals: { 'kms:ViaService': 'secretsmanager.us-west-2.amazonaws.com' } })]],
    ];
    for (const [role, statements] of cases) {
      w.iam.putRole(role, [{ Statement: statements as never }]);
      const e: any = await get(role).catch((x) => x);
      expect([e.name, e.message, e.$metadata?.httpStatusCode], role).toEqual(['AccessDeniedException', 'Access to KMS is not allowed', 400]);
    }
  });

  it('kms:Decrypt on the key, through Secrets Manager in its Region, reads it; the encryption context names the secret', async () => {
    w.iam.putRole('via', [{ Statement: [read, decrypt({ StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } })] }]);
    expect(JSON.parse((await get('via')).SecretString!)).toEqual({ username: 'probe', password: 'pw' });
    w.iam.putRole('context', [{ Statement: [read, decrypt({ StringEquals: { 'kms:EncryptionContext:SecretARN': SECRET } })] }]);
    expect(JSON.parse((await get('context')).SecretString!)).toEqual({ username: 'probe', password: 'pw' });
  });

  it("a secret's key is a key of the secret's Region", () => {
    expect(() => w.secretsmanager.createSecret('us-west-2', SECRET.replace('us-east-1', 'us-west-2'), 'x', { kmsKeyId: KEY })).toThrow(
      /must be a key ARN of the secret's Region/,
    );
  });
});

describe('Secrets Manager', () => {
  it('reads a secret by ARN or name in its Region', async () => {
    const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/failover-probe-AbCdEf';
    w.secretsmanager.createSecret('us-east-1', secretArn, { username: 'probe', password: 'pw' });
    const sm = new SecretsManagerClient({ region: 'us-east-1' });
    const byArn = await sm.send(new GetSecretValueCommand({ SecretId: secretArn }));
    expect(JSON.parse(byArn.SecretString!)).toEqual({ username: 'probe', password: 'pw' });
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'orders/failover-probe' }))).ARN).toBe(secretArn);
    await expect(
      new SecretsManagerClient({ region: 'us-west-2' }).send(new GetSecretValueCommand({ SecretId: 'orders/failover-probe' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
  });
});

describe('unmodelled commands fail loudly', () => {
  it('a command the twin does not answer rejects with TwinUnsupportedError naming it', async () => {
    const { ListTopicsCommand } = await import('@aws-sdk/client-sns');
    await expect(new SNSClient({ region: 'us-east-1' }).send(new ListTopicsCommand({}))).rejects.toMatchObject({
      name: 'TwinUnsupportedError',
      message: expect.stringContaining('ListTopicsCommand'),
    });
  });
});

describe('built-in wiring between services', () => {
  it('an EventBridge rule invokes a registered Lambda function asynchronously in its own context', async () => {
    const calls: unknown[] = [];
    w.lambda.register({ region: 'us-west-2', functionName: 'accept-trigger', handler: (e) => calls.push({ e, caller: currentCaller() }) });
    w.events.putRule({ Name: 'r', EventPattern: '{"source":["app"]}' }, { region: 'us-west-2' });
    w.events.putTargets(
      { Rule: 'r', Targets: [{ Id: 'fn', Arn: 'arn:aws:lambda:us-west-2:123456789012:function:accept-trigger', InputPath: '$.detail' }] },
      { region: 'us-west-2' },
    );
    w.events.putEvents({ Entries: [{ Source: 'app', DetailType: 'x', Detail: '{"k":1}' }] }, { region: 'us-west-2' });
    await w.clock.advanceBy(5000);
    expect(calls).toEqual([{ e: { k: 1 }, caller: { region: 'us-west-2', vantage: 'accept-trigger', functionName: 'accept-trigger' } }]);
    expect(w.lambda.invocations).toEqual([expect.objectContaining({ functionName: 'accept-trigger', type: 'Event', ok: true })]);
  });

  it('an event for a target nobody registered is recorded as undelivered, not retried', async () => {
    w.events.putRule({ Name: 'r', EventPattern: '{"source":["app"]}' }, { region: 'us-west-2' });
    w.events.putTargets({ Rule: 'r', Targets: [{ Id: 'sm', Arn: 'arn:aws:states:us-west-2:123456789012:stateMachine:unwired' }] }, { region: 'us-west-2' });
    w.events.putEvents({ Entries: [{ Source: 'app', DetailType: 'x', Detail: '{}' }] }, { region: 'us-west-2' });
    await w.clock.advanceBy(60_000);
    expect(w.events.deliveries).toEqual([expect.objectContaining({ ok: false, attempt: 1, error: expect.stringContaining('NoTargetHandler') })]);
  });

  it('SNS subscribers receive published messages on the clock; SFN heartbeats reach the registry', async () => {
    const topic = w.sns.createTopic('us-west-2', 't');
    const got: string[] = [];
    w.sns.subscribe(topic, (m) => got.push(m.message));
    w.sns.publish({ TopicArn: topic, Message: 'hello' }, { region: 'us-west-2' });
    expect(got).toEqual([]);
    await w.clock.advanceBy(1);
    expect(got).toEqual(['hello']);
    let beats = 0;
    const token = w.sfn.registerTaskToken({ region: 'us-west-2', onSuccess: () => undefined, onFailure: () => undefined, onHeartbeat: () => beats++ });
    w.sfn.sendTaskHeartbeat({ taskToken: token }, { region: 'us-west-2' });
    expect(beats).toBe(1);
    expect(w.sfn.isTokenOpen(token)).toBe(true);
  });

  it('GetMetricStatistics returns the requested statistics per period', () => {
    w.cloudwatch.putMetricData({ Namespace: 'App', MetricData: [{ MetricName: 'm', Values: [1, 3], Counts: [1, 3] }] }, { region: 'us-west-2' });
    const out = w.cloudwatch.getMetricStatistics(
      {
        Namespace: 'App',
        MetricName: 'm',
        StartTime: new Date(w.startMs),
        EndTime: new Date(w.startMs + 60_000),
        Period: 60,
        Statistics: ['Average', 'SampleCount', 'Maximum'],
      },
      { region: 'us-west-2' },
    ) as any;
    expect(out.Datapoints).toEqual([{ Timestamp: new Date(w.startMs), Unit: 'None', Average: 2.5, SampleCount: 4, Maximum: 3 }]);
  });

  it('Route 53 resolution of an unknown name in a zone is NXDOMAIN; names outside every zone pass through', () => {
    expect(w.route53.resolve('nothing.orders.internal')).toBeUndefined();
    expect(w.route53.resolve('db.example.com')).toEqual({ chain: ['db.example.com.'], final: 'db.example.com.', ttl: 60 });
  });
});
