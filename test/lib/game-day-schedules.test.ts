/**
 * Game-day schedules and drill rules as synthesized (docs/game-days.md "Drill runs", "Schedules"):
 * one EventBridge Scheduler schedule per database with `gameDay.schedule` (its group, flexible
 * window off, retry policy, dead-letter queue, the Drill Requested it puts), its least-privilege
 * role, the drill rule and its input; cdk-nag clean; nothing of it without a game day.
 */
import { describe, expect, it } from 'vitest';
import type { FailoverConfigInput } from '../../lambdas/shared/config-schema.js';
import { DRILL_SCHEDULE_RETRY } from '../../lib/constructs/game-day-schedules.js';
import { synthApp } from '../helpers/synth.js';
import { readFileSync } from 'node:fs';

const FIXTURE = 'test/fixtures/configs/game-day-scheduled.json';
const gameDay = (): FailoverConfigInput => JSON.parse(readFileSync(FIXTURE, 'utf8')) as FailoverConfigInput;
const R = 'us-west-2';
const ACCOUNT = '123456789012';
const BUS_ARN = `arn:aws:events:${R}:${ACCOUNT}:event-bus/failover-events`;
const DLQ_ARN = `arn:aws:sqs:${R}:${ACCOUNT}:failover-trigger-dead-letters`;

describe('game-day schedules (synthesized)', () => {
  const app = synthApp({ config: FIXTURE });
  const control = app.control;

  it('one schedule, in its group, putting a scheduled Drill Requested for the drill pair on the product bus', () => {
    expect(control.resources('AWS::Scheduler::ScheduleGroup').map(([, r]) => r.Properties)).toEqual([{ Name: 'failover-game-days' }]);
    const schedules = control.resources('AWS::Scheduler::Schedule');
    expect(schedules).toHaveLength(1);
    // Created after its group (it names the group, not a reference to it).
    const [groupId] = control.resources('AWS::Scheduler::ScheduleGroup')[0]!;
    expect((control.template.Resources[schedules[0]![0]] as { DependsOn?: string[] }).DependsOn).toContain(groupId);
    const p = schedules[0]![1].Properties as Record<string, unknown> & { Target: Record<string, unknown> };
    expect(p).toMatchObject({
      Name: 'failover-orders-drill',
      GroupName: 'failover-game-days',
      ScheduleExpression: 'at(2026-01-01T00:05:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
    });
    expect(p.Target).toMatchObject({
      Arn: BUS_ARN,
      EventBridgeParameters: { Source: 'rds-failover.game-day', DetailType: 'Drill Requested' },
      RetryPolicy: { MaximumEventAgeInSeconds: DRILL_SCHEDULE_RETRY.maximumEventAgeSeconds, MaximumRetryAttempts: DRILL_SCHEDULE_RETRY.maximumRetryAttempts },
      DeadLetterConfig: { Arn: DLQ_ARN },
    });
    // The fault: scheduledFault, else the first of faults.
    expect(JSON.parse(p.Target.Input as string)).toEqual({ database: 'orders-drill', requestedFor: 'orders', fault: 'disrupt-connectivity', scheduled: true });
  });

  it('its role: trusted by Scheduler of this account only; PutEvents on the product bus, the dead-letter queue and its key, nothing else', () => {
    const schedule = control.resources('AWS::Scheduler::Schedule')[0]![1];
    const roleArn = (schedule.Properties as { Target: { RoleArn: string } }).Target.RoleArn;
    // Named (the databases stacks' schedules name it by its ARN): IAM names are the account's, so the control Region is in it.
    expect(roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/failover-drill-scheduler-${R}`);
    const [roleId, role] = control.resources('AWS::IAM::Role').find(([, r]) => roleArn.endsWith(`/${String(r.Properties?.RoleName)}`))!;
    expect(role.Properties?.AssumeRolePolicyDocument).toMatchObject({
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
        },
      ],
    });
    const grants = app
      .roleStatements(control, roleId)
      .flatMap((s) => s.Action.flatMap((a) => s.Resource.map((r) => `${s.Effect ?? 'Allow'} ${a} on ${r}`)))
      .sort();
    const [keyId] = control.resources('AWS::KMS::Key').filter(([id]) => !id.includes('WorkflowsKey'))[0]!;
    expect(grants).toEqual(
      [
        `Allow events:PutEvents on ${BUS_ARN}`,
        `Allow kms:Decrypt on arn:aws:kms:${R}:${ACCOUNT}:key/key-${keyId}`,
        `Allow kms:GenerateDataKey on arn:aws:kms:${R}:${ACCOUNT}:key/key-${keyId}`,
        `Allow sqs:SendMessage on ${DLQ_ARN}`,
      ].sort(),
    );
  });

  it("the drill rule of orders: Drill Requested for its pair, the pair's config and the game-day settings in the input", () => {
    const rules = control.resources('AWS::Events::Rule').filter(([id]) => id.includes('DrillTrigger'));
    expect(rules).toHaveLength(1);
    const rule = rules[0]![1].Properties as {
      EventPattern: unknown;
      Targets: { InputTransformer: { InputTemplate: string; InputPathsMap: Record<string, string> }; DeadLetterConfig?: unknown }[];
    };
    expect(rule.EventPattern).toEqual({
      source: ['rds-failover.game-day'],
      'detail-type': ['Drill Requested'],
      detail: { database: ['orders-drill'], requestedFor: ['orders'] },
    });
    const target = rule.Targets[0]!;
    expect(target.DeadLetterConfig).toEqual({ Arn: DLQ_ARN });
    expect(Object.values(target.InputTransformer.InputPathsMap).sort()).toEqual(['$.detail', '$.detail-type', '$.source', '$.time']);
    const template = target.InputTransformer.InputTemplate;
    expect(template).toContain('"name":"orders-drill"');
    expect(template).toContain('"drillTarget":true');
    expect(template).toContain(
      '"gameDay":{"requestedFor":"orders","drillPair":"orders-drill","allowProductionTarget":false,"faults":["disrupt-connectivity"],"objectives":{"rtoSeconds":900,"rpoSeconds":30}}',
    );
  });

  it('is cdk-nag clean', () => {
    expect(() => synthApp({ config: FIXTURE, nag: true })).not.toThrow();
  });

  it('a game day without a schedule: the drill rule, no schedule, no group, no Scheduler role', () => {
    const config = gameDay();
    delete (config.databases[0]!.gameDay as { schedule?: string }).schedule;
    const plain = synthApp({ config });
    expect(plain.control.resources('AWS::Scheduler::Schedule')).toEqual([]);
    expect(plain.control.resources('AWS::Scheduler::ScheduleGroup')).toEqual([]);
    expect(plain.control.resources('AWS::Events::Rule').filter(([id]) => id.includes('DrillTrigger'))).toHaveLength(1);
    expect(JSON.stringify(plain.control.resources('AWS::IAM::Role'))).not.toContain('scheduler.amazonaws.com');
  });

  it('the example config (no game day): no drill rule, no schedule', () => {
    const example = synthApp();
    expect(example.control.resources('AWS::Scheduler::Schedule')).toEqual([]);
    expect(example.control.resources('AWS::Events::Rule').filter(([id]) => id.includes('DrillTrigger'))).toEqual([]);
  });
});
