/**
 * buildApp on a config with every engine and readiness (Aurora global, cold, warm), IAM
 * database authentication, a secret named without its suffix, VPCs, a prefix and an account;
 * and what happens with a bad config or a misplaced construct.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../lib/config/index.js';
import { buildApp } from '../../lib/app.js';
import { FailoverControl } from '../../lib/constructs/failover-control.js';
import { FAILOVER_STATES } from '../../lib/workflow/failover.js';
import { synthApp, testContext, type IamStatement } from '../helpers/synth.js';
import { exampleConfig, ORDERS_SECRET_KEY, WIDE_ACCOUNT, wideConfig } from './configs.js';

const app = synthApp({ config: wideConfig() });
const A = WIDE_ACCOUNT;
const fn = (name: string, region = 'us-west-2') => app.findFunction(`acme-${name}`, region);
const has = (statements: IamStatement[], action: string, resources: string[]) =>
  statements.some((s) => s.Action.includes(action) && resources.every((r) => s.Resource.includes(r)));
const resourcesFor = (statements: IamStatement[], action: string) =>
  statements
    .filter((s) => s.Action.includes(action))
    .flatMap((s) => s.Resource)
    .sort();

describe('buildApp with a wide config', () => {
  it('names every stack from the prefix and deploys them to the configured account', () => {
    expect(Object.keys(app.stacks).sort()).toEqual(
      ['acme-control', 'acme-signal-us-east-1', 'acme-signal-eu-west-1', 'acme-probe-us-east-1', 'acme-probe-us-west-2', 'acme-probe-eu-west-1'].sort(),
    );
    for (const stack of Object.values(app.stacks)) expect(stack.account).toBe(A);
    const built = buildApp(new App({ context: testContext() }), validateConfig(wideConfig()).config);
    for (const stack of built.all) expect(stack.account).toBe(A);
    const agnostic = buildApp(new App({ context: testContext() }), validateConfig(exampleConfig()).config);
    expect(agnostic.control.resolve(agnostic.control.account)).toEqual({ Ref: 'AWS::AccountId' });
  });

  it('Aurora: fails over the global cluster (cluster and global-cluster ARNs; the global cluster has no Region)', () => {
    const promote = fn('promote-standby').statements;
    expect(resourcesFor(promote, 'rds:FailoverGlobalCluster')).toEqual(
      [`arn:aws:rds:us-west-2:${A}:cluster:ledger-us`, `arn:aws:rds:eu-west-1:${A}:cluster:ledger-eu`, `arn:aws:rds::${A}:global-cluster:ledger-global`].sort(),
    );
    expect(resourcesFor(promote, 'rds:DescribeGlobalClusters')).toEqual([`arn:aws:rds::${A}:global-cluster:ledger-global`]);
    // Current roles: either cluster may be the standby (or the primary) of a run.
    const clusters = [`arn:aws:rds:us-west-2:${A}:cluster:ledger-us`, `arn:aws:rds:eu-west-1:${A}:cluster:ledger-eu`].sort();
    expect(resourcesFor(fn('check-standby').statements, 'rds:DescribeDBClusters')).toEqual(clusters);
    expect(resourcesFor(fn('probe-vantage').statements, 'rds:DescribeDBClusters')).toEqual(clusters);
    // The writer instance of the cluster is only known at fence time.
    expect(has(fn('fence-primary').statements, 'rds:RebootDBInstance', [`arn:aws:rds:eu-west-1:${A}:db:*`])).toBe(true);
  });

  it('warm: may scale the promoted replica up (ModifyDBInstance on that replica only)', () => {
    expect(resourcesFor(fn('promote-standby').statements, 'rds:ModifyDBInstance')).toEqual([`arn:aws:rds:us-west-2:${A}:db:cart-replica`]);
    // Current roles: once the roles are swapped, the original primaries (rebuilt as hot replicas) are the ones promoted.
    expect(resourcesFor(fn('promote-standby').statements, 'rds:PromoteReadReplica')).toEqual(
      [
        `arn:aws:rds:us-west-2:${A}:db:orders-replica`,
        `arn:aws:rds:us-west-2:${A}:db:cart-replica`,
        // A cold site's restored instance, once a failback has rebuilt it as a replica.
        `arn:aws:rds:us-west-2:${A}:db:archive-restored`,
        `arn:aws:rds:us-east-1:${A}:db:orders-primary`,
        `arn:aws:rds:us-east-1:${A}:db:archive-primary`,
        `arn:aws:rds:us-east-1:${A}:db:cart-primary`,
      ].sort(),
    );
  });

  it('cold: updates and describes the cold-standby stack by name; reads replicated backups for the data-loss budget', () => {
    const stackArn = `arn:aws:cloudformation:us-west-2:${A}:stack/archive-cold/*`;
    expect(resourcesFor(fn('promote-standby').statements, 'cloudformation:UpdateStack')).toEqual([stackArn]);
    expect(resourcesFor(fn('check-standby').statements, 'cloudformation:DescribeStacks')).toEqual([stackArn]);
    expect(resourcesFor(fn('check-standby').statements, 'cloudformation:UpdateStack')).toEqual([]);
    expect(resourcesFor(fn('check-data-loss-budget').statements, 'rds:DescribeDBInstanceAutomatedBackups')).toEqual([
      `arn:aws:rds:us-west-2:${A}:auto-backup:*`,
    ]);
  });

  it("cold: passes exactly the stack's service role, and only to CloudFormation, only from the function that updates the stack", () => {
    const role = `arn:aws:iam::${A}:role/archive-cold-cloudformation`;
    const passes = (name: string) => fn(name).statements.filter((s) => s.Action.includes('iam:PassRole'));
    expect(passes('promote-standby')).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: [role],
        Condition: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
      }),
    ]);
    for (const other of ['check-standby', 'fence-primary', 'rebuild-replica', 'heartbeat']) expect(passes(other), other).toEqual([]);
  });

  it('IAM database authentication: rds-db:connect for the configured user, in the Regions the writer can be in', () => {
    const users = [`arn:aws:rds-db:eu-west-1:${A}:dbuser:*/failover_probe`, `arn:aws:rds-db:us-west-2:${A}:dbuser:*/failover_probe`];
    for (const f of [fn('verify-writes'), fn('heartbeat'), fn('heartbeat-in-region', 'eu-west-1'), fn('probe', 'eu-west-1')]) {
      expect(resourcesFor(f.statements, 'rds-db:connect'), f.functionName).toEqual(users);
    }
    // us-east-1's heartbeat serves orders, archive and cart only.
    expect(resourcesFor(fn('heartbeat-in-region', 'us-east-1').statements, 'rds-db:connect')).toEqual([]);
  });

  it('secrets: a full ARN as is, a name without its suffix with exactly six wildcard characters', () => {
    expect(resourcesFor(fn('verify-writes').statements, 'secretsmanager:GetSecretValue')).toEqual(
      [`arn:aws:secretsmanager:us-east-1:${A}:secret:orders/probe-AbCdEf`, `arn:aws:secretsmanager:us-east-1:${A}:secret:archive/probe-??????`].sort(),
    );
    // eu-west-1 probes orders, ledger and cart: no archive secret there.
    expect(resourcesFor(fn('probe', 'eu-west-1').statements, 'secretsmanager:GetSecretValue')).toEqual([
      `arn:aws:secretsmanager:us-east-1:${A}:secret:orders/probe-AbCdEf`,
    ]);
  });

  it("secrets under a customer managed key: every reader of the secret may kms:Decrypt with exactly that key, only through Secrets Manager in the key's Region; no one else", () => {
    const ordersSecret = `arn:aws:secretsmanager:us-east-1:${A}:secret:orders/probe-AbCdEf`;
    const readers = app.functions.filter((f) => resourcesFor(f.statements, 'secretsmanager:GetSecretValue').includes(ordersSecret));
    expect(readers.map((f) => `${f.functionName}@${f.region}`).sort()).toEqual(
      [
        'acme-heartbeat-in-region@us-east-1',
        'acme-heartbeat@us-west-2',
        'acme-probe@eu-west-1',
        'acme-probe@us-east-1',
        'acme-probe@us-west-2',
        'acme-verify-writes@us-west-2',
      ].sort(),
    );
    for (const f of app.functions) {
      const decrypts = f.statements.filter((s) => s.Action.includes('kms:Decrypt') && s.Resource.includes(ORDERS_SECRET_KEY));
      if (readers.includes(f)) {
        expect(decrypts, f.functionName).toEqual([
          expect.objectContaining({
            Effect: 'Allow',
            Action: ['kms:Decrypt'],
            Resource: [ORDERS_SECRET_KEY],
            Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } },
          }),
        ]);
      } else {
        expect(decrypts, `${f.functionName}@${f.region}`).toEqual([]);
      }
    }
  });

  it('attaches the database clients to the network of their Region, with the network-interface permissions', () => {
    const attached = app.functions
      .filter((f) => f.vpc)
      .map((f) => `${f.functionName}@${f.region}`)
      .sort();
    expect(attached).toEqual(
      ['acme-heartbeat-in-region@eu-west-1', 'acme-heartbeat@us-west-2', 'acme-probe@eu-west-1', 'acme-probe@us-west-2', 'acme-verify-writes@us-west-2'].sort(),
    );
    expect(fn('verify-writes').vpc).toEqual({
      SubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0a1b2c3d4e5f60719'],
      SecurityGroupIds: ['sg-0aaaaaaaaaaaaaaa1'],
    });
    for (const f of app.functions.filter((x) => x.vpc)) expect(has(f.statements, 'ec2:CreateNetworkInterface', ['*']), f.functionName).toBe(true);
    for (const f of app.functions.filter((x) => !x.vpc)) expect(has(f.statements, 'ec2:CreateNetworkInterface', ['*']), f.functionName).toBe(false);
    // Lambda checks those permissions at creation: the function waits for its role's policy.
    const control = app.control;
    const [id, verify] = control.resources('AWS::Lambda::Function').find(([, f]) => f.Properties!.FunctionName === 'acme-verify-writes')!;
    expect(id).toBeDefined();
    expect(verify.DependsOn as string[]).toEqual(expect.arrayContaining([expect.stringMatching(/VerifyWritesRoleDefaultPolicy/)]));
  });

  it("Aurora triggers: cluster events of the primary cluster; the forwarded RDS events name each Region's primaries", () => {
    const ledgerRule = app.control.resources('AWS::Events::Rule').find(([id, r]) => id.includes('ledger') && r.Properties!.EventBusName === 'acme-events')![1];
    const pattern = ledgerRule.Properties!.EventPattern as { $or: Array<Record<string, unknown>> };
    expect(pattern.$or[1]).toEqual({
      source: ['aws.rds'],
      'detail-type': ['RDS DB Cluster Event'],
      detail: { SourceIdentifier: ['ledger-eu'], EventID: ['RDS-EVENT-0069'] },
    });
    const eu = app.stacks['acme-signal-eu-west-1']!;
    const euPatterns = eu
      .resources('AWS::Events::Rule')
      .map(([, r]) => r.Properties!.EventPattern)
      .filter(Boolean);
    expect(euPatterns).toContainEqual({ source: ['aws.rds'], 'detail-type': ['RDS DB Cluster Event'], detail: { SourceIdentifier: ['ledger-eu'] } });
    const us = app.stacks['acme-signal-us-east-1']!;
    const usPatterns = us
      .resources('AWS::Events::Rule')
      .map(([, r]) => r.Properties!.EventPattern)
      .filter(Boolean);
    expect(usPatterns).toContainEqual({
      source: ['aws.rds'],
      'detail-type': ['RDS DB Instance Event'],
      detail: { SourceIdentifier: ['orders-primary', 'archive-primary', 'cart-primary'] },
    });
    expect(usPatterns).toContainEqual(expect.objectContaining({ detail: { alarmName: [{ prefix: 'acme-' }], state: expect.anything() } }));
  });

  it('gives each database its own triggers, heartbeats and alarms, with its own heartbeat settings', () => {
    const control = app.control;
    // 4 triggers and the rule telling the operators about the primary Regions' automation alarms.
    expect(control.resources('AWS::Events::Rule').filter(([, r]) => r.Properties!.EventBusName === 'acme-events')).toHaveLength(5);
    // (the automation alarms, `<prefix>-automation.*`, are checked in automation-safety.test.ts)
    const alarms = control
      .resources('AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties!)
      .filter((a) => !String(a.AlarmName).startsWith('acme-automation.'));
    expect(alarms.map((a) => a.AlarmName).sort()).toEqual([
      'acme-archive-heartbeat-cross-region',
      'acme-cart-heartbeat-cross-region',
      'acme-ledger-heartbeat-cross-region',
      'acme-orders-heartbeat-cross-region',
    ]);
    expect(alarms.find((a) => a.AlarmName === 'acme-ledger-heartbeat-cross-region')).toMatchObject({ Period: 120, EvaluationPeriods: 2, DatapointsToAlarm: 2 });
    const schedules = control.resources('AWS::Events::Rule').filter(([, r]) => r.Properties!.ScheduleExpression);
    const ledgerBeat = schedules.find(([id]) => id.includes('ledger'))![1];
    expect(ledgerBeat.Properties!.ScheduleExpression).toBe('rate(2 minutes)');
    const input = JSON.parse(String((ledgerBeat.Properties!.Targets as Array<{ Input: string }>)[0]!.Input)) as Record<string, unknown>;
    expect(input).toEqual({
      site: 'cross-region',
      database: 'ledger',
      engine: 'aurora-postgresql',
      host: 'writer.ledger.internal',
      port: 5432,
      iamUser: 'failover_probe',
      databaseName: 'ledger',
    });
    const cartBeat = schedules.find(([id]) => id.includes('cart'))![1];
    expect(JSON.parse(String((cartBeat.Properties!.Targets as Array<{ Input: string }>)[0]!.Input))).toMatchObject({ port: 6432 });
    expect(
      app.stacks['acme-signal-eu-west-1']!.resources('AWS::CloudWatch::Alarm')
        .map(([, a]) => a.Properties!.AlarmName)
        .filter((n) => !String(n).startsWith('acme-automation.')),
    ).toEqual(['acme-ledger-heartbeat-in-region']);
  });

  it('shows Aurora RPO lag in milliseconds against the budget, and no lag graph for a cold standby', () => {
    const [, dashboard] = app.control.resources('AWS::CloudWatch::Dashboard')[0]!;
    const widgets = (JSON.parse(String(dashboard.Properties!.DashboardBody)) as { widgets: Array<{ type: string; properties: Record<string, unknown> }> })
      .widgets;
    const ledger = widgets.find((w) => w.properties.title === 'ledger: standby lag vs RPO budget')!;
    expect(JSON.stringify(ledger.properties.metrics)).toContain('"AWS/RDS","AuroraGlobalDBRPOLag","DBClusterIdentifier","ledger-us"');
    expect(ledger.properties.annotations).toMatchObject({ horizontal: [{ value: 5000 }] });
    expect(widgets.some((w) => w.properties.title === 'archive: standby lag vs RPO budget')).toBe(false);
    expect(widgets.some((w) => w.type === 'text' && String(w.properties.markdown).includes('Cold standby'))).toBe(true);
  });

  it('serves every database with one set of functions and state machines', () => {
    expect(app.control.resources('AWS::Lambda::Function')).toHaveLength(25); // every function but the probe (probe stacks), start-fault-experiment (game days) included
    expect(app.control.resources('AWS::StepFunctions::StateMachine')).toHaveLength(2);
    expect(app.failover.States[FAILOVER_STATES.checkTrigger]).toBeDefined();
  });
});

describe('config problems and placement', () => {
  it('throws one ConfigError listing every problem before creating anything', () => {
    const bad = exampleConfig() as Record<string, unknown> & { databases: Array<Record<string, unknown>> };
    bad.controlRegion = 'nowhere';
    (bad.databases[0]!.detection as Record<string, unknown>).quorum = 0;
    let error: unknown;
    try {
      synthApp({ config: bad });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.map((p) => p.path);
    expect(problems).toEqual(expect.arrayContaining(['controlRegion', 'databases[0].detection.quorum']));
  });

  it('reports risky settings as synth-time warnings on the control construct', () => {
    const stacks = buildApp(new App({ context: testContext() }), validateConfig(wideConfig()).config);
    const warnings = Annotations.fromStack(stacks.control).findWarning(
      '*',
      Match.stringLikeRegexp('databases\\[2\\]\\.detection\\.vantagePoints: should include a witness'),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.id).toBe('/acme-control/Failover');
    const clean = buildApp(new App({ context: testContext() }), validateConfig(exampleConfig()).config);
    expect(Annotations.fromStack(clean.control).findWarning('*', Match.stringLikeRegexp('should'))).toHaveLength(0);
  });

  it('refuses a FailoverControl outside the control Region', () => {
    const stack = new Stack(new App({ context: testContext() }), 'Elsewhere', { env: { region: 'eu-west-1' } });
    expect(() => new FailoverControl(stack, 'Failover', { config: exampleConfig() })).toThrow(
      /must be in the control Region us-west-2, but its stack is in eu-west-1/,
    );
  });

  it('accepts the raw file content as props (one statement in any stack of the control Region)', () => {
    const stack = new Stack(new App({ context: testContext() }), 'Mine', { env: { region: 'us-west-2' } });
    const control = new FailoverControl(stack, 'Failover', { config: exampleConfig() });
    expect(control.config.databases[0]!.detection.includeControlPlane).toBe(true);
    expect(Object.keys(control.triggers)).toEqual(['orders']);
    expect(control.failover.stateMachineName).toBeDefined();
  });
});
