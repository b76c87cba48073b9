import { describe, expect, it } from 'vitest';
import { loadRulesFromTemplate, resolveIntrinsics } from '../../twin/services/cfn-rules.js';
import { World } from '../../twin/world.js';

describe('loading EventBridge rules from a synthesized template', () => {
  it('resolves intrinsics and delivers matching events to the resolved target', async () => {
    const template = {
      Resources: {
        TriggerRule: {
          Type: 'AWS::Events::Rule',
          Properties: {
            EventPattern: { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { state: { value: ['ALARM'] } } },
            State: 'ENABLED',
            Targets: [
              {
                Id: 'Target0',
                Arn: { Ref: 'FailoverStateMachine' },
                RoleArn: { 'Fn::GetAtt': ['EventsRole', 'Arn'] },
                InputTransformer: {
                  InputPathsMap: { a: '$.detail.alarmName' },
                  InputTemplate: { 'Fn::Join': ['', ['{"database":"orders","alarm":"<a>","region":"', { Ref: 'AWS::Region' }, '"}']] },
                },
              },
            ],
          },
        },
        Other: { Type: 'AWS::SNS::Topic' },
      },
    };
    const w = new World();
    const smArn = 'arn:aws:states:us-west-2:123456789012:stateMachine:failover';
    const got: unknown[] = [];
    w.events.registerTarget(smArn, (p) => got.push(p));
    const names = loadRulesFromTemplate(w, template, {
      region: 'us-west-2',
      refs: { FailoverStateMachine: smArn },
      getAtts: { 'EventsRole.Arn': 'arn:aws:iam::123456789012:role/events' },
    });
    expect(names).toEqual(['TriggerRule']);
    w.events.emitAws('us-west-2', {
      source: 'aws.cloudwatch',
      detailType: 'CloudWatch Alarm State Change',
      detail: { alarmName: 'hb', state: { value: 'ALARM' } },
    });
    w.events.emitAws('us-west-2', {
      source: 'aws.cloudwatch',
      detailType: 'CloudWatch Alarm State Change',
      detail: { alarmName: 'hb', state: { value: 'OK' } },
    });
    await w.clock.advanceBy(5000);
    expect(got).toEqual([{ database: 'orders', alarm: 'hb', region: 'us-west-2' }]);
  });

  it('an unmapped reference is an error; Fn::Sub works', () => {
    expect(() => resolveIntrinsics({ Ref: 'Nope' }, { region: 'us-east-1' })).toThrow(/cannot resolve Ref Nope/);
    expect(
      resolveIntrinsics(
        { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${Bus}' },
        { region: 'eu-west-1', refs: { Bus: 'default' } },
      ),
    ).toBe('arn:aws:events:eu-west-1:123456789012:event-bus/default');
  });
});
