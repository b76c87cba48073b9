/**
 * The control stack synthesized from examples/config.json: resources, encryption, functions,
 * IAM per function (exact actions and resources), the state machine's role, the triggers and
 * their input, the cross-Region heartbeat and its alarm, the dashboard.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { PENDING_INDEX } from '../../lambdas/shared/approvals.js';
import { heartbeatInput } from '../../lambdas/shared/contracts.js';
import { FUNCTION_RUNTIME } from '../../lib/constructs/failover-function.js';
import { CONTROL_FUNCTIONS } from '../../lib/constructs/permissions.js';
import { functionConstructId as functionConstructIdOf } from '../../lib/constructs/control-functions.js';
import { PENDING_INDEX_NAME } from '../../lib/constructs/failover-control.js';
import { synthApp, type IamStatement, type SynthesizedFunction } from '../helpers/synth.js';
import { wideConfig } from './configs.js';

const app = synthApp();
const control = app.control;
const t = control.assertions;
const ACCOUNT = '123456789012';
const R = 'us-west-2';
const one = <T>(list: T[], what: string): T => {
  if (list.length !== 1) throw new Error(`expected one ${what}, found ${list.length}`);
  return list[0]!;
};
// The stack key (the workflows have a key of their own: see automation-safety.test.ts).
const [keyId] = one(
  control.resources('AWS::KMS::Key').filter(([id]) => !id.includes('WorkflowsKey')),
  'key',
);
const KEY_ARN = `arn:aws:kms:${R}:${ACCOUNT}:key/key-${keyId}`;
const TABLE_ARN = `arn:aws:dynamodb:${R}:${ACCOUNT}:table/failover-state`;
const TOPIC_ARN = `arn:aws:sns:${R}:${ACCOUNT}:failover-notifications`;
const BUS_ARN = `arn:aws:events:${R}:${ACCOUNT}:event-bus/failover-events`;
const fn = (name: string): SynthesizedFunction => app.findFunction(`failover-${name}`, R);

/** `action on resource` pairs of a function's role, except its log group and X-Ray (checked separately). */
function grants(statements: IamStatement[]): string[] {
  return statements
    .filter((s) => !s.Action.every((a) => a.startsWith('xray:')) && !s.Action.every((a) => a.startsWith('logs:')))
    .flatMap((s) => s.Action.flatMap((a) => s.Resource.map((r) => `${a} on ${r}${s.Condition ? ` if ${JSON.stringify(s.Condition)}` : ''}`)))
    .sort();
}
const on = (actions: string[], resources: string[]) => actions.flatMap((a) => resources.map((r) => `${a} on ${r}`));
/** Item access to the table, limited to the partitions a function owns (dynamodb:LeadingKeys), and the table's key. */
const leadingKeys = (partitions: string[]) =>
  ` if ${JSON.stringify({ [partitions.some((p) => p.includes('*')) ? 'ForAllValues:StringLike' : 'ForAllValues:StringEquals']: { 'dynamodb:LeadingKeys': partitions } })}`;
const items = (actions: string[], partitions: string[]) => on(actions, [TABLE_ARN]).map((g) => `${g}${leadingKeys(partitions)}`);
const tableFor = (partitions: string[]) => [
  ...items(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], partitions),
  ...on(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], [KEY_ARN]),
];
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/failover-probe-AbCdEf';
/** The example config replicates the secret to us-west-2 and eu-west-1 (credentials.secretReplicaRegions): same ARN, other Region. */
const SECRET_REPLICAS = ['us-west-2', 'eu-west-1'].map((r) => SECRET.replace(':us-east-1:', `:${r}:`));
const SECRETS = on(['secretsmanager:GetSecretValue'], [SECRET, ...SECRET_REPLICAS]);
const PUT_METRICS = `cloudwatch:PutMetricData on * if {"StringEquals":{"cloudwatch:namespace":"RdsFailover"}}`;
const [SIGNING_SECRET] = one(control.resources('AWS::SecretsManager::Secret'), 'signing secret');
const KEY_ONLY = on(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], [KEY_ARN]);
const db = (region: string, id: string) => `arn:aws:rds:${region}:${ACCOUNT}:db:${id}`;
const PRIMARY = db('us-east-1', 'orders-primary');
const REPLICA = db('us-west-2', 'orders-replica');
const SG_PRIMARY = `arn:aws:ec2:us-east-1:${ACCOUNT}:security-group/sg-0a1b2c3d4e5f60718`;
const SG_STANDBY = `arn:aws:ec2:us-west-2:${ACCOUNT}:security-group/sg-0f1e2d3c4b5a69788`;
/** The first group of the stack id's GUID: retained log groups carry it (a redeploy after `cdk destroy` does not collide). */
// (resolved here with the twin's stack id, whose GUID is zeros; automation-safety.test.ts checks the template itself)
const named = (base: string) => `${base}-00000000`;
const WORKFLOW_KEY_ARN = `arn:aws:kms:${R}:${ACCOUNT}:key/key-${
  one(
    control.resources('AWS::KMS::Key').filter(([id]) => id.includes('WorkflowsKey')),
    'workflow key',
  )[0]
}`;
const VIA_RDS = ` if {"StringEquals":{"kms:ViaService":["rds.us-east-1.amazonaws.com","rds.us-west-2.amazonaws.com"]}}`;

