/** The synthesis helper's own logic: resolving intrinsics, and the local-interpreter rewrite. */
import { describe, expect, it } from 'vitest';
import { forLocalInterpreter, resolveIntrinsics, type ResolveContext } from './synth.js';

const ctx: ResolveContext = {
  account: '123456789012',
  region: 'us-west-2',
  partition: 'aws',
  stackName: 'failover-control',
  parameters: { BootstrapVersion: { Default: '/cdk-bootstrap/hnb659fds/version' } },
  resources: {
    Fn1: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'failover-switch-dns' } },
    Sm1: { Type: 'AWS::StepFunctions::StateMachine', Properties: { StateMachineName: 'failover-failback' } },
    Tbl: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'failover-state' } },
    Role1: { Type: 'AWS::IAM::Role', Properties: {} },
    Q: { Type: 'AWS::SQS::Queue', Properties: {} },
    Logs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/aws/lambda/x' } },
  },
};

describe('resolveIntrinsics', () => {
  it.each([
    [{ Ref: 'AWS::AccountId' }, '123456789012'],
    [{ Ref: 'AWS::Partition' }, 'aws'],
    [{ Ref: 'BootstrapVersion' }, '/cdk-bootstrap/hnb659fds/version'],
    [{ Ref: 'Tbl' }, 'failover-state'],
    [{ Ref: 'Sm1' }, 'arn:aws:states:us-west-2:123456789012:stateMachine:failover-failback'],
    [{ Ref: 'Q' }, 'https://sqs.us-west-2.amazonaws.com/123456789012/Q'],
    [{ 'Fn::GetAtt': ['Fn1', 'Arn'] }, 'arn:aws:lambda:us-west-2:123456789012:function:failover-switch-dns'],
    [{ 'Fn::GetAtt': ['Role1', 'Arn'] }, 'arn:aws:iam::123456789012:role/Role1'],
    [{ 'Fn::GetAtt': ['Logs', 'Arn'] }, 'arn:aws:logs:us-west-2:123456789012:log-group:/aws/lambda/x:*'],
    [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':route53:::change/*']] }, 'arn:aws:route53:::change/*'],
    [
      { 'Fn::Sub': 'cdk-${AWS::AccountId}-${AWS::Region}-${Tbl}-${Fn1.Arn}' },
      'cdk-123456789012-us-west-2-failover-state-arn:aws:lambda:us-west-2:123456789012:function:failover-switch-dns',
    ],
    [{ 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] }, 'b'],
    [{ nested: [{ Ref: 'AWS::Region' }] }, { nested: ['us-west-2'] }],
  ])('%j → %j', (value, expected) => {
    expect(resolveIntrinsics(value, ctx)).toEqual(expected);
  });

  it('refuses a reference to an unknown resource', () => {
    expect(() => resolveIntrinsics({ Ref: 'Nope' }, ctx)).toThrow(/unknown resource Nope/);
  });
});

describe('forLocalInterpreter', () => {
  it('re-points a TimeoutSecondsPath to where Parameters put the same value, in Map iterations too, and leaves others alone', () => {
    const task = (path: string) => ({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSecondsPath: path,
      Parameters: { FunctionName: 'f', Payload: { 'timeoutSeconds.$': '$.trigger.approvalTimeoutSeconds' } },
      End: true,
    });
    const def = {
      StartAt: 'A',
      States: {
        A: task('$.trigger.approvalTimeoutSeconds'),
        B: { Type: 'Map', ItemProcessor: { StartAt: 'C', States: { C: task('$.trigger.approvalTimeoutSeconds') } }, End: true },
        D: task('$.elsewhere'),
      },
    };
    const local = forLocalInterpreter(def);
    expect(local.States.A.TimeoutSecondsPath).toBe('$.Payload.timeoutSeconds');
    expect((local.States.B.ItemProcessor.States.C as { TimeoutSecondsPath: string }).TimeoutSecondsPath).toBe('$.Payload.timeoutSeconds');
    expect(local.States.D.TimeoutSecondsPath).toBe('$.elsewhere');
    expect(def.States.A.TimeoutSecondsPath).toBe('$.trigger.approvalTimeoutSeconds');
  });
});
