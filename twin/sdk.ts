/**
 * `installSdkTwin(world)`: every SDK v3 client the product uses answers from the twin, through
 * aws-sdk-client-mock (`mockClient(XClient).on(Command).callsFake((input, getClient) => ...)`).
 * The client's Region comes from its config; the IAM principal from the twin call context.
 *
 * Because `send` is stubbed, the SDK's middleware (retries, serialization) does not run. The twin
 * therefore emulates the standard retry strategy (docs/aws-behaviour.md §10): throttling errors, 5xx and
 * timeouts are retried up to the client's `maxAttempts` (default 3), each attempt counted in
 * `world.apiCalls`; the backoff takes no virtual time (see README). Route 53 ids are stripped of
 * `/hostedzone/` and `/change/` as the SDK's middleware does.
 *
 * Commands the twin does not model reject with a TwinUnsupportedError naming them.
 */
import { CloudFormationClient, DescribeStacksCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient, DeleteAlarmsCommand, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, GetMetricDataCommand, GetMetricStatisticsCommand, PutMetricAlarmCommand, PutMetricDataCommand, SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  DeleteItemCommand, DescribeTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand, TransactWriteItemsCommand, UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, DescribeSecurityGroupRulesCommand, DescribeSecurityGroupsCommand, EC2Client, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import {
  DeleteRuleCommand, DescribeRuleCommand, DisableRuleCommand, EnableRuleCommand, EventBridgeClient, ListTargetsByRuleCommand, PutEventsCommand, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateDBInstanceReadReplicaCommand, CreateDBSnapshotCommand, DeleteDBInstanceCommand, DescribeDBClustersCommand, DescribeDBInstanceAutomatedBackupsCommand, DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand, DescribeGlobalClustersCommand, FailoverGlobalClusterCommand, ModifyDBInstanceCommand, PromoteReadReplicaCommand, RDSClient, RebootDBInstanceCommand,
  StartDBInstanceCommand, StopDBInstanceCommand, SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand, GetChangeCommand, GetHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, SFNClient, SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand as DocQueryCommand, ScanCommand as DocScanCommand, TransactWriteCommand, UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { currentCaller } from './context.js';
import { TwinUnsupportedError, type ServiceKey } from './errors.js';
import type { World } from './world.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type AnyCtor = new (...args: any[]) => any;

interface ClientSpec {
  client: AnyCtor;
  service: ServiceKey;
  commands: Record<string, AnyCtor>;
}

const SPECS: ClientSpec[] = [
  {
    client: RDSClient,
    service: 'rds',
    commands: {
      DescribeDBInstances: DescribeDBInstancesCommand, PromoteReadReplica: PromoteReadReplicaCommand, ModifyDBInstance: ModifyDBInstanceCommand,
      RebootDBInstance: RebootDBInstanceCommand, StopDBInstance: StopDBInstanceCommand, StartDBInstance: StartDBInstanceCommand,
      CreateDBInstanceReadReplica: CreateDBInstanceReadReplicaCommand, CreateDBSnapshot: CreateDBSnapshotCommand, DeleteDBInstance: DeleteDBInstanceCommand,
      DescribeDBSnapshots: DescribeDBSnapshotsCommand, DescribeDBInstanceAutomatedBackups: DescribeDBInstanceAutomatedBackupsCommand,
      DescribeDBClusters: DescribeDBClustersCommand, DescribeGlobalClusters: DescribeGlobalClustersCommand, FailoverGlobalCluster: FailoverGlobalClusterCommand,
      SwitchoverGlobalCluster: SwitchoverGlobalClusterCommand,
    },
  },
  {
    client: Route53Client,
    service: 'route53',
    commands: { ChangeResourceRecordSets: ChangeResourceRecordSetsCommand, GetChange: GetChangeCommand, ListResourceRecordSets: ListResourceRecordSetsCommand, GetHostedZone: GetHostedZoneCommand },
  },
  {
    client: DynamoDBClient,
    service: 'dynamodb',
    commands: {
      GetItem: GetItemCommand, PutItem: PutItemCommand, UpdateItem: UpdateItemCommand, DeleteItem: DeleteItemCommand, Query: QueryCommand, Scan: ScanCommand,
      TransactWriteItems: TransactWriteItemsCommand, DescribeTable: DescribeTableCommand,
    },
  },
  {
    client: CloudWatchClient,
    service: 'cloudwatch',
    commands: {
      PutMetricData: PutMetricDataCommand, GetMetricData: GetMetricDataCommand, GetMetricStatistics: GetMetricStatisticsCommand, PutMetricAlarm: PutMetricAlarmCommand,
      DescribeAlarms: DescribeAlarmsCommand, DescribeAlarmHistory: DescribeAlarmHistoryCommand, SetAlarmState: SetAlarmStateCommand, DeleteAlarms: DeleteAlarmsCommand,
    },
  },
  {
    client: EventBridgeClient,
    service: 'events',
    commands: {
      PutEvents: PutEventsCommand, PutRule: PutRuleCommand, PutTargets: PutTargetsCommand, RemoveTargets: RemoveTargetsCommand, DeleteRule: DeleteRuleCommand,
      DescribeRule: DescribeRuleCommand, ListTargetsByRule: ListTargetsByRuleCommand, EnableRule: EnableRuleCommand, DisableRule: DisableRuleCommand,
    },
  },
  {
    client: EC2Client,
    service: 'ec2',
    commands: { DescribeSecurityGroups: DescribeSecurityGroupsCommand, DescribeSecurityGroupRules: DescribeSecurityGroupRulesCommand, CreateSecurityGroup: CreateSecurityGroupCommand, AuthorizeSecurityGroupIngress: AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngress: RevokeSecurityGroupIngressCommand },
  },
  { client: SNSClient, service: 'sns', commands: { Publish: PublishCommand } },
  {
    client: SFNClient,
    service: 'sfn',
    commands: { SendTaskSuccess: SendTaskSuccessCommand, SendTaskFailure: SendTaskFailureCommand, SendTaskHeartbeat: SendTaskHeartbeatCommand, StartExecution: StartExecutionCommand, DescribeExecution: DescribeExecutionCommand },
  },
  { client: CloudFormationClient, service: 'cloudformation', commands: { DescribeStacks: DescribeStacksCommand, UpdateStack: UpdateStackCommand } },
  { client: LambdaClient, service: 'lambda', commands: { Invoke: InvokeCommand } },
  { client: SecretsManagerClient, service: 'secretsmanager', commands: { GetSecretValue: GetSecretValueCommand } },
];

const RETRYABLE_NAMES = new Set([
  'BandwidthLimitExceeded', 'EC2ThrottledException', 'LimitExceededException', 'PriorRequestNotComplete', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded',
  'RequestThrottled', 'RequestThrottledException', 'SlowDown', 'ThrottledException', 'Throttling', 'ThrottlingException', 'TooManyRequestsException',
  'TransactionInProgressException', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException',
]);

/** Would SDK v3's standard retry strategy retry this error? (docs/aws-behaviour.md §10) */
export function sdkWouldRetry(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = e?.$metadata?.httpStatusCode ?? 0;
  return RETRYABLE_NAMES.has(e?.name ?? '') || status === 429 || (status >= 500 && status <= 504) || !!e?.$retryable;
}

async function resolveProvider<T>(v: unknown, fallback: T): Promise<T> {
  if (typeof v === 'function') return ((await (v as () => Promise<T>)()) ?? fallback) as T;
  return (v as T) ?? fallback;
}

function normalizeRoute53(op: string, input: Record<string, unknown>): Record<string, unknown> {
  const strip = (v: unknown) => (typeof v === 'string' ? v.replace(/^\/(hostedzone|change)\//, '') : v);
  const out = { ...input };
  if ('HostedZoneId' in out) out.HostedZoneId = strip(out.HostedZoneId);
  if ('Id' in out) out.Id = strip(out.Id);
  if (op === 'ChangeResourceRecordSets' && out.ChangeBatch) {
    const cb = out.ChangeBatch as { Changes?: { ResourceRecordSet?: { AliasTarget?: { HostedZoneId?: string } } }[] };
    for (const c of cb.Changes ?? []) {
      const at = c.ResourceRecordSet?.AliasTarget;
      if (at?.HostedZoneId) at.HostedZoneId = strip(at.HostedZoneId) as string;
    }
  }
  return out;
}

/** One SDK call against the twin, with the SDK's retry behaviour. */
async function callTwin(world: World, service: ServiceKey, op: string, input: unknown, client: any): Promise<unknown> {
  const region = await resolveProvider<string>(client?.config?.region, 'us-east-1');
  const maxAttempts = await resolveProvider<number>(client?.config?.maxAttempts, 3);
  const principal = currentCaller().principal;
  let body = (input ?? {}) as Record<string, unknown>;
  if (service === 'route53') body = normalizeRoute53(op, body);
  for (let attempt = 1; ; attempt++) {
    try {
      const out = (await world.call(service, op, structuredClone(body), { region, principal })) as Record<string, unknown>;
      return { ...out, $metadata: { httpStatusCode: 200, requestId: world.rng.stream('sdk.requestIds').uuid(), attempts: attempt, totalRetryDelay: 0 } };
    } catch (err) {
      if (attempt < maxAttempts && sdkWouldRetry(err)) continue;
      const e = err as { $metadata?: Record<string, unknown> };
      if (e && typeof e === 'object') e.$metadata = { ...(e.$metadata ?? {}), attempts: attempt };
      throw err;
    }
  }
}

/**
 * Routes every modelled SDK command of every client to the world. Returns the uninstall function
 * (restores the real `send`).
 */
export function installSdkTwin(installed: World): () => void {
  // aws-sdk-client-mock keeps every stub (and so its fakes) in a module-level sinon sandbox even
  // after restore(): the fakes reach the world through this holder, emptied on uninstall, so a
  // finished drill's world can be garbage-collected (a campaign runs hundreds in one process).
  const holder: { world?: World } = { world: installed };
  const worldOf = (): World => {
    if (!holder.world) throw new TwinUnsupportedError('twin: the SDK twin of a finished drill was called after it was uninstalled');
    return holder.world;
  };
  const stubs: AwsStub<any, any, any>[] = [];
  for (const spec of SPECS) {
    const m = mockClient(spec.client as any) as AwsStub<any, any, any>;
    (m.send as any).callsFake((command: { constructor: { name: string } }) =>
      Promise.reject(new TwinUnsupportedError(`twin: ${spec.service} command ${command?.constructor?.name ?? '?'} is not modelled`)),
    );
    for (const [op, cmd] of Object.entries(spec.commands)) {
      m.on(cmd as any).callsFake(async (input: unknown, getClient: () => any) => callTwin(worldOf(), spec.service, op, input, getClient()));
    }
    stubs.push(m);
  }
  // The DocumentClient does not go through DynamoDBClient#send: marshal and route it too.
  const doc = mockClient(DynamoDBDocumentClient as any) as AwsStub<any, any, any>;
  (doc.send as any).callsFake((command: { constructor: { name: string } }) =>
    Promise.reject(new TwinUnsupportedError(`twin: DynamoDBDocumentClient command ${command?.constructor?.name ?? '?'} is not modelled`)),
  );
  const docOps: [AnyCtor, string][] = [
    [GetCommand, 'GetItem'], [PutCommand, 'PutItem'], [UpdateCommand, 'UpdateItem'], [DeleteCommand, 'DeleteItem'],
    [DocQueryCommand, 'Query'], [DocScanCommand, 'Scan'], [TransactWriteCommand, 'TransactWriteItems'],
  ];
  for (const [cmd, op] of docOps) {
    doc.on(cmd as any).callsFake(async (input: any, getClient: () => any) => {
      const client = getClient();
      const opts = client?.config?.translateConfig?.marshallOptions ?? {};
      // the twin passes whole items, never a bare AttributeValue: no map-wrapper shortcut
      const uopts = { ...(client?.config?.translateConfig?.unmarshallOptions ?? {}), convertWithoutMapWrapper: false };
      const out = (await callTwin(worldOf(), 'dynamodb', op, marshalDocInput(op, input, opts), client)) as Record<string, any>;
      return unmarshalDocOutput(out, uopts);
    });
  }
  stubs.push(doc);
  return () => {
    for (const s of stubs.reverse()) s.restore();
    holder.world = undefined;
  };
}

function marshalDocInput(op: string, input: any, opts: Record<string, unknown>): any {
  const m = (v: any) => (v === undefined ? undefined : marshall(v, opts));
  const one = (x: any) => {
    if (!x) return x;
    const out = { ...x };
    for (const k of ['Key', 'Item', 'ExpressionAttributeValues', 'ExclusiveStartKey']) if (out[k] !== undefined) out[k] = m(out[k]);
    return out;
  };
  if (op === 'TransactWriteItems') {
    return { ...input, TransactItems: (input.TransactItems ?? []).map((t: any) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, one(v)]))) };
  }
  return one(input);
}

function unmarshalDocOutput(out: Record<string, any>, opts: Record<string, unknown>): Record<string, any> {
  const u = (v: any) => (v === undefined ? undefined : unmarshall(v, opts));
  const r: Record<string, any> = { ...out };
  if (r.Item) r.Item = u(r.Item);
  if (r.Attributes) r.Attributes = u(r.Attributes);
  if (r.Items) r.Items = r.Items.map(u);
  if (r.LastEvaluatedKey) r.LastEvaluatedKey = u(r.LastEvaluatedKey);
  return r;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Service keys and operation names the SDK twin answers (for docs and tests). */
export const MODELLED_COMMANDS: Record<string, string[]> = Object.fromEntries(SPECS.map((s) => [s.service, Object.keys(s.commands)]));
