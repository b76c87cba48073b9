/**
 * The twin's Fault Injection Service: the synthesized game-day templates pass its validation (as
 * FIS would accept them), each thing FIS refuses is refused, and experiments act on the world.
 */
import { describe, expect, it } from 'vitest';
import { createSqlConnector } from '../../../twin/sql.js';
import { twinContext } from '../../../twin/context.js';
import { resourcesOf, type ResolvedApp } from '../../../twin/drill/synth.js';
import { FisTemplateError } from '../../../twin/services/fis.js';
import { Arns } from '../../../lib/arns.js';
import { startFaultExperimentPermissions } from '../../../lib/constructs/permissions.js';
import { loadConfigFile } from '../../../lib/config/index.js';
import { handler as startFaultExperiment } from '../../../lambdas/start-fault-experiment/handler.js';
import type { Principal } from '../../../twin/iam.js';
import type { World } from '../../../twin/world.js';
import { ACCOUNT, configWith, databaseConfig, drillTarget } from '../../fixtures/databases.js';
import { useDeployedTwin, type DeployedTwin } from '../../helpers/deployed-twin.js';

const GAME_DAY = 'test/fixtures/configs/game-day.json';
const REGION = 'us-east-1';

/** An Aurora PostgreSQL pair `payments` with a failover-db-cluster game day on its Aurora drill pair `payments-drill`. */
const auroraGameDay = () =>
  configWith(
    databaseConfig({
      name: 'payments',
      engine: 'aurora-postgresql',
      gameDay: {
        drillPair: 'payments-drill',
        faults: ['failover-db-cluster'],
        stopAlarmArns: [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:payments-errors`],
      },
    }),
    drillTarget('payments-drill', { engine: 'aurora-postgresql' }),
  );

/** The synthesized template properties of one fault (the game-day stack of us-east-1). */
function templateProps(app: ResolvedApp, fault: string): { logicalId: string; props: Record<string, unknown> } {
  const stack = app.stacks[`failover-game-day-${REGION}`]!;
  const found = resourcesOf(stack, 'AWS::FIS::ExperimentTemplate').find(([, t]) => (t.Properties?.Tags as Record<string, string>)['failover:fault'] === fault);
  if (!found) throw new Error(`no ${fault} template`);
  return { logicalId: found[0], props: structuredClone(found[1].Properties ?? {}) as Record<string, unknown> };
}

const fis = (world: World, op: string, input: unknown) => world.call('fis', op, input, { region: REGION });

/** Connects to a deployed database's primary endpoint from an application in its Region: resolves, or rejects with the network's error. */
async function connect(d: DeployedTwin, database: string): Promise<void> {
  const db = d.deployment.databases[database]!;
  await twinContext.run({ vantage: 'app-test', region: db.primary.region }, async () => {
    const session = await createSqlConnector(d.world).connect({
      engine: db.config.engine,
      host: db.primary.endpoint,
      port: db.primary.port,
      user: db.login.user,
      password: db.login.password,
      database: db.login.database,
      timeoutMs: 3000,
      ssl: false,
    });
    await session.close();
  });
}

describe('twin FIS: the game-day templates of a PostgreSQL drill pair', () => {
  const d = useDeployedTwin({ config: GAME_DAY, seed: 21 });

  it('deploys one template per fault, validated, found by their tags', async () => {
    const out = (await fis(d.world, 'ListExperimentTemplates', {})) as { experimentTemplates: { id: string; tags: Record<string, string> }[] };
    expect(out.experimentTemplates.map((t) => t.tags).sort((a, b) => a['failover:fault']!.localeCompare(b['failover:fault']!))).toEqual([
      expect.objectContaining({ 'failover:database': 'orders-drill', 'failover:fault': 'disrupt-connectivity', 'failover:prefix': 'failover' }),
      expect.objectContaining({ 'failover:database': 'orders-drill', 'failover:fault': 'reboot-with-failover', 'failover:prefix': 'failover' }),
    ]);
  });

  describe('refuses what FIS refuses', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const refused = (fault: string, change: (p: Record<string, any>) => void, message: RegExp) => {
      const { logicalId, props } = templateProps(d.app, fault);
      // The deployed role, as the deployment named it.
      const stack = d.app.stacks[`failover-game-day-${REGION}`]!;
      props.RoleArn = `arn:aws:iam::123456789012:role/${d.deployment.roleNames.get(`${stack.name}|${props.RoleArn as string}`)}`;
      expect(() => d.world.fis.validateExperimentTemplate(REGION, logicalId, props)).not.toThrow();
      change(props);
      expect(() => d.world.fis.validateExperimentTemplate(REGION, logicalId, props)).toThrow(FisTemplateError);
      expect(() => d.world.fis.validateExperimentTemplate(REGION, logicalId, props)).toThrow(message);
    };

    it('creating the template (the deployment) refuses it, and creates nothing', () => {
      const { logicalId, props } = templateProps(d.app, 'reboot-with-failover');
      const before = d.world.fis.templateIds(REGION).length;
      (props.Actions as Record<string, { ActionId: string }>).rebootwithfailover!.ActionId = 'aws:rds:stop-db-instances';
      expect(() => d.world.fis.createExperimentTemplate(REGION, logicalId, props)).toThrow(
        /twin deploy refused: FIS experiment template .* unknown action id "aws:rds:stop-db-instances"/,
      );
      expect(d.world.fis.templateIds(REGION)).toHaveLength(before);
    });

    it('an unknown action id', () =>
      refused(
        'reboot-with-failover',
        (p) => (p.Actions.rebootwithfailover.ActionId = 'aws:rds:reboot-db-instance'),
        /unknown action id "aws:rds:reboot-db-instance"/,
      ));
    it('a target of another resource type', () =>
      refused(
        'reboot-with-failover',
        (p) => (p.Targets.DBInstances.ResourceType = 'aws:rds:cluster'),
        /acts on aws:rds:db; target DBInstances is aws:rds:cluster/,
      ));
    it('an action without its required parameter', () =>
      refused('disrupt-connectivity', (p) => delete p.Actions.disruptconnectivity.Parameters.duration, /needs the parameter duration/));
    it('a target resource that does not exist', () =>
      refused(
        'reboot-with-failover',
        (p) => (p.Targets.DBInstances.ResourceArns = [`arn:aws:rds:${REGION}:123456789012:db:orders-drill-gone`]),
        /target resource arn:aws:rds:us-east-1:123456789012:db:orders-drill-gone does not exist/,
      ));
    it('a subnet that does not exist', () =>
      refused(
        'disrupt-connectivity',
        (p) => (p.Targets.Subnets.ResourceArns = [`arn:aws:ec2:${REGION}:123456789012:subnet/subnet-0000000000000dead`]),
        /subnet-0000000000000dead does not exist/,
      ));
    it('a stop-condition alarm that does not exist', () =>
      refused(
        'reboot-with-failover',
        (p) => (p.StopConditions[0].Value = `arn:aws:cloudwatch:${REGION}:123456789012:alarm:no-such-alarm`),
        /stop condition alarm .*no-such-alarm does not exist in us-east-1/,
      ));
    it("a role that may not make the action's calls on the target", () => {
      d.world.iam.putRole('fis-no-rds', [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'rds:DescribeDBInstances', Resource: '*' }] }]);
      refused(
        'reboot-with-failover',
        (p) => (p.RoleArn = 'arn:aws:iam::123456789012:role/fis-no-rds'),
        /may not rds:RebootDBInstance on arn:aws:rds:us-east-1:123456789012:db:orders-drill-primary/,
      );
    });
    it('a network role allowed another subnet only', () => {
      const acct = `arn:aws:ec2:${REGION}:123456789012`;
      d.world.iam.putRole('fis-other-subnet', [
        {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 'ec2:*', Resource: [`${acct}:subnet/subnet-0ffffffffffffffff`, `${acct}:network-acl/*`, `${acct}:vpc/*`] },
            { Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' },
          ],
        },
      ]);
      refused(
        'disrupt-connectivity',
        (p) => (p.RoleArn = 'arn:aws:iam::123456789012:role/fis-other-subnet'),
        /may not ec2:ReplaceNetworkAclAssociation on arn:aws:ec2:us-east-1:123456789012:subnet\/subnet-0a1b2c3d4e5f60718/,
      );
    });
  });

  describe('experiments act on the world', () => {
    const templateId = async (fault: string) => {
      const out = (await fis(d.world, 'ListExperimentTemplates', {})) as { experimentTemplates: { id: string; tags: Record<string, string> }[] };
      return out.experimentTemplates.find((t) => t.tags['failover:fault'] === fault)!.id;
    };
    const state = async (id: string) =>
      ((await fis(d.world, 'GetExperiment', { id })) as { experiment: { state: { status: string; reason?: string } } }).experiment.state;

    it('reboot-with-failover reboots the drill pair primary (only it), idempotent on the client token', async () => {
      const id = await templateId('reboot-with-failover');
      const first = (await fis(d.world, 'StartExperiment', { experimentTemplateId: id, clientToken: 'drill-1' })) as { experiment: { id: string } };
      const again = (await fis(d.world, 'StartExperiment', { experimentTemplateId: id, clientToken: 'drill-1' })) as { experiment: { id: string } };
      expect(again.experiment.id).toBe(first.experiment.id);
      expect(await state(first.experiment.id)).toEqual({ status: 'initiating' });
      await d.world.clock.advanceBy(6_000);
      expect(d.world.rds.getInstance('orders-drill-primary', REGION)?.status).toBe('rebooting');
      expect(d.world.rds.getInstance('orders-primary', REGION)?.status).toBe('available');
      expect((await state(first.experiment.id)).status).toBe('running');
      await d.world.clock.advanceBy(120_000);
      expect(d.world.rds.getInstance('orders-drill-primary', REGION)?.status).toBe('available');
      expect((await state(first.experiment.id)).status).toBe('completed');
      expect(d.world.apiCalls['rds:RebootDBInstance']).toBe(1);
    });

    it('disrupt-connectivity cuts the drill pair primary for the duration, and a stop-condition ALARM ends it at once', async () => {
      const id = await templateId('disrupt-connectivity');
      const run = (await fis(d.world, 'StartExperiment', { experimentTemplateId: id, clientToken: 'drill-2' })) as { experiment: { id: string } };
      await d.world.clock.advanceBy(6_000);
      expect(d.world.network.isDisrupted('orders-drill-primary')).toBe(true);
      expect(d.world.network.isDisrupted('orders-primary')).toBe(false);
      await expect(connect(d, 'orders-drill')).rejects.toMatchObject({
        code: 'ETIMEDOUT',
        message: expect.stringMatching(/network of orders-drill-primary's subnets is disrupted/),
      });
      await expect(connect(d, 'orders')).resolves.toBeUndefined();
      await d.world.clock.advanceBy(60_000);
      expect((await state(run.experiment.id)).status).toBe('running');
      await d.world.call(
        'cloudwatch',
        'SetAlarmState',
        { AlarmName: 'orders-checkout-errors', StateValue: 'ALARM', StateReason: 'checkout errors' },
        { region: REGION },
      );
      expect(await state(run.experiment.id)).toEqual({
        status: 'stopped',
        reason: `Stop condition triggered: arn:aws:cloudwatch:${REGION}:123456789012:alarm:orders-checkout-errors`,
      });
      expect(d.world.network.isDisrupted('orders-drill-primary')).toBe(false);
      await expect(connect(d, 'orders-drill')).resolves.toBeUndefined();
    });

    it("ListExperiments: the Region's experiments with their state and the tags they were started with, paginated; a bad page size is refused", async () => {
      await d.world.call('cloudwatch', 'SetAlarmState', { AlarmName: 'orders-checkout-errors', StateValue: 'OK', StateReason: 'fine' }, { region: REGION });
      const id = await templateId('disrupt-connectivity');
      const a = (await fis(d.world, 'StartExperiment', { experimentTemplateId: id, clientToken: 'list-1', tags: { who: 'a' } })) as {
        experiment: { id: string };
      };
      const b = (await fis(d.world, 'StartExperiment', { experimentTemplateId: id, clientToken: 'list-2' })) as { experiment: { id: string } };
      await fis(d.world, 'StopExperiment', { id: a.experiment.id });
      type Page = {
        experiments: Array<{ id: string; experimentTemplateId: string; state: { status: string }; tags: Record<string, string> }>;
        nextToken?: string;
      };
      const all: Page['experiments'] = [];
      let nextToken: string | undefined;
      do {
        const page = (await fis(d.world, 'ListExperiments', { maxResults: 1, ...(nextToken ? { nextToken } : {}) })) as Page;
        expect(page.experiments.length).toBeLessThanOrEqual(1);
        all.push(...page.experiments);
        nextToken = page.nextToken;
      } while (nextToken);
      const mine = all.filter((e) => e.id === a.experiment.id || e.id === b.experiment.id);
      expect(mine).toHaveLength(2);
      expect(mine).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: a.experiment.id, experimentTemplateId: id, state: expect.objectContaining({ status: 'stopped' }), tags: { who: 'a' } }),
          expect.objectContaining({ id: b.experiment.id, experimentTemplateId: id, state: { status: 'initiating' }, tags: {} }),
        ]),
      );
      await fis(d.world, 'StopExperiment', { id: b.experiment.id });
      await expect(fis(d.world, 'ListExperiments', { maxResults: 0 })).rejects.toMatchObject({ name: 'ValidationException' });
      await expect(fis(d.world, 'ListExperiments', { maxResults: 101 })).rejects.toMatchObject({ name: 'ValidationException' });
    });

    it('StopExperiment and an unknown template', async () => {
      await d.world.call('cloudwatch', 'SetAlarmState', { AlarmName: 'orders-checkout-errors', StateValue: 'OK', StateReason: 'fine' }, { region: REGION });
      const id = await templateId('disrupt-connectivity');
      const run = (await fis(d.world, 'StartExperiment', { experimentTemplateId: id, clientToken: 'drill-3' })) as { experiment: { id: string } };
      await d.world.clock.advanceBy(6_000);
      expect(d.world.network.isDisrupted('orders-drill-primary')).toBe(true);
      await fis(d.world, 'StopExperiment', { id: run.experiment.id });
      expect((await state(run.experiment.id)).status).toBe('stopped');
      expect(d.world.network.isDisrupted('orders-drill-primary')).toBe(false);
      await expect(fis(d.world, 'StartExperiment', { experimentTemplateId: 'EXTnope', clientToken: 'x' })).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    });
  });
  describe('start-fault-experiment on the twin, as a role with its grants', () => {
    const asRole = (name: string, statements: unknown[]): Principal => {
      d.world.iam.putRole(name, [{ Version: '2012-10-17', Statement: statements as never }]);
      return d.world.iam.assumeRole(name, 'start-fault-experiment');
    };
    /** The real handler (its FisClient answered by the twin's SDK) run as the given role. */
    const asFunction = (principal: Principal) => (input: unknown) =>
      twinContext.run({ region: 'us-west-2', principal, functionName: 'failover-start-fault-experiment' }, () => startFaultExperiment(input));
    const event = { database: 'orders-drill', region: REGION, fault: 'disrupt-connectivity', incidentId: 'orders-drill#9', prefix: 'failover' };

    it('finds the template by its tags and starts it once per incident; another prefix finds none', async () => {
      const perms = startFaultExperimentPermissions(loadConfigFile(GAME_DAY).config, new Arns('aws', '123456789012'));
      const principal = asRole(
        'start-fault-experiment',
        [...perms.statements, ...perms.wildcards.map((w) => w.statement)].map((st) => st.toJSON()),
      );
      const handler = asFunction(principal);
      const first = await handler(event);
      expect(first).toMatchObject({ state: 'initiating', experimentId: expect.stringMatching(/^EXP/) });
      await expect(handler(event)).resolves.toEqual(first);
      await expect(handler({ ...event, prefix: 'staging' })).rejects.toMatchObject({ name: 'NoExperimentTemplate' });
      await d.world.clock.advanceBy(6_000);
      expect(d.world.network.isDisrupted('orders-drill-primary')).toBe(true);
      // A real run of the pair stops it with its grants (the experiment carries the prefix tag).
      const id = 'experimentId' in first ? first.experimentId : '';
      await expect(handler({ action: 'stop', database: 'orders-drill', region: REGION, incidentId: 'orders-drill#real', prefix: 'failover' })).resolves.toEqual(
        {
          region: REGION,
          stopped: [{ experimentId: id, templateId: expect.stringMatching(/^EXT/), state: 'stopped' }],
          left: [],
        },
      );
      expect(d.world.network.isDisrupted('orders-drill-primary')).toBe(false);
      // Nothing left running: a second stop stops nothing.
      await expect(handler({ action: 'stop', database: 'orders-drill', region: REGION, incidentId: 'orders-drill#real', prefix: 'failover' })).resolves.toEqual(
        {
          region: REGION,
          stopped: [],
          left: [],
        },
      );
    });

    it("stops only the product's own experiments (its grants allow no other); one started by hand is named, left running", async () => {
      const perms = startFaultExperimentPermissions(loadConfigFile(GAME_DAY).config, new Arns('aws', '123456789012'));
      const principal = asRole(
        'start-fault-experiment-stop',
        [...perms.statements, ...perms.wildcards.map((w) => w.statement)].map((st) => st.toJSON()),
      );
      const handler = asFunction(principal);
      const templates = (await fis(d.world, 'ListExperimentTemplates', {})) as { experimentTemplates: { id: string; tags: Record<string, string> }[] };
      const id = templates.experimentTemplates.find((t) => t.tags['failover:fault'] === 'disrupt-connectivity')!.id;
      // Started by hand, untagged (as `aws fis start-experiment` without --tags would).
      const byHand = (await fis(d.world, 'StartExperiment', { experimentTemplateId: id, clientToken: 'by-hand-1' })) as { experiment: { id: string } };
      const out = await handler({ action: 'stop', database: 'orders-drill', region: REGION, incidentId: 'orders-drill#real', prefix: 'failover' });
      expect(out).toMatchObject({ stopped: [], left: [{ experimentId: byHand.experiment.id, templateId: id }] });
      // The grants really refuse it: the product could not have stopped it.
      await expect(d.world.call('fis', 'StopExperiment', { id: byHand.experiment.id }, { region: REGION, principal })).rejects.toMatchObject({
        name: 'AccessDeniedException',
      });
      expect(d.world.fis.experimentState(byHand.experiment.id)).toBe('initiating');
      await fis(d.world, 'StopExperiment', { id: byHand.experiment.id });
    });

    it('a role without fis:StartExperiment on the template is refused by the twin', async () => {
      const principal = asRole('start-fault-experiment-list-only', [{ Effect: 'Allow', Action: 'fis:ListExperimentTemplates', Resource: '*' }]);
      await expect(asFunction(principal)({ ...event, incidentId: 'orders-drill#10' })).rejects.toMatchObject({
        name: 'AwsCallFailedError',
        message: expect.stringMatching(/fis:StartExperiment failed: AccessDeniedException/),
      });
    });
  });
});

describe('twin FIS: the failover-db-cluster template of an Aurora drill pair', () => {
  const d = useDeployedTwin({ config: auroraGameDay(), seed: 22 });

  it('passes validation and fails the drill cluster over (only it)', async () => {
    const out = (await fis(d.world, 'ListExperimentTemplates', {})) as { experimentTemplates: { id: string; tags: Record<string, string> }[] };
    expect(out.experimentTemplates.map((t) => t.tags['failover:fault'])).toEqual(['failover-db-cluster']);
    const run = (await fis(d.world, 'StartExperiment', { experimentTemplateId: out.experimentTemplates[0]!.id, clientToken: 'aurora-1' })) as {
      experiment: { id: string };
    };
    await d.world.clock.advanceBy(6_000);
    expect(d.world.rds.getCluster('payments-drill-use1', REGION)?.status).toBe('failing-over');
    expect(d.world.rds.getCluster('payments-use1', REGION)?.status).toBe('available');
    await d.world.clock.advanceBy(120_000);
    expect(d.world.rds.getCluster('payments-drill-use1', REGION)?.status).toBe('available');
    expect(d.world.fis.experimentState(run.experiment.id)).toBe('completed');
  });
});
