/**
 * Cross-field rules: one `fails when …` case per rule, each breaking a valid config in one way
 * and expecting exactly the problems that break causes (path, message, value).
 */
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../lambdas/shared/config-schema.js';
import { crossFieldProblems } from '../../../lib/config/rules.js';
import { DRILL_INPUT_ROOM, drillInputSize, FAILOVER_INPUT_ROOM, failoverInputSize, INPUT_TEMPLATE_LIMIT } from '../../../lib/rule-input-size.js';
import { auroraExample, broken, example, problemsOf, type Json } from './helpers.js';
import { databaseConfig, gameDay, manyDatabases, STOP_ALARM } from '../../fixtures/databases.js';

const target = (region: string, setIdentifier: string) => ({ region, setIdentifier, value: `lb-${setIdentifier}.example.com` });
const trafficOf = (over: Record<string, unknown> = {}) => ({
  hostedZoneId: 'Z0APP',
  recordName: 'app.orders.example.com',
  type: 'CNAME',
  targets: [target('us-east-1', 'use1'), target('us-west-2', 'usw2')],
  ...over,
});

interface Expected {
  path: string;
  message: string | RegExp;
  value?: unknown;
}

interface Case {
  name: string;
  base?: () => Json;
  mutate: (config: Json) => void;
  expected: Expected[];
}

const db0 = 'databases[0]';
const keyIn = (region: string, id = '1234abcd') => `arn:aws:kms:${region}:123456789012:key/${id}-12ab-34cd-56ef-1234567890ab`;
/** A second database, `billing` (its own instances and record), changed by `changes`. */
const secondDatabase = (config: Json, changes: (db: Json) => void): void => {
  const db = databaseConfig({ name: 'billing' });
  changes(db);
  config.databases.push(db);
};

const ALARM = STOP_ALARM;
/** A second database, `orders-drill`, marked drill target (or not), and a game day on `orders` that drills it. */
const withDrillPair = (c: Json, game: Record<string, unknown> = {}, isDrillTarget = true): void => {
  c.databases.push(databaseConfig({ name: 'orders-drill', drillTarget: isDrillTarget }));
  c.databases[0].gameDay = gameDay('orders-drill', game);
};

