/**
 * What real AWS would refuse or hide, in the synthesized templates: the state machines encrypted
 * with a customer managed key only the workflows and the named readers may decrypt (task tokens
 * live in the execution history), alarms on the automation itself (dead letters, failed
 * executions, heartbeat errors, unconfirmed email subscriptions), the approval page's reserved concurrency and access options,
 * and a table and log groups that survive `cdk destroy` without blocking the next deploy.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { synthApp } from '../helpers/synth.js';
import { readFileSync } from 'node:fs';
import type { FailoverConfigInput } from '../../lambdas/shared/config-schema.js';

const app = synthApp();
const EXAMPLE = JSON.parse(readFileSync(new URL('../../examples/config.json', import.meta.url), 'utf8')) as FailoverConfigInput;
/** The example config with other `approvals` settings. */
const withApprovals = (approvals: Record<string, unknown>) =>
  synthApp({ config: { ...EXAMPLE, approvals: { ...EXAMPLE.approvals, ...approvals } } as FailoverConfigInput });
const control = app.control;
const t = control.assertions;
const R = 'us-west-2';
const ACCOUNT = '123456789012';
const MACHINES = ['failover-failover', 'failover-failback'].map((n) => `arn:aws:states:${R}:${ACCOUNT}:stateMachine:${n}`);
/** The first group of the stack id's GUID (unique per deployment). */
const SUFFIX = { 'Fn::Select': [0, { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] }] };

type Statement = { Sid?: string; Action: string | string[]; Principal?: unknown; Condition?: Record<string, Record<string, unknown>> };
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const workflowKey = () => {
  const keys = control.resources('AWS::KMS::Key').filter(([id]) => id.includes('WorkflowsKey'));
  expect(keys).toHaveLength(1);
  return keys[0]!;
};