describe('control stack: state, notifications, bus', () => {
  it('is named from the prefix and lives in the control Region', () => {
    expect(control.name).toBe('failover-control');
    expect(control.region).toBe('us-west-2');
  });

  it("has one customer managed key with rotation, usable by this Region's CloudWatch Logs and by EventBridge for dead letters", () => {
    t.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
            Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
          }),
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Condition: { ArnLike: { 'aws:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  it('keeps state in one on-demand table with pk/sk, PITR, the CMK, TTL `ttl` and the sparse GSI `pending`', () => {
    const [, table] = one(control.resources('AWS::DynamoDB::Table'), 'table');
    expect(table.Properties).toMatchObject({
      TableName: 'failover-state',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: KEY_ARN },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'pending',
          KeySchema: [
            { AttributeName: 'pendingDatabase', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
    expect(table.Properties!.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'pendingDatabase', AttributeType: 'S' },
        { AttributeName: 'createdAt', AttributeType: 'S' },
      ]),
    );
    expect(table.DeletionPolicy).toBe('Retain');
    expect(PENDING_INDEX_NAME).toBe(PENDING_INDEX);
  });

  it('notifies through a CMK-encrypted topic that refuses non-TLS publishers, with the configured e-mail subscriptions', () => {
    t.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'failover-notifications', KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    const subs = control.resources('AWS::SNS::Subscription').map(([, s]) => s.Properties);
    expect(subs).toEqual([expect.objectContaining({ Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: TOPIC_ARN })]);
  });

  it('has the product bus `<prefix>-events`', () => {
    t.resourceCountIs('AWS::Events::EventBus', 1);
    t.hasResourceProperties('AWS::Events::EventBus', { Name: 'failover-events' });
  });

  it('keeps undeliverable triggers in a CMK-encrypted, TLS-only queue', () => {
    const [, queue] = one(control.resources('AWS::SQS::Queue'), 'queue');
    // Named: the `databases` stacks of a large config reach it by ARN (docs/scale.md).
    const queueName = 'failover-trigger-dead-letters';
    expect(queue.Properties).toMatchObject({ QueueName: queueName, KmsMasterKeyId: KEY_ARN, MessageRetentionPeriod: 1209600 });
    const policy = one(
      control.resources('AWS::SQS::QueuePolicy').filter(([, p]) => JSON.stringify(p.Properties!.Queues).includes(queueName)),
      'queue policy',
    )[1];
    const statements = (policy.Properties!.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement;
    expect(statements).toEqual(expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]));
    // One statement for every rule of this account and Region: the policy does not grow with the databases.
    const fromEvents = statements.filter((s) => JSON.stringify(s.Principal).includes('events.amazonaws.com'));
    expect(fromEvents).toEqual([
      {
        Sid: 'AllowTriggerRulesOfThisRegion',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: `arn:aws:sqs:${R}:${ACCOUNT}:${queueName}`,
        Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:events:${R}:${ACCOUNT}:rule/*` } },
      },
    ]);
    const wideQueuePolicy = synthApp({ config: wideConfig() }).control.resources('AWS::SQS::QueuePolicy');
    expect(JSON.stringify(wideQueuePolicy).match(/events\.amazonaws\.com/g)).toHaveLength(1);
  });
});

describe('control stack: functions', () => {
  it('deploys every control-Region function, named `<prefix>-<folder>` and tagged with its folder', () => {
    const here = app.functions.filter((f) => f.stack === control.name);
    expect(here.map((f) => f.folder).sort()).toEqual([...CONTROL_FUNCTIONS].sort());
    for (const f of here) expect(f.functionName).toBe(`failover-${f.folder}`);
  });

  it('runs them on the newest Node.js (arm64), traced, logging JSON to their own CMK-encrypted log group', () => {
    expect(FUNCTION_RUNTIME.name).toBe('nodejs24.x');
    for (const [, f] of control.resources('AWS::Lambda::Function')) {
      const name = String(f.Properties!.FunctionName);
      expect(f.Properties, name).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: expect.stringMatching(/Logs[A-F0-9]{8}$/) },
        Handler: 'index.handler',
      });
    }
    const groups = control.resources('AWS::Logs::LogGroup').map(([, g]) => g.Properties!);
    for (const f of app.functions.filter((x) => x.stack === control.name)) {
      expect(groups).toContainEqual({ LogGroupName: named(`/aws/lambda/${f.functionName}`), KmsKeyId: KEY_ARN, RetentionInDays: 90 });
    }
  });

  it('gives every function TABLE_NAME, TOPIC_ARN, EVENT_BUS_NAME, RESOURCE_PREFIX, PROBE_FUNCTION_NAME and POWERTOOLS_SERVICE_NAME', () => {
    for (const f of app.functions.filter((x) => x.stack === control.name)) {
      expect(f.environment, f.functionName).toMatchObject({
        TABLE_NAME: 'failover-state',
        TOPIC_ARN,
        EVENT_BUS_NAME: 'failover-events',
        RESOURCE_PREFIX: 'failover',
        PROBE_FUNCTION_NAME: 'failover-probe',
        POWERTOOLS_SERVICE_NAME: f.folder,
      });
    }
  });

  it('uses no managed policies: each role writes only its own log group, and X-Ray', () => {
    for (const [id, role] of control.resources('AWS::IAM::Role')) expect(role.Properties!.ManagedPolicyArns, id).toBeUndefined();
    for (const f of app.functions.filter((x) => x.stack === control.name)) {
      const logs = f.statements.filter((s) => s.Action.some((a) => a.startsWith('logs:')));
      expect(logs, f.functionName).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: [
            expect.stringMatching(
              new RegExp(`^arn:aws:logs:${R}:${ACCOUNT}:log-group:FailoverFunctions${functionConstructIdOf(f.folder)}Logs[A-F0-9]{8}:\\*$`),
            ),
          ],
        },
      ]);
      expect(f.statements.filter((s) => s.Action.some((a) => a.startsWith('xray:')))).toEqual([
        { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: ['*'] },
      ]);
    }
  });

  it('attaches no function to a VPC when no network is configured', () => {
    for (const f of app.functions) expect(f.vpc, f.functionName).toBeUndefined();
  });
});

describe('control stack: least privilege per function', () => {
  // Current roles: after a failover whose roles were kept, "the primary" is the configured standby,
  // so the functions acting on either role may act on both configured sites (never on anything else).
  const expected: Record<string, string[]> = {
    'accept-trigger': [],
    'evaluate-verdict': [],
    // DescribeExecution: whether the run holding a lease is still running (a stopped one is reported, or taken over by an operator).
    // kms:Decrypt: the executions it describes are encrypted with the workflows' key (their ARNs are the encryption context).
    // Each function reaches only its own items (dynamodb:LeadingKeys): the lease of each configured database, ...
    'manage-lease': [
      ...tableFor(['DB#orders']),
      ...on(
        ['states:DescribeExecution'],
        ['failover-failover', 'failover-failback'].map((m) => `arn:aws:states:${R}:${ACCOUNT}:execution:${m}:*`),
      ),
      // is the site the record calls no standby a replica of the writer after all?
      ...on(['rds:DescribeDBInstances'], [PRIMARY, REPLICA]),
      `kms:Decrypt on ${WORKFLOW_KEY_ARN} if {"StringEquals":{"kms:EncryptionContext:aws:states:stateMachineArn":["arn:aws:states:${R}:${ACCOUNT}:stateMachine:failover-failover","arn:aws:states:${R}:${ACCOUNT}:stateMachine:failover-failback"]}}`,
    ],
    'probe-vantage': [
      ...on(
        ['lambda:InvokeFunction'],
        ['us-east-1', 'us-west-2', 'eu-west-1'].map((r) => `arn:aws:lambda:${r}:${ACCOUNT}:function:failover-probe`),
      ),
      ...on(['rds:DescribeDBInstances'], [PRIMARY, REPLICA]),
    ],
    'check-data-loss-budget': [...on(['rds:DescribeDBInstances'], [PRIMARY, REPLICA]), 'cloudwatch:GetMetricData on *'],
    // Query on the pending index and SendTaskSuccess: a new trigger withdraws a pending verdict question.
    'request-approval': [
      ...tableFor(['APPROVAL#*']),
      `dynamodb:Query on ${TABLE_ARN}/index/pending if {"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["orders"]}}`,
      `sns:Publish on ${TOPIC_ARN}`,
      `secretsmanager:GetSecretValue on ${SIGNING_SECRET}`,
      'states:SendTaskSuccess on *',
    ],
    // fenceMethod isolate (the default): no RevokeSecurityGroupIngress; the isolation group is created only
    // tagged (aws:RequestTag), tags only at creation (ec2:CreateAction), the swap on the two instances only.
    'fence-primary': [
      ...on(['rds:DescribeDBInstances', 'rds:RebootDBInstance'], [PRIMARY, REPLICA]),
      ...on(['rds:ModifyDBInstance'], [PRIMARY, REPLICA]),
      'ec2:DescribeSecurityGroups on *',
      ...['us-east-1', 'us-west-2'].flatMap((r) => [
        `ec2:CreateSecurityGroup on arn:aws:ec2:${r}:${ACCOUNT}:vpc/*`,
        `ec2:CreateSecurityGroup on arn:aws:ec2:${r}:${ACCOUNT}:security-group/* if {"StringEquals":{"aws:RequestTag/rds-failover:purpose":"fence-isolation"}}`,
        `ec2:CreateTags on arn:aws:ec2:${r}:${ACCOUNT}:security-group/* if {"StringEquals":{"ec2:CreateAction":"CreateSecurityGroup"}}`,
      ]),
    ],
    // The fence record only: read, then a conditional update (never a whole PutItem).
    'record-fence': [
      ...items(['dynamodb:GetItem', 'dynamodb:UpdateItem'], ['FENCE#*']),
      ...on(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], [KEY_ARN]),
    ],
    'promote-standby': on(['rds:DescribeDBInstances', 'rds:PromoteReadReplica'], [PRIMARY, REPLICA]),
    'check-standby': on(['rds:DescribeDBInstances'], [PRIMARY, REPLICA]),
    // Only the configured record, as a CNAME, by UPSERT (normalized: lower case, no trailing dot).
    'switch-dns': [
      'route53:ListResourceRecordSets on arn:aws:route53:::hostedzone/Z0EXAMPLE',
      `route53:ChangeResourceRecordSets on arn:aws:route53:::hostedzone/Z0EXAMPLE if ${JSON.stringify({
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['writer.orders.internal'],
          'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        },
      })}`,
    ],
    // The secret and its replicas: verify-writes runs in the control Region, where the replica is read during a primary-Region outage.
    'verify-writes': SECRETS,
    // A failed heartbeat asks for a verification: only "Heartbeat Failed" on the product bus, and it reads its own site's alarms.
    heartbeat: [
      ...SECRETS,
      `events:PutEvents on ${BUS_ARN} if {"StringEquals":{"events:source":"rds-failover.heartbeat","events:detail-type":"Heartbeat Failed"}}`,
      PUT_METRICS,
      `cloudwatch:DescribeAlarms on arn:aws:cloudwatch:us-west-2:${ACCOUNT}:alarm:failover-*-heartbeat-cross-region`,
    ],
    'record-incident': [...tableFor(['INCIDENT#*']), `sns:Publish on ${TOPIC_ARN}`, `events:PutEvents on ${BUS_ARN}`, PUT_METRICS],
    'plan-failback': [],
    'check-original-site': on(['rds:DescribeDBInstances'], [PRIMARY, REPLICA]),
    'preserve-old-primary': [
      ...on(['rds:DescribeDBInstances', 'rds:CreateDBSnapshot', 'rds:ModifyDBInstance'], [PRIMARY, REPLICA]),
      // The rename target and the snapshot are scoped to the instance's own name.
      ...on(['rds:DescribeDBInstances', 'rds:ModifyDBInstance', 'rds:StopDBInstance'], [`${PRIMARY}-old-*`, `${REPLICA}-old-*`]),
      ...on(
        ['rds:CreateDBSnapshot', 'rds:DescribeDBSnapshots'],
        [`arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:orders-primary-pre-failback-*`, `arn:aws:rds:us-west-2:${ACCOUNT}:snapshot:orders-replica-pre-failback-*`],
      ),
    ],
    'restore-ingress': [
      ...on(['ec2:AuthorizeSecurityGroupIngress'], [SG_PRIMARY, SG_STANDBY]),
      // An isolated instance gets its original groups back (either site).
      ...on(['rds:DescribeDBInstances', 'rds:ModifyDBInstance'], [PRIMARY, REPLICA]),
      ...items(['dynamodb:GetItem'], ['FENCE#*']),
      ...KEY_ONLY,
      'ec2:DescribeSecurityGroups on *',
    ],
    'rebuild-replica': [
      // A cross-Region replica needs the replica's AND the source's ARN: each site is either.
      ...on(['rds:DescribeDBInstances', 'rds:CreateDBInstanceReadReplica'], [PRIMARY, REPLICA]),
      ...on(['rds:DescribeDBInstances'], [`${PRIMARY}-old-*`, `${REPLICA}-old-*`]),
      ...on(
        ['rds:CreateDBInstanceReadReplica'],
        ['us-east-1', 'us-west-2'].flatMap((r) => ['subgrp', 'pg', 'og'].map((t) => `arn:aws:rds:${r}:${ACCOUNT}:${t}:*`)),
      ),
      // settle: a PostgreSQL replica gets the old primary's parameter group after its creation, then a reboot.
      ...on(['rds:ModifyDBInstance', 'rds:RebootDBInstance'], [PRIMARY, REPLICA]),
      ...on(
        ['rds:ModifyDBInstance'],
        ['us-east-1', 'us-west-2'].map((r) => `arn:aws:rds:${r}:${ACCOUNT}:pg:*`),
      ),
      // Grants only for RDS's own use of the key (kms:GrantIsForAWSResource).
      `kms:CreateGrant on * if {"StringEquals":{"kms:ViaService":["rds.us-east-1.amazonaws.com","rds.us-west-2.amazonaws.com"]},"Bool":{"kms:GrantIsForAWSResource":"true"}}`,
      `kms:DescribeKey on *${VIA_RDS}`,
    ],
    'check-replica': [
      ...on(['rds:DescribeDBInstances'], [PRIMARY, REPLICA]),
      // The vantage points' probe: do clients reach the rebuilt original site?
      ...on(
        ['lambda:InvokeFunction'],
        ['us-east-1', 'us-west-2', 'eu-west-1'].map((r) => `arn:aws:lambda:${r}:${ACCOUNT}:function:failover-probe`),
      ),
      ...on(
        ['cloudwatch:DescribeAlarms'],
        ['us-east-1', 'us-west-2'].map((r) => `arn:aws:cloudwatch:${r}:${ACCOUNT}:alarm:failover-orders-heartbeat-in-region`),
      ),
      'cloudwatch:GetMetricData on *',
    ],
    'switchover-global-cluster': [],
    'shift-traffic': [],
    // Internet-facing: approval records only.
    'approval-page': [
      ...items(['dynamodb:GetItem', 'dynamodb:UpdateItem'], ['APPROVAL#*']),
      ...KEY_ONLY,
      `secretsmanager:GetSecretValue on ${SIGNING_SECRET}`,
      'states:SendTaskSuccess on *',
    ],
    // Lists the topic's subscriptions (nothing else of SNS), and publishes its count.
    'check-subscriptions': [`sns:ListSubscriptionsByTopic on ${TOPIC_ARN}`, PUT_METRICS],
    // No game day in this config: no drill pair, so nothing at all (the game-day grants:
    // test/lib/game-day-experiments.test.ts).
    'start-fault-experiment': [],
  };

  for (const name of CONTROL_FUNCTIONS) {
    it(`${name}: exactly its documented permissions`, () => {
      expect(grants(fn(name).statements)).toEqual([...expected[name]!].sort());
    });
  }

  it('uses `*` only for actions without resource-level permissions (and no wildcard actions)', () => {
    const allowedOnStar = new Set([
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'cloudwatch:GetMetricData',
      'cloudwatch:PutMetricData',
      'ec2:DescribeSecurityGroups',
      'states:SendTaskSuccess',
      // Only through RDS (kms:ViaService): the replica's key in its Region is known at run time.
      'kms:CreateGrant',
      'kms:DescribeKey',
    ]);
    for (const f of app.functions) {
      for (const s of f.statements) {
        for (const a of s.Action) expect(a, f.functionName).not.toContain('*');
        if (s.Resource.includes('*')) for (const a of s.Action) expect(allowedOnStar.has(a), `${f.functionName}: ${a} on *`).toBe(true);
        if (s.Action.includes('cloudwatch:PutMetricData')) expect(s.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'RdsFailover' } });
        if (s.Resource.includes('*') && s.Action.some((a) => a.startsWith('kms:')))
          expect(s.Condition, f.functionName).toMatchObject({ StringEquals: { 'kms:ViaService': expect.any(Array) } });
        if (s.Action.includes('kms:CreateGrant')) expect(s.Condition, f.functionName).toMatchObject({ Bool: { 'kms:GrantIsForAWSResource': 'true' } });
      }
    }
  });
});

describe('control stack: state machines', () => {
  it('runs both workflows as STANDARD, logging ALL (no execution data: task tokens) to CMK log groups, traced', () => {
    const machines = control.resources('AWS::StepFunctions::StateMachine');
    expect(machines.map(([, m]) => m.Properties!.StateMachineName).sort()).toEqual(['failover-failback', 'failover-failover']);
    for (const [, m] of machines) {
      const name = String(m.Properties!.StateMachineName);
      expect(m.Properties, name).toMatchObject({
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: false,
          Destinations: [
            {
              CloudWatchLogsLogGroup: {
                LogGroupArn: expect.stringMatching(new RegExp(`^arn:aws:logs:${R}:${ACCOUNT}:log-group:FailoverWorkflowsFail(over|back)Logs[A-F0-9]{8}:\\*$`)),
              },
            },
          ],
        },
      });
    }
    const groups = control.resources('AWS::Logs::LogGroup').map(([, g]) => g.Properties!);
    expect(groups).toContainEqual({ LogGroupName: named('/aws/vendedlogs/states/failover-failover'), KmsKeyId: KEY_ARN, RetentionInDays: 365 });
  });

  it('lets the failover state machine invoke its functions, poll Route 53 changes and start the failback, nothing else', () => {
    const statements = app.stateMachineStatements('failover-failover');
    const invoked = statements.filter((s) => s.Action.includes('lambda:InvokeFunction')).flatMap((s) => s.Resource);
    const workflowFunctions = [
      'accept-trigger',
      'manage-lease',
      'probe-vantage',
      'evaluate-verdict',
      'check-data-loss-budget',
      'request-approval',
      'fence-primary',
      'record-fence',
      'promote-standby',
      'check-standby',
      'switch-dns',
      'verify-writes',
      'record-incident',
      'start-fault-experiment',
      'restore-ingress',
    ];
    expect(invoked.sort()).toEqual(workflowFunctions.flatMap((n) => [fn(n).arn, `${fn(n).arn}:*`]).sort());
    const others = statements.filter((s) => !s.Action.includes('lambda:InvokeFunction'));
    expect(others).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: ['route53:GetChange'], Resource: ['arn:aws:route53:::change/*'] },
        { Effect: 'Allow', Action: ['states:StartExecution'], Resource: [`arn:aws:states:${R}:${ACCOUNT}:stateMachine:failover-failback`] },
        // A trigger that waited for the lease is re-delivered: exactly that kind of event, on the product bus only.
        {
          Effect: 'Allow',
          Action: ['events:PutEvents'],
          Resource: [BUS_ARN],
          Condition: { StringEquals: { 'events:source': 'rds-failover.lease', 'events:detail-type': 'Failover Trigger Redelivered' } },
        },
      ]),
    );
    const onStar = others.filter((s) => s.Resource.includes('*')).flatMap((s) => s.Action);
    for (const a of onStar)
      expect(a).toMatch(
        /^(logs:(Create|Get|Update|Delete)LogDelivery|logs:ListLogDeliveries|logs:PutResourcePolicy|logs:DescribeResourcePolicies|logs:DescribeLogGroups|xray:.+)$/,
      );
    // + the workflows' key: its own executions (and log delivery), nothing else.
    expect(others.filter((s) => s.Action.some((a) => a.startsWith('kms:'))).flatMap((s) => s.Resource)).toEqual([WORKFLOW_KEY_ARN, WORKFLOW_KEY_ARN]);
    expect(others).toHaveLength(7);
  });

  it('lets the failback state machine invoke its functions, poll Route 53 changes and re-deliver a trigger, nothing else (no SDK integration acts on a database)', () => {
    const statements = app.stateMachineStatements('failover-failback');
    const invoked = statements.filter((s) => s.Action.includes('lambda:InvokeFunction')).flatMap((s) => s.Resource);
    const failbackFunctions = [
      'manage-lease',
      'record-incident',
      'request-approval',
      'fence-primary',
      'record-fence',
      'promote-standby',
      'check-standby',
      'switch-dns',
      'verify-writes',
      'plan-failback',
      'check-original-site',
      'preserve-old-primary',
      'restore-ingress',
      'rebuild-replica',
      'check-replica',
      'switchover-global-cluster',
      'shift-traffic',
    ];
    expect(invoked.sort()).toEqual(failbackFunctions.flatMap((n) => [fn(n).arn, `${fn(n).arn}:*`]).sort());
    const others = statements.filter((s) => !s.Action.includes('lambda:InvokeFunction'));
    expect(others).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: ['route53:GetChange'], Resource: ['arn:aws:route53:::change/*'] },
        // A trigger that waited behind the failback's lease is re-delivered when it lets the lease go: the same grant as the failover's.
        {
          Effect: 'Allow',
          Action: ['events:PutEvents'],
          Resource: [BUS_ARN],
          Condition: { StringEquals: { 'events:source': 'rds-failover.lease', 'events:detail-type': 'Failover Trigger Redelivered' } },
        },
      ]),
    );
    const onStar = others.filter((s) => s.Resource.includes('*')).flatMap((s) => s.Action);
    for (const a of onStar)
      expect(a).toMatch(
        /^(logs:(Create|Get|Update|Delete)LogDelivery|logs:ListLogDeliveries|logs:PutResourcePolicy|logs:DescribeResourcePolicies|logs:DescribeLogGroups|xray:.+)$/,
      );
    expect(others.filter((s) => s.Action.some((a) => a.startsWith('kms:'))).flatMap((s) => s.Resource)).toEqual([WORKFLOW_KEY_ARN, WORKFLOW_KEY_ARN]);
    expect(others).toHaveLength(6);
    expect(app.failback.StartAt).toBe('Is this the failback of a drill?');
  });
});

describe('control stack: the approval page', () => {
  it('serves the approval page from a function URL (no IAM auth: the links are signed), and tells request-approval where it is', () => {
    const [, url] = one(control.resources('AWS::Lambda::Url'), 'function URL');
    expect(url.Properties).toMatchObject({ AuthType: 'NONE', TargetFunctionArn: fn('approval-page').arn });
    expect(fn('request-approval').environment).toMatchObject({
      APPROVAL_SIGNING_SECRET_ARN: SIGNING_SECRET,
      APPROVAL_URL: expect.stringMatching(/^https:\/\/[a-z0-9]+\.lambda-url\.us-west-2\.on\.aws\/$/),
    });
    expect(fn('approval-page').environment).toMatchObject({ APPROVAL_SIGNING_SECRET_ARN: SIGNING_SECRET });
    expect(fn('approval-page').environment).not.toHaveProperty('APPROVAL_URL');
    // Anyone may reach the URL (the signed link is the credential); only through the URL.
    const pagePermissions = control
      .resources('AWS::Lambda::Permission')
      .filter(([, p]) => p.Properties!.FunctionName === fn('approval-page').arn)
      .map(([, p]) => p.Properties);
    expect(pagePermissions).toContainEqual(expect.objectContaining({ Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' }));
    for (const p of pagePermissions) expect(p!.Action === 'lambda:InvokeFunctionUrl' || p!.InvokedViaFunctionUrl === true, JSON.stringify(p)).toBe(true);
    // Only the page and request-approval may read the signing key.
    const readers = app.functions
      .filter((f) => f.statements.some((s) => s.Resource.includes(SIGNING_SECRET)))
      .map((f) => f.folder)
      .sort();
    expect(readers).toEqual(['approval-page', 'request-approval']);
  });

  it('keeps the link-signing key in a generated Secrets Manager secret encrypted with the stack key', () => {
    const [, secret] = one(control.resources('AWS::SecretsManager::Secret'), 'signing secret');
    expect(secret.Properties).toMatchObject({ KmsKeyId: KEY_ARN, GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false } });
  });
});

describe('control stack: failback IAM for Aurora and traffic records', () => {
  const wide = synthApp({
    config: (() => {
      const c = wideConfig() as unknown as { databases: Array<Record<string, unknown>> };
      c.databases[0]!.traffic = {
        hostedZoneId: 'Z0APPZONE',
        recordName: 'app.orders.example.com',
        type: 'CNAME',
        targets: [
          { region: 'us-east-1', setIdentifier: 'use1', value: 'lb-use1.example.com' },
          { region: 'us-west-2', setIdentifier: 'usw2', value: 'lb-usw2.example.com' },
        ],
        alarmNames: ['orders-5xx'],
      };
      return c as never;
    })(),
  });
  const wfn = (name: string) => wide.findFunction(`acme-${name}`, 'us-west-2');
  const A = '210987654321';
  /** The weighted records of the traffic record only (its name and type, by UPSERT). */
  const TRAFFIC_RECORD = [
    'route53:ListResourceRecordSets on arn:aws:route53:::hostedzone/Z0APPZONE',
    `route53:ChangeResourceRecordSets on arn:aws:route53:::hostedzone/Z0APPZONE if ${JSON.stringify({
      'ForAllValues:StringEquals': {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['app.orders.example.com'],
        'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
        'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
      },
    })}`,
  ];

  it('switchover-global-cluster: SwitchoverGlobalCluster on both clusters and the global cluster only', () => {
    const g = grants(wfn('switchover-global-cluster').statements);
    expect(g.filter((x) => x.startsWith('rds:SwitchoverGlobalCluster'))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`:${A}:cluster:`)),
        expect.stringMatching(new RegExp(`^rds:SwitchoverGlobalCluster on arn:aws:rds::${A}:global-cluster:`)),
      ]),
    );
    expect(g.every((x) => /^rds:(SwitchoverGlobalCluster|DescribeDBClusters|DescribeGlobalClusters) on arn:aws:rds:/.test(x))).toBe(true);
  });

  it('shift-traffic with named gating alarms: the traffic zone, and the alarms\' state and history on "*" (composite alarms are shown only to "*"), nothing else', () => {
    expect(grants(wfn('shift-traffic').statements)).toEqual(
      [...TRAFFIC_RECORD, ...on(['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'], ['*'])].sort(),
    );
  });

  it('shift-traffic without named gating alarms: the heartbeat alarms\' state and history by ARN in both site Regions, no "*"', () => {
    const noNames = synthApp({
      config: (() => {
        const c = wideConfig() as unknown as { databases: Array<Record<string, unknown>> };
        c.databases[0]!.traffic = {
          hostedZoneId: 'Z0APPZONE',
          recordName: 'app.orders.example.com',
          type: 'CNAME',
          targets: [
            { region: 'us-east-1', setIdentifier: 'use1', value: 'lb-use1.example.com' },
            { region: 'us-west-2', setIdentifier: 'usw2', value: 'lb-usw2.example.com' },
          ],
        };
        return c as never;
      })(),
    });
    expect(grants(noNames.findFunction('acme-shift-traffic', 'us-west-2').statements)).toEqual(
      [
        ...TRAFFIC_RECORD,
        ...on(
          ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'],
          ['us-east-1', 'us-west-2'].map((r) => `arn:aws:cloudwatch:${r}:${A}:alarm:acme-orders-heartbeat-in-region`),
        ),
      ].sort(),
    );
  });

  it('preserve-old-primary and rebuild-replica skip Aurora databases (nothing to rebuild)', () => {
    for (const name of ['preserve-old-primary', 'rebuild-replica']) {
      expect(grants(wfn(name).statements).some((x) => x.includes(':cluster:'))).toBe(false);
    }
  });
});

