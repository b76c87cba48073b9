/**
 * The stacks outside the control Region, from examples/config.json: the signal stack of the
 * primary's Region (in-Region heartbeat, alarm, forwarding to the control bus) and the probe
 * stacks of the vantage-point Regions.
 */
import { describe, expect, it } from 'vitest';
import { heartbeatInput } from '../../lambdas/shared/contracts.js';
import { synthApp } from '../helpers/synth.js';

const app = synthApp();
const ACCOUNT = '123456789012';
const CONTROL_BUS = `arn:aws:events:us-west-2:${ACCOUNT}:event-bus/failover-events`;
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/failover-probe-AbCdEf';
/** The secret and its replicas (the example config's credentials.secretReplicaRegions): the same ARN in another Region. */
const SECRETS = [SECRET, SECRET.replace(':us-east-1:', ':us-west-2:'), SECRET.replace(':us-east-1:', ':eu-west-1:')];
const one = <T>(list: T[], what: string): T => {
  if (list.length !== 1) throw new Error(`expected one ${what}, found ${list.length}`);
  return list[0]!;
};

describe('deployment layout', () => {
  it('makes one control stack, one signal stack per primary Region and one probe stack per vantage-point Region', () => {
    expect(Object.keys(app.stacks).sort()).toEqual(
      ['failover-control', 'failover-signal-us-east-1', 'failover-probe-us-east-1', 'failover-probe-us-west-2', 'failover-probe-eu-west-1'].sort(),
    );
    expect(app.signals.map((s) => s.region)).toEqual(['us-east-1']);
    expect(app.probes.map((s) => s.region)).toEqual(['us-east-1', 'us-west-2', 'eu-west-1']);
  });

  it('references the control Region only by ARNs built from the config: no cross-stack exports or imports', () => {
    for (const stack of Object.values(app.stacks)) {
      // Outputs for people (the approval URL, state machine ARNs, ...) are fine; none is exported.
      const exported = Object.entries((stack.template.Outputs ?? {}) as Record<string, { Export?: unknown }>).filter(([, o]) => o.Export !== undefined);
      expect(exported, stack.name).toEqual([]);
      expect(JSON.stringify(stack.template), stack.name).not.toContain('Fn::ImportValue');
    }
  });
});