describe('the state machines are encrypted with a customer managed key (task tokens are in the execution history)', () => {
  it('both state machines use the workflows key (CUSTOMER_MANAGED_KMS_KEY), a key of their own with rotation', () => {
    const [keyId, key] = workflowKey();
    expect(key.Properties!.EnableKeyRotation).toBe(true);
    const machines = control.resources('AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(2);
    for (const [, m] of machines) {
      expect(m.Properties!.EncryptionConfiguration, String(m.Properties!.StateMachineName)).toEqual({
        Type: 'CUSTOMER_MANAGED_KMS_KEY',
        KmsKeyId: `arn:aws:kms:${R}:${ACCOUNT}:key/key-${keyId}`,
        KmsDataKeyReusePeriodSeconds: 300,
      });
    }
  });

  it('its key policy gives nobody kms:Decrypt through IAM alone: only the state machines, manage-lease and the named history readers, for these two state machines only', () => {
    const [, key] = workflowKey();
    const statements = (key.Properties!.KeyPolicy as { Statement: Statement[] }).Statement;
    const root = `arn:aws:iam::${ACCOUNT}:root`;
    for (const s of statements) {
      const actions = list(s.Action);
      expect(actions, s.Sid).not.toContain('kms:*');
      const principals = JSON.stringify(s.Principal);
      if (actions.some((a) => a === 'kms:Decrypt' || a === 'kms:Decrypt*')) {
        expect(principals, s.Sid).not.toContain(root);
        // The log delivery service (CDK adds it for logging of encrypted state machines) or our roles with the context.
        if (!principals.includes('delivery.logs.amazonaws.com')) {
          expect(s.Condition, s.Sid).toEqual({ StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': MACHINES } });
        }
      }
    }
    const decrypters = statements.filter((s) => list(s.Action).includes('kms:Decrypt')).map((s) => s.Sid);
    // (and the bootstrap's CloudFormation execution role, which CloudFormation alone assumes, to update the definitions)
    expect(decrypters.sort()).toEqual(['DeploymentUpdatesTheStateMachines', 'ExecutionReadersDecrypt', 'StateMachinesUseTheKey']);
    expect(JSON.stringify(statements.find((s) => s.Sid === 'DeploymentUpdatesTheStateMachines')!.Principal)).toContain(':role/cdk-hnb659fds-cfn-exec-role-');
    // Administration stays with the account (no lock-out), encryption through IAM under the context.
    expect(statements.find((s) => s.Sid === 'AdministerTheKey')).toMatchObject({ Principal: { AWS: root } });
    expect(statements.find((s) => s.Sid === 'EncryptWorkflowData')).toMatchObject({
      Action: ['kms:GenerateDataKey', 'kms:DescribeKey'],
      Principal: { AWS: root },
    });
  });

  it('names the configured history readers in the key policy (approvals.executionHistoryReaders)', () => {
    const reader = `arn:aws:iam::${ACCOUNT}:role/incident-auditor`;
    const withReader = withApprovals({ executionHistoryReaders: [reader] });
    const [, key] = withReader.control.resources('AWS::KMS::Key').find(([id]) => id.includes('WorkflowsKey'))!;
    const statements = (key.Properties!.KeyPolicy as { Statement: Statement[] }).Statement;
    expect(statements.find((s) => s.Sid === 'HistoryReadersDecrypt')).toMatchObject({
      Principal: { AWS: reader },
      Action: 'kms:Decrypt',
      Condition: { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': MACHINES } },
    });
  });
});

describe('alarms on the automation itself notify the operators', () => {
  const alarms = (stack: typeof control) => stack.resources('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
  const topic = `arn:aws:sns:${R}:${ACCOUNT}:failover-notifications`;

  it("alarms on the control Region's dead-letter queue, notifying the topic", () => {
    const [queueId] = control.resources('AWS::SQS::Queue').find(([id]) => id.includes('TriggerDeadLetters'))!;
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'failover-automation.trigger-dead-letters',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('Notifications') }],
    });
    expect(alarms(control).find((a) => a.AlarmName === 'failover-automation.trigger-dead-letters')!.AlarmActions).toEqual([topic]);
  });

  it('alarms on failed, timed-out and aborted executions of both state machines', () => {
    for (const machine of ['failover', 'failback']) {
      for (const [metric, outcome] of [
        ['ExecutionsFailed', 'failed'],
        ['ExecutionsTimedOut', 'timed-out'],
        ['ExecutionsAborted', 'aborted'],
      ]) {
        const alarm = alarms(control).find((a) => a.AlarmName === `failover-automation.${machine}-${outcome}`);
        expect(alarm, `${machine} ${outcome}`).toMatchObject({
          Namespace: 'AWS/States',
          MetricName: metric,
          Dimensions: [{ Name: 'StateMachineArn', Value: `arn:aws:states:${R}:${ACCOUNT}:stateMachine:failover-${machine}` }],
          Statistic: 'Sum',
          Threshold: 1,
          AlarmActions: [topic],
        });
      }
    }
  });

  it('alarms on errors of the cross-Region heartbeat function', () => {
    expect(alarms(control).find((a) => a.AlarmName === 'failover-automation.heartbeat-errors-cross-region')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: 'failover-heartbeat' }],
      AlarmActions: [topic],
    });
  });

  it('alarms when a configured email receives nothing (pending or removed subscription), and when the hourly check does not report', () => {
    expect(alarms(control).find((a) => a.AlarmName === 'failover-automation.unconfirmed-email-subscriptions')).toMatchObject({
      Namespace: 'RdsFailover',
      MetricName: 'UnconfirmedEmailSubscriptions',
      Statistic: 'Maximum',
      // Two runs of the hourly check per period: a late run never leaves a period empty.
      Period: 7200,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      // A check that fails or no longer runs publishes nothing: that must be seen too.
      TreatMissingData: 'breaching',
      AlarmActions: [topic],
    });
    expect(alarms(control).find((a) => a.AlarmName === 'failover-automation.unconfirmed-email-subscriptions')!.Dimensions).toBeUndefined();
    expect(alarms(control).find((a) => a.AlarmName === 'failover-automation.unconfirmed-email-subscriptions')!.AlarmDescription).toContain(
      'failover-check-subscriptions',
    );
  });

  it('in a primary Region: alarms on its dead-letter queue and heartbeat errors, forwarded to the product bus where one rule publishes them to the topic', () => {
    const signal = app.stacks['failover-signal-us-east-1']!;
    const here = alarms(signal).filter((a) => String(a.AlarmName).startsWith('failover-automation.'));
    expect(here.map((a) => a.AlarmName).sort()).toEqual([
      'failover-automation.forward-dead-letters-us-east-1',
      'failover-automation.heartbeat-errors-us-east-1',
    ]);
    for (const a of here) expect(a.AlarmActions, String(a.AlarmName)).toBeUndefined();
    // The forwarding rule of the Region takes every `<prefix>-` alarm, these included.
    const forwards = signal.resources('AWS::Events::Rule').map(([, r]) => JSON.stringify(r.Properties!.EventPattern ?? {}));
    expect(forwards.some((p) => p.includes('{"prefix":"failover-"}'))).toBe(true);
    const [, notify] = control.resources('AWS::Events::Rule').find(([id]) => id.includes('NotifyAutomationAlarms'))!;
    expect(notify.Properties).toMatchObject({
      EventBusName: 'failover-events',
      EventPattern: {
        region: [{ 'anything-but': R }],
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: 'failover-automation.' }], state: { value: ['ALARM'] } },
      },
      Targets: [expect.objectContaining({ Arn: topic })],
    });
  });

  it('lets CloudWatch alarm actions use the control key (the topic is encrypted with it)', () => {
    const [, key] = control.resources('AWS::KMS::Key').find(([id]) => !id.includes('WorkflowsKey'))!;
    const statements = (key.Properties!.KeyPolicy as { Statement: Statement[] }).Statement;
    expect(statements.find((s) => s.Sid === 'AllowCloudWatchAlarmActions')).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    });
  });
});