describe('control stack: triggers', () => {
  const db = app.config.databases[0]!;
  const rules = control.resources('AWS::Events::Rule');
  // (the rule telling the operators about the primary Regions' automation alarms: automation-safety.test.ts)
  const onBus = rules.filter(([id, r]) => r.Properties!.EventBusName === 'failover-events' && !id.includes('NotifyAutomationAlarms'));
  const onDefault = rules.filter(([, r]) => r.Properties!.EventBusName === undefined && r.Properties!.EventPattern);
  // The heartbeat schedules (the subscription check has its own test below).
  const schedules = rules.filter(([id, r]) => r.Properties!.ScheduleExpression && !id.includes('CheckSubscriptions'));

  it("starts the failover from the product bus on its alarms, its primary's failure events, operator requests, its failed heartbeats and its re-delivered triggers", () => {
    const [, rule] = one(onBus, 'product-bus rule');
    expect(rule.Properties!.EventPattern).toEqual({
      $or: [
        {
          source: ['aws.cloudwatch'],
          'detail-type': ['CloudWatch Alarm State Change'],
          detail: { alarmName: ['failover-orders-heartbeat-in-region', 'failover-orders-heartbeat-cross-region'], state: { value: ['ALARM'] } },
        },
        {
          source: ['aws.rds'],
          'detail-type': ['RDS DB Instance Event'],
          detail: {
            SourceIdentifier: ['orders-primary'],
            EventID: ['RDS-EVENT-0004', 'RDS-EVENT-0031', 'RDS-EVENT-0035', 'RDS-EVENT-0036', 'RDS-EVENT-0221'],
          },
        },
        { source: ['rds-failover.operator'], 'detail-type': ['Failover Requested'], detail: { database: ['orders'] } },
        { source: ['rds-failover.heartbeat'], 'detail-type': ['Heartbeat Failed'], detail: { database: ['orders'] } },
        { source: ['rds-failover.lease'], 'detail-type': ['Failover Trigger Redelivered'], detail: { database: ['orders'] } },
      ],
    });
  });

  it('forwards every cross-Region heartbeat alarm change from the default bus to the product bus with ONE rule (none per database)', () => {
    const [, rule] = one(onDefault, 'default-bus rule');
    expect(rule.Properties!.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { alarmName: [{ prefix: 'failover-' }], state: { value: ['ALARM', 'OK', 'INSUFFICIENT_DATA'] } },
    });
    const [target] = rule.Properties!.Targets as Array<Record<string, unknown>>;
    expect(target).toMatchObject({
      Arn: `arn:aws:events:${R}:${ACCOUNT}:event-bus/failover-events`,
      DeadLetterConfig: { Arn: expect.stringMatching(/^arn:aws:sqs:us-west-2:123456789012:/) },
    });
    // The forwarding role may put events on the product bus only.
    const roleId = one(
      control.resources('AWS::IAM::Role').filter(([rid]) => `arn:aws:iam::${ACCOUNT}:role/${rid}` === target!.RoleArn),
      'forwarding role',
    )[0];
    expect(app.roleStatements(control, roleId)).toEqual([
      { Effect: 'Allow', Action: ['events:PutEvents'], Resource: [`arn:aws:events:${R}:${ACCOUNT}:event-bus/failover-events`] },
    ]);
  });

  it('gives the workflow `{ database, event }`: the database config as a constant and the whole event inserted as JSON', () => {
    for (const [id, rule] of onBus) {
      const [target] = rule.Properties!.Targets as Array<Record<string, unknown>>;
      expect(target, id).toMatchObject({
        Arn: `arn:aws:states:${R}:${ACCOUNT}:stateMachine:failover-failover`,
        DeadLetterConfig: { Arn: expect.stringMatching(/^arn:aws:sqs:us-west-2:123456789012:/) },
        RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 7200 },
      });
      const transformer = target!.InputTransformer as { InputPathsMap: Record<string, string>; InputTemplate: string };
      expect(transformer.InputPathsMap).toEqual({ f1: '$' });
      // The placeholder stands unquoted where a JSON value goes: EventBridge inserts the event as JSON.
      expect(transformer.InputTemplate).toContain('"event":<f1>}');
      const event = { source: 'aws.cloudwatch', detail: { alarmName: 'x', state: { value: 'ALARM' } } };
      const rendered = JSON.parse(transformer.InputTemplate.replace('<f1>', JSON.stringify(event))) as Record<string, unknown>;
      expect(rendered).toEqual({ database: JSON.parse(JSON.stringify(db)), event });
      // The role EventBridge uses may start only the failover state machine.
      const roleId = one(
        control.resources('AWS::IAM::Role').filter(([rid]) => `arn:aws:iam::${ACCOUNT}:role/${rid}` === target!.RoleArn),
        'rule role',
      )[0];
      expect(app.roleStatements(control, roleId)).toEqual([
        { Effect: 'Allow', Action: ['states:StartExecution'], Resource: [`arn:aws:states:${R}:${ACCOUNT}:stateMachine:failover-failover`] },
      ]);
    }
  });

  it('runs the cross-Region heartbeat on the heartbeat period with the heartbeat input, no retries of stale beats', () => {
    const [scheduleId, schedule] = one(schedules, 'schedule');
    expect(schedule.Properties!.ScheduleExpression).toBe('rate(1 minute)');
    const [target] = schedule.Properties!.Targets as Array<Record<string, unknown>>;
    expect(target).toMatchObject({ Arn: fn('heartbeat').arn, RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } });
    const beat = JSON.parse(String(target!.Input)) as Record<string, unknown>;
    expect(beat).toEqual({
      site: 'cross-region',
      database: 'orders',
      engine: 'postgres',
      host: 'writer.orders.internal',
      port: 5432,
      secretArn: SECRET,
      secretReplicaRegions: ['us-west-2', 'eu-west-1'],
      databaseName: 'orders',
    });
    expect(heartbeatInput.safeParse(beat).success).toBe(true);
    // Named, so that ONE permission scoped to the heartbeat rule names covers every database.
    expect(schedule.Properties!.Name).toBe('failover-orders-hb-xr');
    expect(scheduleId).toBeTruthy();
    const [, permission] = one(
      control
        .resources('AWS::Lambda::Permission')
        .filter(([, p]) => p.Properties!.Principal === 'events.amazonaws.com' && p.Properties!.FunctionName === fn('heartbeat').arn),
      'permission',
    );
    expect(permission.Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: fn('heartbeat').arn,
      SourceAccount: ACCOUNT,
      SourceArn: `arn:aws:events:${R}:${ACCOUNT}:rule/failover-*-hb-xr`,
    });
  });

  it('checks the email subscriptions every hour with the configured emails, the only other schedule', () => {
    const [, check] = one(
      rules.filter(([id, r]) => r.Properties!.ScheduleExpression && id.includes('CheckSubscriptions')),
      'subscription check',
    );
    expect(check.Properties).toMatchObject({ Name: 'failover-check-subscriptions', ScheduleExpression: 'rate(1 hour)', State: 'ENABLED' });
    const [target] = check.Properties!.Targets as Array<Record<string, unknown>>;
    expect(target).toMatchObject({ Arn: fn('check-subscriptions').arn, RetryPolicy: { MaximumRetryAttempts: 2 } });
    expect(JSON.parse(String(target!.Input))).toEqual({ emails: ['oncall@example.com'] });
    const [, permission] = one(
      control.resources('AWS::Lambda::Permission').filter(([, p]) => p.Properties!.FunctionName === fn('check-subscriptions').arn),
      'permission',
    );
    expect(permission.Properties).toMatchObject({ Principal: 'events.amazonaws.com' });
  });

  it('alarms on a failed or missing cross-Region heartbeat with the configured M of N', () => {
    const [, alarm] = one(
      control.resources('AWS::CloudWatch::Alarm').filter(([, a]) => String(a.Properties!.AlarmName).includes('-heartbeat-')),
      'alarm',
    );
    expect(alarm.Properties).toMatchObject({
      AlarmName: 'failover-orders-heartbeat-cross-region',
      Namespace: 'RdsFailover',
      MetricName: 'HeartbeatSuccess',
      Dimensions: expect.arrayContaining([
        { Name: 'Database', Value: 'orders' },
        { Name: 'Site', Value: 'cross-region' },
      ]),
      Statistic: 'Minimum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'breaching',
    });
    expect((alarm.Properties!.Dimensions as unknown[]).length).toBe(2);
  });
});

