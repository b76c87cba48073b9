import { DescribeStacksCommand, CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeDBInstancesCommand, PromoteReadReplicaCommand, RDSClient } from '@aws-sdk/client-rds';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { useSdkTwin } from '../helpers/sdk-twin.js';
import { twinContext } from '../../twin/context.js';
import { evaluate, globMatch, type PolicyDocument } from '../../twin/iam.js';
import { REPLICA, exampleWorld } from './helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const promoterPolicy: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['rds:DescribeDBInstances', 'rds:PromoteReadReplica'], Resource: 'arn:aws:rds:us-west-2:123456789012:db:orders-*' },
    { Effect: 'Allow', Action: 'ec2:DescribeSecurityGroups', Resource: '*' },
    { Effect: 'Deny', Action: 'rds:PromoteReadReplica', Resource: '*', Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } } },
  ],
};

describe('IAM policy evaluation', () => {
  it('wildcards: * and ? on resources; actions are case-insensitive', () => {
    expect(globMatch('arn:aws:rds:*:123456789012:db:orders-?????', 'arn:aws:rds:us-east-1:123456789012:db:orders-abcde')).toBe(true);
    expect(globMatch('arn:aws:rds:*:123456789012:db:orders-?', 'arn:aws:rds:us-east-1:123456789012:db:orders-ab')).toBe(false);
    const p = { arn: 'x', policies: [{ Statement: [{ Effect: 'Allow' as const, Action: 'RDS:describe*', Resource: '*' }] }] };
    expect(evaluate(p, { action: 'rds:DescribeDBInstances', resources: ['arn:aws:rds:us-east-1:123456789012:db:a'] }).allowed).toBe(true);
  });

  it('explicit deny beats allow; NotAction; every resource must be allowed; StringLike conditions', () => {
    const p = {
      arn: 'x',
      policies: [
        {
          Statement: [
            { Effect: 'Allow' as const, NotAction: 'iam:*', Resource: '*' },
            { Effect: 'Deny' as const, Action: 'rds:DeleteDBInstance', Resource: '*' },
            {
              Effect: 'Deny' as const,
              Action: 'cloudwatch:PutMetricData',
              Resource: '*',
              Condition: { StringNotLike: { 'cloudwatch:namespace': 'RdsFailover*' } },
            },
          ],
        },
      ],
    };
    expect(evaluate(p, { action: 'rds:DeleteDBInstance', resources: ['a'] })).toEqual({ allowed: false, explicit: true, resource: 'a' });
    expect(evaluate(p, { action: 'iam:PassRole', resources: ['a'] })).toEqual({ allowed: false, explicit: false, resource: 'a' });
    expect(evaluate(p, { action: 'cloudwatch:PutMetricData', resources: ['*'], context: { 'cloudwatch:namespace': 'RdsFailover' } }).allowed).toBe(true);
    expect(evaluate(p, { action: 'cloudwatch:PutMetricData', resources: ['*'], context: { 'cloudwatch:namespace': 'Other' } }).allowed).toBe(false);
    const q = {
      arn: 'x',
      policies: [{ Statement: [{ Effect: 'Allow' as const, Action: 'rds:CreateDBInstanceReadReplica', Resource: 'arn:aws:rds:us-east-1:*' }] }],
    };
    expect(evaluate(q, { action: 'rds:CreateDBInstanceReadReplica', resources: ['arn:aws:rds:us-east-1:1:db:new', 'arn:aws:rds:us-west-2:1:db:src'] })).toEqual(
      { allowed: false, explicit: false, resource: 'arn:aws:rds:us-west-2:1:db:src' },
    );
  });

  it('unknown condition operators are refused when a role is registered', () => {
    const w = exampleWorld();
    expect(() =>
      w.iam.putRole('r', [{ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020' } } }] }]),
    ).toThrow(/not modelled/);
  });
});

describe('IAM through the SDK twin', () => {
  const twin = useSdkTwin();

  it("allowed calls pass; denied calls get each service's code and AWS's message", async () => {
    const w = twin.use(exampleWorld());
    w.iam.putRole('failover-promote', [promoterPolicy]);
    const principal = w.iam.assumeRole('failover-promote', 'promote-standby');
    const west = new RDSClient({ region: 'us-west-2' });
    const east = new RDSClient({ region: 'us-east-1' });
    await twinContext.run({ principal }, async () => {
      await expect(west.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: REPLICA.id }))).resolves.toBeDefined();
      const denied: any = await east.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-primary' })).catch((e) => e);
      expect(denied.name).toBe('AccessDenied');
      expect(denied.$metadata.httpStatusCode).toBe(403);
      expect(denied.message).toBe(
        'User: arn:aws:sts::123456789012:assumed-role/failover-promote/promote-standby is not authorized to perform: rds:DescribeDBInstances on resource: arn:aws:rds:us-east-1:123456789012:db:orders-primary because no identity-based policy allows the rds:DescribeDBInstances action',
      );
      const all: any = await west.send(new DescribeDBInstancesCommand({})).catch((e) => e);
      expect(all.message).toContain('on resource: arn:aws:rds:us-west-2:123456789012:db:*');
      const explicit: any = await east.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'orders-primary' })).catch((e) => e);
      expect(explicit.message).toBe(
        'User: arn:aws:sts::123456789012:assumed-role/failover-promote/promote-standby is not authorized to perform: rds:PromoteReadReplica on resource: arn:aws:rds:us-east-1:123456789012:db:orders-primary with an explicit deny in an identity-based policy',
      );
      const ddb: any = await new DynamoDBClient({ region: 'us-west-2' }).send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'x' } } })).catch((e) => e);
      expect(ddb.name).toBe('AccessDeniedException');
      expect(ddb.$metadata.httpStatusCode).toBe(400);
      expect(ddb.message).toContain('dynamodb:GetItem on resource: arn:aws:dynamodb:us-west-2:123456789012:table/t');
      await expect(new EC2Client({ region: 'us-west-2' }).send(new DescribeSecurityGroupsCommand({}))).resolves.toBeDefined();
      const sfn: any = await new SFNClient({ region: 'us-west-2' }).send(new SendTaskSuccessCommand({ taskToken: 't', output: '{}' })).catch((e) => e);
      expect(sfn.name).toBe('AccessDeniedException');
      expect(sfn.message).toContain('states:SendTaskSuccess on resource: *');
      const cfn: any = await new CloudFormationClient({ region: 'us-west-2' }).send(new DescribeStacksCommand({ StackName: 'cold' })).catch((e) => e);
      expect(cfn.name).toBe('AccessDenied');
    });
    expect(w.uncheckedCalls).toEqual({});
  });

  it("EC2 denials are UnauthorizedOperation with EC2's message; calls without a principal are counted as unchecked", async () => {
    const w = twin.use(exampleWorld());
    w.iam.putRole('nothing', [{ Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }] }]);
    const e: any = await twinContext
      .run({ principal: w.iam.assumeRole('nothing') }, () => new EC2Client({ region: 'us-east-1' }).send(new DescribeSecurityGroupsCommand({})))
      .catch((x) => x);
    expect(e.name).toBe('UnauthorizedOperation');
    expect(e.message).toBe('You are not authorized to perform this operation.');
    await new EC2Client({ region: 'us-east-1' }).send(new DescribeSecurityGroupsCommand({}));
    expect(w.uncheckedCalls).toEqual({ 'ec2:DescribeSecurityGroups': 1 });
  });
});