describe('the approval page', () => {
  it('runs with a reserved concurrency (default 2): a flood of requests never starves the fence, promote and DNS functions', () => {
    const fns = control.resources('AWS::Lambda::Function');
    const page = fns.find(([, f]) => f.Properties!.FunctionName === 'failover-approval-page')!;
    expect(page[1].Properties!.ReservedConcurrentExecutions).toBe(2);
    for (const [, f] of fns) if (f !== page[1]) expect(f.Properties!.ReservedConcurrentExecutions, String(f.Properties!.FunctionName)).toBeUndefined();
  });

  it.each([
    [{ page: 'iam-url' }, 'AWS_IAM', 2],
    [{ page: 'public-url', pageReservedConcurrency: 5 }, 'NONE', 5],
    [{ page: 'none', pageReservedConcurrency: null }, undefined, undefined],
  ] as const)('approvals %j: function URL auth %s, reserved concurrency %s', (approvals, auth, reserved) => {
    const variant = withApprovals(approvals);
    const urls = variant.control.resources('AWS::Lambda::Url');
    if (auth === undefined) {
      expect(urls).toHaveLength(0);
      expect(variant.findFunction('failover-request-approval', R).environment).not.toHaveProperty('APPROVAL_URL');
    } else {
      expect(urls.map(([, u]) => u.Properties!.AuthType)).toEqual([auth]);
    }
    const [, page] = variant.control.resources('AWS::Lambda::Function').find(([, f]) => f.Properties!.FunctionName === 'failover-approval-page')!;
    expect(page.Properties!.ReservedConcurrentExecutions).toBe(reserved);
  });

  it('tells request-approval how long an emailed link lives (approvals.linkLifetimeMinutes, default 60)', () => {
    expect(app.findFunction('failover-request-approval', R).environment).toMatchObject({ APPROVAL_LINK_LIFETIME_SECONDS: '3600' });
  });
});

describe('redeploying after cdk destroy', () => {
  it('protects the table from deletion and retains it under its fixed name: the retained table is adopted with `cdk import`', () => {
    const [, table] = control.resources('AWS::DynamoDB::Table')[0]!;
    expect(table.Properties).toMatchObject({ TableName: 'failover-state', DeletionProtectionEnabled: true });
    // Resource import needs a DeletionPolicy and the identifier (TableName) in the template.
    expect(table).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('names every retained log group with a suffix unique to the deployment (the stack id), so a redeploy does not collide', () => {
    const groups = Object.values(t.findResources('AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThan(20);
    for (const g of groups) {
      expect(g.DeletionPolicy).toBe('Retain');
      expect(g.Properties.LogGroupName).toEqual({ 'Fn::Join': ['', [expect.stringMatching(/^\/aws\/(lambda|vendedlogs\/states)\/failover-/), SUFFIX]] });
    }
  });

  it('deletes what a redeploy would otherwise collide with: aliases, topic, bus, queues, state machines and functions are not retained', () => {
    for (const type of [
      'AWS::KMS::Alias',
      'AWS::SNS::Topic',
      'AWS::Events::EventBus',
      'AWS::SQS::Queue',
      'AWS::StepFunctions::StateMachine',
      'AWS::Lambda::Function',
    ]) {
      const found = Object.entries(t.findResources(type));
      expect(found.length, type).toBeGreaterThan(0);
      for (const [id, r] of found) expect(r.DeletionPolicy, `${type} ${id}`).not.toBe('Retain');
    }
  });
});