describe('control stack: dashboard', () => {
  const [, dashboard] = one(control.resources('AWS::CloudWatch::Dashboard'), 'dashboard');
  const body = JSON.parse(String(dashboard.Properties!.DashboardBody)) as { widgets: Array<{ properties: Record<string, unknown> }> };
  const titled = (fragment: string) =>
    one(
      body.widgets.filter((w) => String(w.properties.title ?? '').includes(fragment)),
      `widget "${fragment}"`,
    ).properties;

  it('is named from the prefix', () => {
    expect(dashboard.Properties!.DashboardName).toBe('failover-rds-failover');
  });

  it('shows both heartbeats, each from its own Region', () => {
    const metrics = titled('orders: heartbeat').metrics as unknown[][];
    expect(metrics).toHaveLength(2);
    expect(JSON.stringify(metrics[0])).toContain('"Site","in-region"');
    expect(JSON.stringify(metrics[0])).toContain('"region":"us-east-1"');
    expect(JSON.stringify(metrics[1])).toContain('"Site","cross-region"');
    expect(JSON.stringify(metrics[1])).toContain('"region":"us-west-2"');
  });

  it("shows the standby's ReplicaLag against the RPO budget", () => {
    const lag = titled('standby lag vs RPO budget');
    expect(JSON.stringify(lag.metrics)).toContain('"AWS/RDS","ReplicaLag","DBInstanceIdentifier","orders-replica"');
    expect(JSON.stringify(lag.metrics)).toContain('"region":"us-west-2"');
    expect(lag.annotations).toMatchObject({ horizontal: [{ value: 30, label: 'RPO budget (30 s)' }] });
  });

  it("shows every database at once: heartbeats per Region, verdicts, incidents and RTO, each one SEARCH over the product's namespace", () => {
    const search = (fragment: string) => JSON.stringify(titled(fragment).metrics);
    expect(search('heartbeats written from us-west-2')).toContain(`SEARCH('{RdsFailover,Database,Site} MetricName=\\"HeartbeatSuccess\\"', 'Minimum', 60)`);
    expect(search('heartbeats written from us-east-1')).toContain('"region":"us-east-1"');
    expect(search('verdicts, every database')).toContain('MetricName=\\"Verdict\\"');
    expect(search('incidents, every database')).toContain('MetricName=\\"Incident\\"');
    expect(search('RTO (s), every database')).toContain('MetricName=\\"FailoverRtoSeconds\\"');
  });

  it("shows verdicts, incidents and RTO from the product's metrics", () => {
    expect(JSON.stringify(titled('orders: verdicts').metrics)).toContain('"RdsFailover","Verdict","Database","orders","Verdict","confirmed-down"');
    expect(JSON.stringify(titled('orders: incidents').metrics)).toContain('"RdsFailover","Incident","Database","orders"');
    expect(JSON.stringify(titled('orders: RTO').metrics)).toContain('"RdsFailover","FailoverRtoSeconds","Database","orders"');
  });
});
