/**
 * The game-day construct (lib/constructs/game-day-experiments.ts): one FIS experiment template per
 * fault of each drill pair, in its primary Region, tagged, targeting exactly the pair's primary,
 * stopped by the user's and the product's alarms, logged encrypted, each with its own scoped role.
 */
import { describe, expect, it } from 'vitest';
import { Arns } from '../../lib/arns.js';
import { drillPairPlans, MAX_STOP_CONDITIONS } from '../../lib/constructs/game-day-experiments.js';
import { startFaultExperimentPermissions } from '../../lib/constructs/permissions.js';
import { loadConfigFile } from '../../lib/config/index.js';
import { evaluate } from '../../twin/iam.js';
import { synthApp } from '../helpers/synth.js';

const FIXTURE = 'test/fixtures/configs/game-day.json';
const ACCOUNT = '123456789012';

describe('game-day experiment templates (test/fixtures/configs/game-day.json)', () => {
  const app = synthApp({ config: FIXTURE, nag: true });
  const stack = app.stacks['failover-game-day-us-east-1']!;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const templates = () => stack.resources('AWS::FIS::ExperimentTemplate').map(([id, t]) => ({ id, p: t.Properties as Record<string, any> }));
  const byFault = (fault: string) => templates().find((t) => t.p.Tags['failover:fault'] === fault)!;

  it('deploys a failover-game-day-<region> stack in the drill pair primary Region, passing cdk-nag', () => {
    expect(stack.region).toBe('us-east-1');
    expect(Object.keys(app.stacks).filter((n) => n.includes('game-day'))).toEqual(['failover-game-day-us-east-1']);
  });

  it('one template per fault, tagged for start-fault-experiment', () => {
    expect(
      templates()
        .map((t) => t.p.Tags)
        .sort((a, b) => a['failover:fault'].localeCompare(b['failover:fault'])),
    ).toEqual([
      {
        'failover:database': 'orders-drill',
        'failover:fault': 'disrupt-connectivity',
        'failover:prefix': 'failover',
        Name: 'failover-orders-drill-disrupt-connectivity',
      },
      {
        'failover:database': 'orders-drill',
        'failover:fault': 'reboot-with-failover',
        'failover:prefix': 'failover',
        Name: 'failover-orders-drill-reboot-with-failover',
      },
    ]);
  });

  it('targets exactly the drill pair primary, by ARN (never the production database)', () => {
    expect(byFault('reboot-with-failover').p.Targets).toEqual({
      DBInstances: { ResourceType: 'aws:rds:db', ResourceArns: [`arn:aws:rds:us-east-1:${ACCOUNT}:db:orders-drill-primary`], SelectionMode: 'ALL' },
    });
    expect(byFault('reboot-with-failover').p.Actions.rebootwithfailover).toMatchObject({
      ActionId: 'aws:rds:reboot-db-instances',
      Parameters: { forceFailover: 'true' },
    });
    expect(byFault('disrupt-connectivity').p.Targets.Subnets.ResourceArns).toEqual([
      `arn:aws:ec2:us-east-1:${ACCOUNT}:subnet/subnet-0a1b2c3d4e5f60718`,
      `arn:aws:ec2:us-east-1:${ACCOUNT}:subnet/subnet-0f1e2d3c4b5a69788`,
    ]);
    expect(byFault('disrupt-connectivity').p.Actions.disruptconnectivity.Parameters).toEqual({ duration: 'PT10M', scope: 'all' });
    expect(JSON.stringify(templates())).not.toMatch(/db:orders-primary/);
  });

  it("stops on the user's alarm, production's in-Region heartbeat and the heartbeat errors, never the drill pair's own heartbeat", () => {
    const alarm = (name: string) => ({ Source: 'aws:cloudwatch:alarm', Value: `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:${name}` });
    for (const t of templates()) {
      expect(t.p.StopConditions).toEqual([
        alarm('orders-checkout-errors'),
        alarm('failover-orders-heartbeat-in-region'),
        alarm('failover-automation.heartbeat-errors-us-east-1'),
      ]);
    }
  });

  it('logs to an encrypted log group; each template its own role, trusted by FIS for this account only, scoped to its targets', () => {
    const logGroups = stack.resources('AWS::Logs::LogGroup');
    expect(logGroups).toHaveLength(1);
    expect(logGroups[0]![1].Properties?.KmsKeyId).toBeDefined();
    const roleIds = new Set(templates().map((t) => t.p.RoleArn));
    expect(roleIds.size).toBe(2);
    for (const [, role] of stack.resources('AWS::IAM::Role')) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      expect((role.Properties as any).AssumeRolePolicyDocument.Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'fis.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
        },
      ]);
    }
    const statements = (fault: string) =>
      stack
        .resources('AWS::IAM::Policy')
        .filter(([id]) => id.includes(fault.replace(/-/g, '')))
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        .flatMap(([, p]) => (p.Properties as any).PolicyDocument.Statement as { Action: string | string[]; Resource: string | string[] }[]);
    const rds = statements('reboot-with-failover').filter((s) => [s.Action].flat().some((a) => a.startsWith('rds:')));
    expect(rds).toHaveLength(1);
    expect([rds[0]!.Action].flat().sort()).toEqual(['rds:DescribeDBInstances', 'rds:RebootDBInstance']);
    expect(rds[0]!.Resource).toBe(`arn:aws:rds:us-east-1:${ACCOUNT}:db:orders-drill-primary`);
    const associate = statements('disrupt-connectivity').find((s) => [s.Action].flat().includes('ec2:ReplaceNetworkAclAssociation'))!;
    expect([associate.Resource].flat()).toEqual([
      `arn:aws:ec2:us-east-1:${ACCOUNT}:subnet/subnet-0a1b2c3d4e5f60718`,
      `arn:aws:ec2:us-east-1:${ACCOUNT}:subnet/subnet-0f1e2d3c4b5a69788`,
      `arn:aws:ec2:us-east-1:${ACCOUNT}:network-acl/*`,
    ]);
  });

  it('no game-day stack and no template for a config without gameDay', () => {
    const plain = synthApp();
    expect(Object.keys(plain.stacks).some((n) => n.includes('game-day'))).toBe(false);
    expect(Object.values(plain.stacks).flatMap((s) => s.resources('AWS::FIS::ExperimentTemplate'))).toEqual([]);
  });
});