describe('fault injection through the SDK twin', () => {
  const twin = useSdkTwin();

  it("a Region outage makes API calls time out (after the SDK's retries); recovery restores them", async () => {
    const w = twin.use(exampleWorld());
    const east = new RDSClient({ region: 'us-east-1' });
    w.regionOutage('us-east-1', true);
    const e: any = await east.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-primary' })).catch((x) => x);
    expect(e.name).toBe('TimeoutError');
    expect(e.$metadata.attempts).toBe(3);
    expect(w.apiCalls['rds:DescribeDBInstances']).toBe(3);
    expect(w.timeline.some((t) => t.source === 'fault' && t.event === 'region us-east-1 out')).toBe(true);
    await expect(new RDSClient({ region: 'us-west-2' }).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: REPLICA.id }))).resolves.toBeDefined();
    w.regionOutage('us-east-1', false);
    await expect(east.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-primary' }))).resolves.toBeDefined();
  });

  it("throttle: the next N calls fail with the service's throttling error; the SDK retries absorb fewer than maxAttempts", async () => {
    const w = twin.use(exampleWorld());
    const west = new RDSClient({ region: 'us-west-2' });
    w.throttle('rds', undefined, 2);
    const ok = await west.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: REPLICA.id }));
    expect(ok.$metadata.attempts).toBe(3);
    w.throttle('rds', 'DescribeDBInstances', 3);
    const e: any = await west.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: REPLICA.id })).catch((x) => x);
    expect(e.name).toBe('Throttling');
    expect(e.message).toBe('Rate exceeded');
    const noRetry = new RDSClient({ region: 'us-west-2', maxAttempts: 1 });
    w.throttle('rds', undefined, 1);
    await expect(noRetry.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: REPLICA.id }))).rejects.toMatchObject({ name: 'Throttling' });
  });

  it('apiError: the next N calls of an operation fail with that code; non-retryable codes are not retried', async () => {
    const w = twin.use(exampleWorld());
    const west = new RDSClient({ region: 'us-west-2' });
    w.apiError('rds', 'PromoteReadReplica', 'InvalidDBInstanceStateFault', 1);
    const e: any = await west.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: REPLICA.id })).catch((x) => x);
    expect(e.name).toBe('InvalidDBInstanceStateFault');
    expect(e.$metadata.attempts).toBe(1);
    await expect(west.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: REPLICA.id }))).resolves.toBeDefined();
    w.apiError('rds', 'DescribeDBInstances', 'InternalFailure', 5);
    const f: any = await west.send(new DescribeDBInstancesCommand({})).catch((x) => x);
    expect(f.name).toBe('InternalFailure');
    expect(f.$metadata.httpStatusCode).toBe(500);
    expect(() => w.throttle('nope' as never, undefined, 1)).toThrow(/unknown service/);
  });
});