describe('signal stack (primary Region)', () => {
  const signal = app.signals[0]!;
  const heartbeat = app.findFunction('failover-heartbeat-in-region', 'us-east-1');

  it('runs the in-Region heartbeat function with its own log group and only the permissions it needs', () => {
    expect(heartbeat).toMatchObject({ stack: 'failover-signal-us-east-1', folder: 'heartbeat', runtime: 'nodejs24.x' });
    // A failed heartbeat asks the product bus in the control Region for a verification.
    expect(heartbeat.environment).toMatchObject({
      RESOURCE_PREFIX: 'failover',
      POWERTOOLS_SERVICE_NAME: 'heartbeat',
      EVENT_BUS_NAME: 'failover-events',
      CONTROL_REGION: 'us-west-2',
    });
    const grants = heartbeat.statements.map((s) => [s.Action.join(','), s.Resource.join(' '), s.Condition ?? null]);
    expect(grants).toEqual([
      [
        'logs:CreateLogStream,logs:PutLogEvents',
        expect.stringMatching(new RegExp(`^arn:aws:logs:us-east-1:${ACCOUNT}:log-group:[A-Za-z]*HeartbeatLogs[A-Z0-9]+:\\*$`)),
        null,
      ],
      ['secretsmanager:GetSecretValue', SECRETS.join(' '), null],
      [
        'events:PutEvents',
        `arn:aws:events:us-west-2:${ACCOUNT}:event-bus/failover-events`,
        { StringEquals: { 'events:source': 'rds-failover.heartbeat', 'events:detail-type': 'Heartbeat Failed' } },
      ],
      ['cloudwatch:PutMetricData', '*', { StringEquals: { 'cloudwatch:namespace': 'RdsFailover' } }],
      ['cloudwatch:DescribeAlarms', `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:failover-*-heartbeat-in-region`, null],
      ['xray:PutTraceSegments,xray:PutTelemetryRecords', '*', null],
    ]);
    const [, key] = one(signal.resources('AWS::KMS::Key'), 'key');
    expect(key.Properties!.EnableKeyRotation).toBe(true);
    const [, logs] = one(signal.resources('AWS::Logs::LogGroup'), 'log group');
    // Retained, so its name carries a suffix unique to the deployment (redeploys after `cdk destroy` do not collide).
    // (resolved with the twin's stack id, whose GUID is zeros)
    expect(logs.Properties).toMatchObject({ LogGroupName: '/aws/lambda/failover-heartbeat-in-region-00000000', RetentionInDays: 90 });
    expect(String(logs.Properties!.KmsKeyId)).toMatch(/^arn:aws:kms:us-east-1:123456789012:key\//);
  });

  it('beats every period with the in-Region heartbeat input', () => {
    const [, schedule] = one(
      signal.resources('AWS::Events::Rule').filter(([, r]) => r.Properties!.ScheduleExpression),
      'schedule',
    );
    expect(schedule.Properties!.ScheduleExpression).toBe('rate(1 minute)');
    const [target] = schedule.Properties!.Targets as Array<Record<string, unknown>>;
    expect(target!.Arn).toBe(heartbeat.arn);
    const beat = JSON.parse(String(target!.Input)) as Record<string, unknown>;
    expect(beat).toMatchObject({
      site: 'in-region',
      database: 'orders',
      host: 'writer.orders.internal',
      port: 5432,
      secretArn: SECRET,
      secretReplicaRegions: ['us-west-2', 'eu-west-1'],
    });
    expect(heartbeatInput.safeParse(beat).success).toBe(true);
  });

  it('alarms on the in-Region heartbeat with the same settings as the cross-Region one', () => {
    const heartbeatAlarms = (s: typeof signal) =>
      s.resources('AWS::CloudWatch::Alarm').filter(([, a]) => String(a.Properties!.AlarmName).includes('-heartbeat-'));
    const [, alarm] = one(heartbeatAlarms(signal), 'alarm');
    const [, crossRegion] = one(heartbeatAlarms(app.control), 'control alarm');
    expect(alarm.Properties).toMatchObject({ AlarmName: 'failover-orders-heartbeat-in-region', TreatMissingData: 'breaching' });
    expect(alarm.Properties!.Dimensions).toEqual(expect.arrayContaining([{ Name: 'Site', Value: 'in-region' }]));
    const settings = (p: Record<string, unknown>) => ({ ...p, AlarmName: undefined, AlarmDescription: undefined, Dimensions: undefined });
    expect(settings(alarm.Properties!)).toEqual(settings(crossRegion.Properties!));
  });

  it('forwards its alarm state changes and the RDS events about the primary to the control bus', () => {
    const forwards = signal.resources('AWS::Events::Rule').filter(([, r]) => r.Properties!.EventPattern);
    const patterns = forwards.map(([, r]) => r.Properties!.EventPattern);
    expect(patterns).toEqual(
      expect.arrayContaining([
        {
          source: ['aws.cloudwatch'],
          'detail-type': ['CloudWatch Alarm State Change'],
          // By the product's name prefix: a list of names would outgrow EventBridge's 2,048-character pattern limit.
          detail: { alarmName: [{ prefix: 'failover-' }], state: { value: ['ALARM', 'OK', 'INSUFFICIENT_DATA'] } },
        },
        { source: ['aws.rds'], 'detail-type': ['RDS DB Instance Event'], detail: { SourceIdentifier: ['orders-primary'] } },
      ]),
    );
    expect(forwards).toHaveLength(2);
    for (const [id, rule] of forwards) {
      expect(rule.Properties!.EventBusName, id).toBeUndefined();
      const [target] = rule.Properties!.Targets as Array<Record<string, string | Record<string, string>>>;
      expect(target!.Arn, id).toBe(CONTROL_BUS);
      expect((target!.DeadLetterConfig as Record<string, string>).Arn).toMatch(/^arn:aws:sqs:us-east-1:123456789012:/);
      const roleId = one(
        signal.resources('AWS::IAM::Role').filter(([rid]) => `arn:aws:iam::${ACCOUNT}:role/${rid}` === target!.RoleArn),
        'forwarding role',
      )[0];
      // The role may put events on the control bus, and nothing else.
      expect(app.roleStatements(signal, roleId)).toEqual([{ Effect: 'Allow', Action: ['events:PutEvents'], Resource: [CONTROL_BUS] }]);
    }
  });

  it('keeps undeliverable forwards in a CMK-encrypted, TLS-only queue', () => {
    const [, queue] = one(signal.resources('AWS::SQS::Queue'), 'queue');
    expect(String(queue.Properties!.KmsMasterKeyId)).toMatch(/^arn:aws:kms:us-east-1:/);
    const [, policy] = one(signal.resources('AWS::SQS::QueuePolicy'), 'queue policy');
    expect(JSON.stringify(policy.Properties)).toContain('"aws:SecureTransport":"false"');
  });

  it('deploys after the control stack (its rules target the control bus); nothing else depends across Regions', () => {
    expect(signal.dependsOn).toEqual(['failover-control']);
    expect(app.control.dependsOn).toEqual([]);
    for (const probe of app.probes) expect(probe.dependsOn, probe.name).toEqual([]);
  });
});

describe('probe stacks (vantage-point Regions)', () => {
  for (const region of ['us-east-1', 'us-west-2', 'eu-west-1']) {
    it(`${region}: the probe is named exactly failover-probe and may read the probe credentials`, () => {
      const probe = app.findFunction('failover-probe', region);
      expect(probe).toMatchObject({ stack: `failover-probe-${region}`, folder: 'probe', runtime: 'nodejs24.x', timeoutSeconds: 20 });
      expect(probe.environment).toMatchObject({ RESOURCE_PREFIX: 'failover', POWERTOOLS_SERVICE_NAME: 'probe' });
      const grants = probe.statements.filter((s) => !s.Action[0]!.startsWith('logs:') && !s.Action[0]!.startsWith('xray:'));
      expect(grants).toEqual([{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: SECRETS }]);
      // probe-vantage in the control Region invokes it by that ARN.
      expect(app.findFunction('failover-probe-vantage', 'us-west-2').statements.flatMap((s) => s.Resource)).toContain(probe.arn);
    });
  }
});