describe('drillPairPlans', () => {
  const valid = () => loadConfigFile(FIXTURE).config;

  it('refuses more stop conditions than FIS allows, naming the drill pair', () => {
    const config = valid();
    // A second production database drilling the same pair, with alarms of its own.
    const alarms = ['a', 'b', 'c'].map((n) => `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:${n}`);
    const second = { ...config.databases[0]!, name: 'orders-two', gameDay: { ...config.databases[0]!.gameDay!, stopAlarmArns: alarms } };
    const grown = { ...config, databases: [...config.databases, second] };
    expect(drillPairPlans(config, 'us-east-1', ACCOUNT, 'aws')[0]!.stopAlarmArns).toHaveLength(3);
    expect(() => drillPairPlans(grown, 'us-east-1', ACCOUNT, 'aws')).toThrow(
      new RegExp(`drill pair orders-drill: 7 stop alarms .* more than the ${MAX_STOP_CONDITIONS} stop conditions`),
    );
  });

  it('does not add the production heartbeat alarm of another Region', () => {
    const config = valid();
    const moved = {
      ...config,
      databases: [{ ...config.databases[0]!, primary: { ...config.databases[0]!.primary, region: 'eu-west-1' } }, config.databases[1]!],
    };
    expect(drillPairPlans(moved, 'us-east-1', ACCOUNT, 'aws')[0]!.stopAlarmArns).toEqual([
      `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:orders-checkout-errors`,
      `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:failover-automation.heartbeat-errors-us-east-1`,
    ]);
  });
});

describe('start-fault-experiment permissions', () => {
  const principal = () => {
    const perms = startFaultExperimentPermissions(loadConfigFile(FIXTURE).config, new Arns('aws', ACCOUNT));
    const statements = [...perms.statements, ...perms.wildcards.map((w) => w.statement)].map((s) => s.toJSON());
    return { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/fn/start`, policies: [{ Version: '2012-10-17', Statement: statements }] };
  };
  const start = (prefix: string, region = 'us-east-1') => ({
    action: 'fis:StartExperiment',
    resources: [`arn:aws:fis:${region}:${ACCOUNT}:experiment-template/EXT1`, `arn:aws:fis:${region}:${ACCOUNT}:experiment/*`],
    context: { 'aws:ResourceTag/failover:prefix': prefix },
  });

  it("may start the product's templates of the drill pair Region only", () => {
    expect(evaluate(principal(), start('failover'))).toEqual({ allowed: true });
    expect(evaluate(principal(), start('staging'))).toMatchObject({ allowed: false });
    expect(evaluate(principal(), start('failover', 'us-west-2'))).toMatchObject({ allowed: false });
    expect(evaluate(principal(), { action: 'fis:ListExperimentTemplates', resources: ['*'] })).toEqual({ allowed: true });
    expect(evaluate(principal(), { action: 'fis:StopExperiment', resources: [`arn:aws:fis:us-east-1:${ACCOUNT}:experiment/EXP1`] })).toMatchObject({
      allowed: false,
    });
  });

  it('grants nothing without game days', () => {
    const perms = startFaultExperimentPermissions(loadConfigFile('examples/config.json').config);
    expect([...perms.statements, ...perms.wildcards]).toEqual([]);
  });
});