const cases: Case[] = [
  {
    name: 'a game-day schedule Scheduler refuses (five cron fields), in a time zone that is not one',
    mutate: (c) => withDrillPair(c, { schedule: 'cron(0 10 * * ?)', scheduleTimezone: 'Mars/Olympus' }),
    expected: [
      { path: `${db0}.gameDay.schedule`, message: /^is not an EventBridge Scheduler expression: a cron expression has 6 fields/, value: 'cron(0 10 * * ?)' },
      { path: `${db0}.gameDay.scheduleTimezone`, message: 'must be an IANA time zone name, such as UTC or Europe/Paris', value: 'Mars/Olympus' },
    ],
  },
  {
    name: 'a game-day schedule with both day fields',
    mutate: (c) => withDrillPair(c, { schedule: 'cron(0 10 1 * MON *)' }),
    expected: [
      {
        path: `${db0}.gameDay.schedule`,
        message: 'is not an EventBridge Scheduler expression: exactly one of day-of-month and day-of-week must be ?',
        value: 'cron(0 10 1 * MON *)',
      },
    ],
  },
  {
    name: 'a game-day schedule that never fires',
    mutate: (c) => withDrillPair(c, { schedule: 'cron(0 10 30 2 ? *)' }),
    expected: [{ path: `${db0}.gameDay.schedule`, message: /^never fires/, value: 'cron(0 10 30 2 ? *)' }],
  },
  {
    name: 'a game day drills a production pair without the explicit opt-in',
    mutate: (c) => withDrillPair(c, {}, false),
    expected: [
      {
        path: `${db0}.gameDay.drillPair`,
        message: /^names "orders-drill", a production pair \(its drillTarget is not true\): .*allowProductionTarget: true/,
        value: 'orders-drill',
      },
    ],
  },
  {
    name: 'a game day drills its own production database without the opt-in',
    mutate: (c) => (c.databases[0].gameDay = { drillPair: 'orders', disruptSubnetIds: ['subnet-0123456789abcdef0'], stopAlarmArns: [ALARM] }),
    expected: [{ path: `${db0}.gameDay.drillPair`, message: /^names "orders", a production pair/, value: 'orders' }],
  },
  {
    name: 'a game day names a drill pair that is not in the config',
    mutate: (c) => (c.databases[0].gameDay = { drillPair: 'nowhere', disruptSubnetIds: ['subnet-0123456789abcdef0'], stopAlarmArns: [ALARM] }),
    expected: [{ path: `${db0}.gameDay.drillPair`, message: 'must name a database of this config ("orders")', value: 'nowhere' }],
  },
  {
    name: 'a game day asks for an Aurora cluster failover on an instance pair, a network fault without subnets, a scheduled fault not deployed and a stop alarm in another Region',
    mutate: (c) => {
      withDrillPair(c, {
        faults: ['failover-db-cluster', 'disrupt-connectivity'],
        scheduledFault: 'reboot-with-failover',
        stopAlarmArns: [ALARM.replace('us-east-1', 'eu-west-1')],
      });
      delete c.databases[0].gameDay.disruptSubnetIds;
    },
    expected: [
      {
        path: `${db0}.gameDay.stopAlarmArns[0]`,
        message: /^must be an alarm in us-east-1, the drill pair's primary Region/,
        value: ALARM.replace('us-east-1', 'eu-west-1'),
      },
      {
        path: `${db0}.gameDay.faults[0]`,
        message: /^fails over an Aurora DB cluster; the drill pair "orders-drill" is postgres/,
        value: 'failover-db-cluster',
      },
      {
        path: `${db0}.gameDay.scheduledFault`,
        message: 'must be one of faults ("failover-db-cluster", "disrupt-connectivity"): only those experiments are deployed',
        value: 'reboot-with-failover',
      },
      { path: `${db0}.gameDay.disruptSubnetIds`, message: /^is required by the disrupt-connectivity fault/ },
    ],
  },
  {
    name: 'a game day reboots an Aurora drill pair as an instance',
    base: auroraExample,
    mutate: (c) => {
      c.databases[0].drillTarget = true;
      c.databases[0].gameDay = {
        drillPair: c.databases[0].name,
        faults: ['reboot-with-failover'],
        stopAlarmArns: [`arn:aws:cloudwatch:${c.databases[0].primary.region}:123456789012:alarm:x`],
      };
    },
    expected: [
      {
        path: `${db0}.gameDay.faults[0]`,
        message: /^reboots an RDS instance with a Multi-AZ failover; the drill pair ".*" is aurora-/,
        value: 'reboot-with-failover',
      },
    ],
  },
  {
    name: 'more databases than one deployment supports (docs/scale.md)',
    mutate: (c) => (c.databases = manyDatabases(101)),
    expected: [
      {
        path: 'databases',
        message:
          /^must be at most 100 in one deployment, the most checked against every CloudFormation and IAM limit, where the largest function role already needs 8 of IAM's 10 managed policies per role \(docs\/scale\.md\); split them into deployments with different `prefix`es$/,
        value: 101,
      },
    ],
  },
  {
    name: 'two databases have the same name',
    mutate: (c) => secondDatabase(c, (db) => (db.name = 'orders')),
    expected: [{ path: 'databases[1].name', message: 'must be unique: databases[0].name has the same name', value: 'orders' }],
  },
  {
    name: 'two databases switch the same record in the same hosted zone (case and final dot ignored)',
    mutate: (c) => secondDatabase(c, (db) => (db.dns.recordName = 'Writer.Orders.Internal.')),
    expected: [
      {
        path: 'databases[1].dns.recordName',
        message: /^must be unique within hosted zone Z0EXAMPLE: databases\[0\] \("orders"\) already switches this record/,
        value: 'Writer.Orders.Internal.',
      },
    ],
  },
  {
    name: 'two databases put records with no parent domain in common in one hosted zone',
    mutate: (c) => secondDatabase(c, (db) => (db.dns.recordName = 'writer.billing.example.com')),
    expected: [
      {
        path: 'databases[1].dns.recordName',
        message:
          /^must be in the domain of hosted zone Z0EXAMPLE, which also holds databases\[0\]\.dns\.recordName \("writer\.orders\.internal"\): the two names have no parent domain in common/,
        value: 'writer.billing.example.com',
      },
    ],
  },
  {
    name: "a traffic record in the writer record's hosted zone is outside its domain",
    mutate: (c) => (c.databases[0].traffic = trafficOf({ hostedZoneId: 'Z0EXAMPLE', recordName: 'app.orders.example.com' })),
    expected: [
      {
        path: `${db0}.traffic.recordName`,
        message: /^must be in the domain of hosted zone Z0EXAMPLE, which also holds databases\[0\]\.dns\.recordName/,
        value: 'app.orders.example.com',
      },
    ],
  },
  {
    name: 'two vantage points of one database have the same name',
    mutate: (c) => (c.databases[0].detection.vantagePoints[2].name = 'use1-a'),
    expected: [
      { path: `${db0}.detection.vantagePoints[2].name`, message: 'must be unique within the database: vantagePoints[0] has the same name', value: 'use1-a' },
    ],
  },
  {
    name: 'a vantage point is named rds-api',
    mutate: (c) => (c.databases[0].detection.vantagePoints[3].name = 'rds-api'),
    expected: [
      {
        path: `${db0}.detection.vantagePoints[3].name`,
        message: /^must not be "rds-api": that name is reserved for the RDS control-plane vantage point/,
        value: 'rds-api',
      },
    ],
  },
  {
    name: 'an instance engine has no primary.instanceId',
    mutate: (c) => delete c.databases[0].primary.instanceId,
    expected: [{ path: `${db0}.primary.instanceId`, message: 'is required for engine "postgres"' }],
  },
  {
    name: 'an instance engine names a cluster instead of standby.instanceId',
    mutate: (c) => {
      delete c.databases[0].standby.instanceId;
      c.databases[0].standby.clusterId = 'orders-cluster';
    },
    expected: [{ path: `${db0}.standby.instanceId`, message: 'is required for engine "postgres" (clusterId is for Aurora engines)' }],
  },
  {
    name: 'a site has both instanceId and clusterId',
    mutate: (c) => (c.databases[0].primary.clusterId = 'orders-cluster'),
    expected: [{ path: `${db0}.primary`, message: 'must have instanceId or clusterId, not both (engine "postgres" uses instanceId)' }],
  },
  {
    name: 'an instance engine has a globalClusterId',
    mutate: (c) => (c.databases[0].standby.globalClusterId = 'orders-global'),
    expected: [{ path: `${db0}.standby.globalClusterId`, message: 'is only for Aurora engines (engine is "postgres")', value: 'orders-global' }],
  },
  {
    name: 'an Aurora engine has no standby.clusterId (instanceId given instead)',
    base: auroraExample,
    mutate: (c) => {
      delete c.databases[0].standby.clusterId;
      c.databases[0].standby.instanceId = 'payments-usw2-1';
    },
    expected: [
      {
        path: `${db0}.standby.clusterId`,
        message: 'is required for engine "aurora-postgresql": Aurora sites are DB clusters (instanceId is for RDS instances)',
      },
    ],
  },
  {
    name: 'an Aurora engine has no primary.globalClusterId',
    base: auroraExample,
    mutate: (c) => delete c.databases[0].primary.globalClusterId,
    expected: [
      { path: `${db0}.primary.globalClusterId`, message: 'is required for engine "aurora-postgresql": both sites are members of one Aurora global cluster' },
    ],
  },
  {
    name: 'the two Aurora sites name different global clusters',
    base: auroraExample,
    mutate: (c) => (c.databases[0].standby.globalClusterId = 'other-global'),
    expected: [
      {
        path: `${db0}.standby.globalClusterId`,
        message: 'must be the same global cluster as primary.globalClusterId ("payments-global")',
        value: 'other-global',
      },
    ],
  },
  {
    name: 'primary and standby are in the same Region',
    mutate: (c) => (c.databases[0].standby.region = 'us-east-1'),
    expected: [{ path: `${db0}.standby.region`, message: /^must differ from primary.region: this product fails over across Regions/, value: 'us-east-1' }],
  },
  {
    name: "the control Region is a primary's Region",
    mutate: (c) => (c.controlRegion = 'us-east-1'),
    expected: [
      {
        path: 'controlRegion',
        message: /^must not be the primary Region of databases\[0\] \("orders"\): the orchestrator must survive the Region failure it handles/,
        value: 'us-east-1',
      },
    ],
  },
  {
    name: 'the quorum is larger than the vantage points plus the control plane',
    mutate: (c) => (c.databases[0].detection.quorum = 6),
    expected: [{ path: `${db0}.detection.quorum`, message: 'must be <= 5 vantage points (4 configured + rds-api)', value: 6 }],
  },
  {
    name: 'the quorum is larger than the vantage points when the control plane is not asked',
    mutate: (c) => {
      c.databases[0].detection.includeControlPlane = false;
      c.databases[0].detection.quorum = 5;
    },
    expected: [{ path: `${db0}.detection.quorum`, message: 'must be <= 4 vantage points (4 configured; includeControlPlane is false)', value: 5 }],
  },
  {
    name: 'all vantage points are in one Region',
    mutate: (c) => {
      for (const vp of c.databases[0].detection.vantagePoints) vp.region = 'us-west-2';
    },
    expected: [{ path: `${db0}.detection.vantagePoints`, message: /^must span at least two Regions/, value: ['us-west-2'] }],
  },
  {
    name: 'a cold standby has no coldStandby stack',
    mutate: (c) => (c.databases[0].standby.readiness = 'cold'),
    expected: [{ path: `${db0}.standby.coldStandby`, message: /^is required when readiness is "cold"/ }],
  },
  {
    name: 'a cold standby has no CloudFormation service role',
    mutate: (c) => Object.assign(c.databases[0].standby, { readiness: 'cold', coldStandby: { stackName: 'orders-cold' } }),
    expected: [
      {
        path: `${db0}.standby.coldStandby.serviceRoleArn`,
        message: /^is required when readiness is "cold": the stack update that restores the database runs as this CloudFormation service role/,
      },
    ],
  },
  {
    name: "a cold standby's service role is in another account than the configured one",
    mutate: (c) => {
      c.account = '111122223333';
      Object.assign(c.databases[0].standby, {
        readiness: 'cold',
        coldStandby: { stackName: 'orders-cold', serviceRoleArn: 'arn:aws:iam::123456789012:role/orders-cold-cloudformation' },
      });
    },
    expected: [
      {
        path: `${db0}.standby.coldStandby.serviceRoleArn`,
        message:
          'must be a role of the standby\'s account "111122223333" (account), not "123456789012": CloudFormation assumes a stack\'s service role in the stack\'s own account',
        value: 'arn:aws:iam::123456789012:role/orders-cold-cloudformation',
      },
    ],
  },
  {
    name: 'a hot standby has a coldStandby stack',
    mutate: (c) => (c.databases[0].standby.coldStandby = { stackName: 'orders-cold' }),
    expected: [
      { path: `${db0}.standby.coldStandby`, message: 'is only used when readiness is "cold" (readiness is "hot")', value: { stackName: 'orders-cold' } },
    ],
  },
  {
    name: 'a hot standby has a promotedInstanceClass',
    mutate: (c) => (c.databases[0].standby.promotedInstanceClass = 'db.r6g.xlarge'),
    expected: [
      { path: `${db0}.standby.promotedInstanceClass`, message: /^is only used when readiness is "warm" \(readiness is "hot"\)/, value: 'db.r6g.xlarge' },
    ],
  },
  {
    name: 'fencing is required (the default), the method revokes ingress, and the primary has no security groups',
    mutate: (c) => {
      delete c.databases[0].failover.fencing;
      c.databases[0].failover.fenceMethod = 'revoke-ingress';
      delete c.databases[0].primary.securityGroupIds;
    },
    expected: [
      {
        path: `${db0}.primary.securityGroupIds`,
        message:
          /^is required when failover.fencing is "required" \(the default\) and failover.fenceMethod is "revoke-ingress": .*every failover would wait for a human/,
      },
    ],
  },
  {
    name: 'fencing is required and an Aurora primary has no security groups (clusters are fenced by revoking ingress)',
    base: auroraExample,
    mutate: (c) => delete c.databases[0].primary.securityGroupIds,
    expected: [
      {
        path: `${db0}.primary.securityGroupIds`,
        message: /^is required when failover.fencing is "required" \(the default\) and engine is "aurora-postgresql" \(Aurora clusters are fenced by revoking/,
      },
    ],
  },
  {
    name: 'secret replicas are listed without a secret',
    mutate: (c) => (c.databases[0].credentials = { iamUser: 'failover_probe', secretReplicaRegions: ['us-west-2'] }),
    expected: [
      {
        path: `${db0}.credentials.secretReplicaRegions`,
        message: /^needs credentials.secretArn: only a Secrets Manager secret can be replicated/,
        value: ['us-west-2'],
      },
    ],
  },
  {
    name: "a secret replica Region is the secret's own Region, or listed twice",
    mutate: (c) => (c.databases[0].credentials.secretReplicaRegions = ['us-west-2', 'us-east-1', 'eu-west-1', 'us-west-2']),
    expected: [
      { path: `${db0}.credentials.secretReplicaRegions[1]`, message: /^must not be the Region of credentials.secretArn \(us-east-1\)/, value: 'us-east-1' },
      { path: `${db0}.credentials.secretReplicaRegions[3]`, message: 'must be unique: this Region is listed twice', value: 'us-west-2' },
    ],
  },
  {
    name: 'secret keys are listed without a secret',
    mutate: (c) => (c.databases[0].credentials = { iamUser: 'failover_probe', secretKmsKeyArns: [keyIn('us-east-1')] }),
    expected: [
      {
        path: `${db0}.credentials.secretKmsKeyArns`,
        message: 'needs credentials.secretArn: these are the keys that encrypt that secret',
        value: [keyIn('us-east-1')],
      },
    ],
  },
  {
    name: 'a secret key is in a Region where the secret has no copy, or a Region has two keys',
    // The example's secret is in us-east-1, replicated to us-west-2 and eu-west-1.
    mutate: (c) =>
      (c.databases[0].credentials.secretKmsKeyArns = [keyIn('us-east-1'), keyIn('ap-south-1'), keyIn('us-west-2'), keyIn('us-east-1', 'ffffffff')]),
    expected: [
      {
        path: `${db0}.credentials.secretKmsKeyArns[1]`,
        message:
          'is a key of ap-south-1, where the secret has no copy: Secrets Manager encrypts the secret and each replica with a key of its own Region, here us-east-1 (credentials.secretArn) or us-west-2, eu-west-1 (credentials.secretReplicaRegions)',
        value: keyIn('ap-south-1'),
      },
      {
        path: `${db0}.credentials.secretKmsKeyArns[3]`,
        message: "is a second key of us-east-1: the secret's copy in a Region has one key",
        value: keyIn('us-east-1', 'ffffffff'),
      },
    ],
  },
  {
    name: "a secret replica Region is the secret's own Region",
    mutate: (c) => (c.databases[0].credentials.secretReplicaRegions = ['us-east-1', 'eu-west-1']),
    expected: [
      {
        path: `${db0}.credentials.secretReplicaRegions[0]`,
        message: /^must not be the Region of credentials\.secretArn \(us-east-1\): list only the Regions the secret is replicated to/,
        value: 'us-east-1',
      },
    ],
  },
  {
    name: 'the heartbeat alarm needs more datapoints than it evaluates',
    mutate: (c) => (c.databases[0].detection.heartbeat = { evaluationPeriods: 2, datapointsToAlarm: 3 }),
    expected: [{ path: `${db0}.detection.heartbeat.datapointsToAlarm`, message: /^must be <= evaluationPeriods \(2\)/, value: 3 }],
  },
  {
    name: 'the default datapointsToAlarm (2) exceeds evaluationPeriods 1',
    mutate: (c) => (c.databases[0].detection.heartbeat = { evaluationPeriods: 1 }),
    expected: [
      { path: `${db0}.detection.heartbeat.datapointsToAlarm`, message: /^defaults to 2, which must be <= evaluationPeriods \(1\): set datapointsToAlarm too/ },
    ],
  },
  {
    name: 'the heartbeat alarm evaluates longer than CloudWatch allows',
    mutate: (c) => (c.databases[0].detection.heartbeat = { periodSeconds: 86400, evaluationPeriods: 8, datapointsToAlarm: 2 }),
    expected: [{ path: `${db0}.detection.heartbeat.periodSeconds`, message: /must be <= 604800 s .*got 86400 × 8 = 691200 s$/ }],
  },
  {
    name: 'two networks are in the same Region',
    mutate: (c) => {
      const network = {
        region: 'us-east-1',
        vpcId: 'vpc-0123456789abcdef0',
        subnetIds: ['subnet-0123456789abcdef0'],
        securityGroupIds: ['sg-0123456789abcdef0'],
      };
      c.networks = [network, { ...network, vpcId: 'vpc-0fedcba9876543210' }];
    },
    expected: [{ path: 'networks[1].region', message: 'must be unique: networks[0] is already in this Region (one network per Region)', value: 'us-east-1' }],
  },
  {
    name: 'an instance identifier is too long to be preserved as <id>-old-<epoch>',
    mutate: (c) => (c.databases[0].primary.instanceId = `orders-${'p'.repeat(44)}`),
    expected: [
      {
        path: `${db0}.primary.instanceId`,
        message: /^must be at most 50 characters: the failback keeps an old primary by renaming it/,
        value: `orders-${'p'.repeat(44)}`,
      },
    ],
  },
  {
    name: 'the whole failback does not fit in one Step Functions execution (maxWaitHours of a year)',
    mutate: (c) => (c.databases[0].failback = { maxWaitHours: 8760 }),
    expected: [
      {
        path: `${db0}.failback.maxWaitHours`,
        message:
          /^must leave the whole failback \(maxWaitHours 8760 h \+ approvalTimeoutHours 24 h .* within one Step Functions Standard execution \(1 year = 8760 hours\)$/,
        value: 8760,
      },
    ],
  },
  {
    name: 'a traffic target is in neither site Region (and a site Region has none)',
    mutate: (c) => (c.databases[0].traffic = trafficOf({ targets: [target('us-east-1', 'use1'), target('eu-west-1', 'euw1')] })),
    expected: [
      { path: `${db0}.traffic.targets`, message: 'must have exactly one target in us-west-2 (a site Region), got 0', value: ['us-east-1', 'eu-west-1'] },
      {
        path: `${db0}.traffic.targets[1].region`,
        message: `must be the primary's (us-east-1) or the standby's (us-west-2) Region: the drain moves weight between the two sites`,
        value: 'eu-west-1',
      },
    ],
  },
  {
    name: 'two traffic targets are in the same site Region with the same set identifier',
    mutate: (c) => (c.databases[0].traffic = trafficOf({ targets: [target('us-east-1', 'a'), target('us-east-1', 'a')] })),
    expected: [
      { path: `${db0}.traffic.targets`, message: 'must have exactly one target in us-east-1 (a site Region), got 2', value: ['us-east-1', 'us-east-1'] },
      { path: `${db0}.traffic.targets`, message: 'must have exactly one target in us-west-2 (a site Region), got 0', value: ['us-east-1', 'us-east-1'] },
      { path: `${db0}.traffic.targets[1].setIdentifier`, message: 'must be unique within the record: targets[0] has the same one', value: 'a' },
    ],
  },
  {
    name: 'the drain steps go down and do not end at 100',
    mutate: (c) => (c.databases[0].traffic = trafficOf({ drainSteps: [50, 10] })),
    expected: [
      { path: `${db0}.traffic.drainSteps`, message: 'must increase step by step (each step moves more traffic back than the one before)', value: [50, 10] },
      { path: `${db0}.traffic.drainSteps`, message: 'must end at 100: the failback moves all traffic back before it moves the writer', value: [50, 10] },
    ],
  },
  {
    name: 'the traffic record is the writer record',
    mutate: (c) => (c.databases[0].traffic = trafficOf({ hostedZoneId: 'Z0EXAMPLE', recordName: 'writer.orders.internal.' })),
    expected: [{ path: `${db0}.traffic.recordName`, message: /^must differ from dns.recordName/, value: 'writer.orders.internal.' }],
  },
];

describe('cross-field rules', () => {
  it.each([
    ['examples/config.json', example],
    ['an Aurora global database', auroraExample],
  ])('pass for %s', (_name, base) => {
    expect(problemsOf(base())).toEqual([]);
  });

  it.each(cases)('fails when $name', ({ base = example, mutate, expected }) => {
    const problems = problemsOf(broken(base, mutate));
    expect(problems).toEqual(
      expected.map((e) =>
        expect.objectContaining({
          path: e.path,
          message: typeof e.message === 'string' ? e.message : expect.stringMatching(e.message),
          ...('value' in e ? { value: e.value } : {}),
        }),
      ),
    );
    // Problems with no value carry none (the formatter prints no "got").
    for (const [i, e] of expected.entries()) if (!('value' in e)) expect(problems[i]).not.toHaveProperty('value');
  });

  it('accept the same record name in different hosted zones', () => {
    const config = broken(example, (c) =>
      secondDatabase(c, (db) => {
        db.dns.recordName = 'writer.orders.internal';
        db.dns.hostedZoneId = 'Z0OTHERZONE';
      }),
    );
    expect(problemsOf(config)).toEqual([]);
  });

  it('accept records of several databases in one hosted zone when they share a parent domain', () => {
    const config = broken(example, (c) =>
      secondDatabase(c, (db) => {
        db.dns.recordName = 'writer.billing.internal';
        db.traffic = trafficOf({ hostedZoneId: 'Z0EXAMPLE', recordName: 'app.billing.internal' });
      }),
    );
    expect(problemsOf(config)).toEqual([]);
  });

  it('accept a 7-day heartbeat evaluation window for periods of an hour or more (CloudWatch limit)', () => {
    const config = broken(example, (c) => (c.databases[0].detection.heartbeat = { periodSeconds: 86400, evaluationPeriods: 7, datapointsToAlarm: 2 }));
    expect(problemsOf(config)).toEqual([]);
  });

  it('accept valid traffic records, and a 50-character instance identifier', () => {
    expect(problemsOf(broken(example, (c) => (c.databases[0].traffic = trafficOf({ alarmNames: ['app-5xx'], drainSteps: [25, 100] }))))).toEqual([]);
    expect(problemsOf(broken(example, (c) => (c.databases[0].primary.instanceId = `orders-${'p'.repeat(43)}`)))).toEqual([]);
  });

  it('accept a game day on a designated drill pair, and on a production pair with the explicit opt-in', () => {
    expect(problemsOf(broken(example, (c) => withDrillPair(c)))).toEqual([]);
    expect(problemsOf(broken(example, (c) => withDrillPair(c, { allowProductionTarget: true }, false)))).toEqual([]);
  });

  it.each(['cron(0 10 ? 1,4,7,10 TUE#2 *)', 'rate(90 days)', 'at(2027-03-02T10:00:00)'])('accept a game day scheduled %s', (schedule) => {
    expect(problemsOf(broken(example, (c) => withDrillPair(c, { schedule, scheduleTimezone: 'Europe/Paris' })))).toEqual([]);
  });

  it('accept a quorum equal to the vantage points plus the control plane', () => {
    expect(problemsOf(broken(example, (c) => (c.databases[0].detection.quorum = 5)))).toEqual([]);
  });

  // The schema caps these (10080 minutes, 720 hours) well inside the limit, so the full validation
  // reports the cap and never reaches the rule; the rule guards the day those caps are raised, and
  // is checked on its own here with a parsed config carrying the too-long value.
  it.each([
    [
      'failover.approvalTimeoutMinutes',
      (db: Json) => (db.failover.approvalTimeoutMinutes = 366 * 24 * 60),
      `${db0}.failover.approvalTimeoutMinutes`,
      /^must be <= 525600 minutes: the approval wait must fit in one Step Functions Standard execution/,
    ],
    [
      'failback.approvalTimeoutHours',
      (db: Json) => (db.failback.approvalTimeoutHours = 8760),
      `${db0}.failback.approvalTimeoutHours`,
      /^must leave the whole failback \(maxWaitHours 168 h \+ approvalTimeoutHours 8760 h .* within one Step Functions Standard execution/,
    ],
  ])('fails when %s does not fit in a Step Functions execution (rule checked directly)', (_name, mutate, path, message) => {
    const config = configSchema.parse(example());
    mutate(config.databases[0]);
    expect(crossFieldProblems(config, example())).toEqual([expect.objectContaining({ path, message: expect.stringMatching(message) })]);
    expect(problemsOf(broken(example, (c) => mutate(c.databases[0])))).toEqual([
      expect.objectContaining({ path, message: expect.stringMatching(/^must be <= /) }),
    ]);
  });
});

/**
 * The schema's own refinements with a custom message (lambdas/shared/config-schema.ts): one
 * `fails when` each, through the full validation, with the path, the message and the bad value.
 */
describe('trigger rule input templates (EventBridge: at most 8,192 characters)', () => {
  /** `n` more vantage points on databases[i] (long names, a few Regions). */
  const morePoints = (db: Json, n: number) => {
    const regions = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1'];
    for (let k = 0; k < n; k++) db.detection.vantagePoints.push({ name: `vantage-point-number-${k}`, region: regions[k % regions.length] });
  };
  const parsedDb = (raw: Json, i: number) => configSchema.parse(raw).databases[i]!;

  it('fails when a database is too long for its failover rules', () => {
    const c = example();
    morePoints(c.databases[0], 120);
    const size = failoverInputSize(parsedDb(c, 0));
    expect(size).toBeGreaterThan(INPUT_TEMPLATE_LIMIT - FAILOVER_INPUT_ROOM);
    expect(problemsOf(c)).toEqual([
      {
        path: 'databases[0]',
        message: `is ${size} characters as JSON with its defaults, and every trigger rule carries it in an EventBridge input template of at most 8192 characters (200 kept for the event): at most 7992; shorten it (fewer vantage points, shorter names)`,
        value: `${size} characters`,
      },
    ]);
  });

  it("fails when only the drill rule's input is too long (the drill pair's config with the game day)", () => {
    // The largest drill pair whose own failover rules still fit.
    const base = (n: number) => {
      const c = example();
      c.databases[0].gameDay = gameDay('orders-drill');
      c.databases.push(databaseConfig({ name: 'orders-drill', drillTarget: true }));
      morePoints(c.databases[1], n);
      return c;
    };
    let n = 0;
    while (failoverInputSize(parsedDb(base(n + 1), 1)) <= INPUT_TEMPLATE_LIMIT - FAILOVER_INPUT_ROOM) n++;
    const c = base(n);
    const size = drillInputSize(parsedDb(c, 0), parsedDb(c, 1));
    expect(size).toBeGreaterThan(INPUT_TEMPLATE_LIMIT - DRILL_INPUT_ROOM);
    expect(problemsOf(c)).toEqual([
      expect.objectContaining({
        path: 'databases[1]',
        message: expect.stringMatching(
          /^is \d+ characters as JSON with its defaults and the game day of databases\[0\], which its drill rule carries in an EventBridge input template of at most 8192 characters \(400 kept for the event\): at most 7792;/,
        ),
        value: `${size} characters`,
      }),
    ]);
    // The same pair without the added vantage points fits both rules.
    expect(problemsOf(base(0))).toEqual([]);
  });

  it('the example config is a small part of the limit', () => {
    expect(failoverInputSize(parsedDb(example(), 0))).toBeLessThan(INPUT_TEMPLATE_LIMIT / 2);
  });
});

describe('schema refinements', () => {
  const schemaCases: Array<[string, (c: Json) => void, string, string, unknown]> = [
    [
      'controlRegion is not a Region code',
      (c) => (c.controlRegion = 'US West 2'),
      'controlRegion',
      'must be an AWS Region code such as us-east-1',
      'US West 2',
    ],
    ['account is not 12 digits', (c) => (c.account = '1234'), 'account', 'must be a 12-digit AWS account id', '1234'],
    ['prefix has capitals', (c) => (c.prefix = 'Failover'), 'prefix', 'must start with a letter; lowercase letters, digits and hyphens (max 16)', 'Failover'],
    [
      'a database name starts with a digit',
      (c) => (c.databases[0].name = '1orders'),
      `${db0}.name`,
      'must start with a letter; lowercase letters, digits and hyphens (max 32)',
      '1orders',
    ],
    [
      'an instance identifier has an underscore',
      (c) => (c.databases[0].primary.instanceId = 'orders_primary'),
      `${db0}.primary.instanceId`,
      'must be an RDS identifier: a letter, then letters, digits or hyphens (max 63)',
      'orders_primary',
    ],
    [
      'a security group id is not one',
      (c) => (c.databases[0].primary.securityGroupIds = ['default']),
      `${db0}.primary.securityGroupIds[0]`,
      'must be a security group id such as sg-0123456789abcdef0',
      'default',
    ],
    [
      'a warm standby scales up to something that is not an instance class',
      (c) => Object.assign(c.databases[0].standby, { readiness: 'warm', promotedInstanceClass: 'r6g.xlarge' }),
      `${db0}.standby.promotedInstanceClass`,
      'must be an RDS instance class such as db.r6g.xlarge',
      'r6g.xlarge',
    ],
    [
      'a cold standby stack name has a space',
      (c) =>
        Object.assign(c.databases[0].standby, {
          readiness: 'cold',
          coldStandby: { stackName: 'orders standby', serviceRoleArn: 'arn:aws:iam::123456789012:role/orders-cold-cloudformation' },
        }),
      `${db0}.standby.coldStandby.stackName`,
      'must be a CloudFormation stack name: a letter, then letters, digits or hyphens (max 128)',
      'orders standby',
    ],
    [
      'a cold standby service role is not an IAM role ARN',
      (c) =>
        Object.assign(c.databases[0].standby, {
          readiness: 'cold',
          coldStandby: { stackName: 'orders-cold', serviceRoleArn: 'arn:aws:iam::123456789012:user/deployer' },
        }),
      `${db0}.standby.coldStandby.serviceRoleArn`,
      'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
      'arn:aws:iam::123456789012:user/deployer',
    ],
    [
      'a vantage point name has capitals',
      (c) => (c.databases[0].detection.vantagePoints[0].name = 'USE1-a'),
      `${db0}.detection.vantagePoints[0].name`,
      'must be lowercase letters, digits and hyphens (max 32)',
      'USE1-a',
    ],
    [
      'the hosted zone id is not one',
      (c) => (c.databases[0].dns.hostedZoneId = '/hostedzone/Z0EXAMPLE'),
      `${db0}.dns.hostedZoneId`,
      'must be a Route 53 hosted zone id such as Z0123456789ABC',
      '/hostedzone/Z0EXAMPLE',
    ],
    [
      'the record name is not a DNS name',
      (c) => (c.databases[0].dns.recordName = 'writer orders'),
      `${db0}.dns.recordName`,
      'must be a DNS name',
      'writer orders',
    ],
    [
      'a secret key is an alias, not a key ARN',
      (c) => (c.databases[0].credentials.secretKmsKeyArns = ['arn:aws:kms:us-east-1:123456789012:alias/orders-secrets']),
      `${db0}.credentials.secretKmsKeyArns[0]`,
      'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>), not an alias',
      'arn:aws:kms:us-east-1:123456789012:alias/orders-secrets',
    ],
    [
      'the secret is not a Secrets Manager ARN',
      (c) => (c.databases[0].credentials.secretArn = 'orders/failover-probe'),
      `${db0}.credentials.secretArn`,
      'must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)',
      'orders/failover-probe',
    ],
    [
      'the heartbeat period is not a multiple of 60',
      (c) => (c.databases[0].detection.heartbeat = { periodSeconds: 90 }),
      `${db0}.detection.heartbeat.periodSeconds`,
      'must be 60 or a multiple of 60 (CloudWatch periods of 60 s or more are evaluated every minute)',
      90,
    ],
    [
      'the heartbeat period is under 60 s',
      (c) => (c.databases[0].detection.heartbeat = { periodSeconds: 30 }),
      `${db0}.detection.heartbeat.periodSeconds`,
      'must be 60 or a multiple of 60 (CloudWatch periods of 60 s or more are evaluated every minute)',
      30,
    ],
    [
      'a traffic record has a bad hosted zone id and name',
      (c) => (c.databases[0].traffic = trafficOf({ hostedZoneId: 'zone', recordName: 'app example' })),
      `${db0}.traffic.hostedZoneId`,
      'must be a Route 53 hosted zone id such as Z0123456789ABC',
      'zone',
    ],
    [
      'a network has a bad VPC id',
      (c) => (c.networks = [{ region: 'us-east-1', vpcId: 'vpc-XYZ', subnetIds: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0123456789abcdef0'] }]),
      'networks[0].vpcId',
      'must be a VPC id such as vpc-0123456789abcdef0',
      'vpc-XYZ',
    ],
    [
      'a network has a bad subnet id',
      (c) => (c.networks = [{ region: 'us-east-1', vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-1'], securityGroupIds: ['sg-0123456789abcdef0'] }]),
      'networks[0].subnetIds[0]',
      'must be a subnet id such as subnet-0123456789abcdef0',
      'subnet-1',
    ],
  ];
  it.each(schemaCases)('fails when %s', (_name, mutate, path, message, value) => {
    const problems = problemsOf(broken(example, mutate));
    expect(problems).toContainEqual(expect.objectContaining({ path, message, value }));
  });

  it('fails when a traffic record name is not a DNS name (reported with the zone id)', () => {
    const problems = problemsOf(broken(example, (c) => (c.databases[0].traffic = trafficOf({ hostedZoneId: 'zone', recordName: 'app example' }))));
    expect(problems).toContainEqual(expect.objectContaining({ path: `${db0}.traffic.recordName`, message: 'must be a DNS name', value: 'app example' }));
  });
});
