/**
 * `installSdkTwin(world)`: every SDK v3 client the product uses answers from the twin: each client
 * class's `send` is replaced by a dispatcher from command class to the twin's operation (what
 * aws-sdk-client-mock's `mockClient(XClient).on(Command).callsFake(...)` does, without its per-call
 * costs; see {@link installSdkTwin}).
 * The client's Region comes from its config; the IAM principal from the twin call context.
 *
 * Because `send` is replaced, the SDK's middleware (retries, serialization) does not run. The twin
 * therefore emulates the standard retry strategy (docs/aws-behaviour.md §10): throttling errors, 5xx and
 * timeouts are retried up to the client's `maxAttempts` (default 3), each attempt counted in
 * `world.apiCalls`. In a drill, a Step Functions task's calls (`world.sdkBackoff`) wait the SDK's
 * backoff before each retry, in virtual time: full jitter, random × 2^(attempt-1) × base, base 500 ms after a throttling error and
 * 100 ms otherwise, at most 20 s ({@link retryDelayMs}); elsewhere retries follow at once. Route 53 ids are stripped of
 * `/hostedzone/` and `/change/` as the SDK's middleware does.
 *
 * Commands the twin does not model reject with a TwinUnsupportedError naming them.
 */
import { CloudFormationClient, DescribeStacksCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeNetworkInterfacesCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  FisClient,
  GetExperimentCommand,
  ListExperimentsCommand,
  ListExperimentTemplatesCommand,
  StartExperimentCommand,
  StopExperimentCommand,
} from '@aws-sdk/client-fis';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateDBInstanceReadReplicaCommand,
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  ModifyDBInstanceCommand,
  PromoteReadReplicaCommand,
  RDSClient,
  RebootDBInstanceCommand,
  StartDBInstanceCommand,
  StopDBInstanceCommand,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { ListSubscriptionsByTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand as DocQueryCommand,
  ScanCommand as DocScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { isThrottlingError, isTransientError } from '@smithy/core/retry';
import type { SdkError } from '@smithy/types';
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
      DescribeDBInstances: DescribeDBInstancesCommand,
      PromoteReadReplica: PromoteReadReplicaCommand,
      ModifyDBInstance: ModifyDBInstanceCommand,
      RebootDBInstance: RebootDBInstanceCommand,
      StopDBInstance: StopDBInstanceCommand,
      StartDBInstance: StartDBInstanceCommand,
      CreateDBInstanceReadReplica: CreateDBInstanceReadReplicaCommand,
      CreateDBSnapshot: CreateDBSnapshotCommand,
      DeleteDBInstance: DeleteDBInstanceCommand,
      DescribeDBSnapshots: DescribeDBSnapshotsCommand,
      DescribeDBInstanceAutomatedBackups: DescribeDBInstanceAutomatedBackupsCommand,
      DescribeDBClusters: DescribeDBClustersCommand,
      DescribeGlobalClusters: DescribeGlobalClustersCommand,
      FailoverGlobalCluster: FailoverGlobalClusterCommand,
      SwitchoverGlobalCluster: SwitchoverGlobalClusterCommand,
    },
  },
  {
    client: Route53Client,
    service: 'route53',
    commands: {
      ChangeResourceRecordSets: ChangeResourceRecordSetsCommand,
      GetChange: GetChangeCommand,
      ListResourceRecordSets: ListResourceRecordSetsCommand,
      GetHostedZone: GetHostedZoneCommand,
    },
  },
  {
    client: DynamoDBClient,
    service: 'dynamodb',
    commands: {
      GetItem: GetItemCommand,
      PutItem: PutItemCommand,
      UpdateItem: UpdateItemCommand,
      DeleteItem: DeleteItemCommand,
      Query: QueryCommand,
      Scan: ScanCommand,
      TransactWriteItems: TransactWriteItemsCommand,
      DescribeTable: DescribeTableCommand,
    },
  },
  {
    client: CloudWatchClient,
    service: 'cloudwatch',
    commands: {
      PutMetricData: PutMetricDataCommand,
      GetMetricData: GetMetricDataCommand,
      GetMetricStatistics: GetMetricStatisticsCommand,
      PutMetricAlarm: PutMetricAlarmCommand,
      DescribeAlarms: DescribeAlarmsCommand,
      DescribeAlarmHistory: DescribeAlarmHistoryCommand,
      SetAlarmState: SetAlarmStateCommand,
      DeleteAlarms: DeleteAlarmsCommand,
    },
  },
  {
    client: EventBridgeClient,
    service: 'events',
    commands: {
      PutEvents: PutEventsCommand,
      PutRule: PutRuleCommand,
      PutTargets: PutTargetsCommand,
      RemoveTargets: RemoveTargetsCommand,
      DeleteRule: DeleteRuleCommand,
      DescribeRule: DescribeRuleCommand,
      ListTargetsByRule: ListTargetsByRuleCommand,
      EnableRule: EnableRuleCommand,
      DisableRule: DisableRuleCommand,
    },
  },
  {
    client: EC2Client,
    service: 'ec2',
    commands: {
      DescribeSecurityGroups: DescribeSecurityGroupsCommand,
      DescribeSecurityGroupRules: DescribeSecurityGroupRulesCommand,
      CreateSecurityGroup: CreateSecurityGroupCommand,
      AuthorizeSecurityGroupIngress: AuthorizeSecurityGroupIngressCommand,
      RevokeSecurityGroupIngress: RevokeSecurityGroupIngressCommand,
      DescribeNetworkInterfaces: DescribeNetworkInterfacesCommand,
    },
  },
  { client: SNSClient, service: 'sns', commands: { Publish: PublishCommand, ListSubscriptionsByTopic: ListSubscriptionsByTopicCommand } },
  {
    client: SFNClient,
    service: 'sfn',
    commands: {
      SendTaskSuccess: SendTaskSuccessCommand,
      SendTaskFailure: SendTaskFailureCommand,
      SendTaskHeartbeat: SendTaskHeartbeatCommand,
      StartExecution: StartExecutionCommand,
      DescribeExecution: DescribeExecutionCommand,
      ListExecutions: ListExecutionsCommand,
      GetExecutionHistory: GetExecutionHistoryCommand,
    },
  },
  { client: CloudFormationClient, service: 'cloudformation', commands: { DescribeStacks: DescribeStacksCommand, UpdateStack: UpdateStackCommand } },
  { client: LambdaClient, service: 'lambda', commands: { Invoke: InvokeCommand } },
  { client: SecretsManagerClient, service: 'secretsmanager', commands: { GetSecretValue: GetSecretValueCommand } },
  {
    client: FisClient,
    service: 'fis',
    commands: {
      ListExperimentTemplates: ListExperimentTemplatesCommand,
      StartExperiment: StartExperimentCommand,
      GetExperiment: GetExperimentCommand,
      ListExperiments: ListExperimentsCommand,
      StopExperiment: StopExperimentCommand,
    },
  },
];

/**
 * Would SDK v3's standard retry strategy retry this error? Its own classification, so the twin
 * retries exactly what a client would (docs/aws-behaviour.md §10): throttling (the SDK's list of
 * codes, HTTP 429, a `$retryable` throttling trait) and transient errors (timeouts, HTTP 500, 502,
 * 503 and 504, a `$retryable` trait, Node's connection errors). Other 5xx answers are not retried.
 */
export function sdkWouldRetry(err: unknown): boolean {
  const e = err as SdkError;
  return isThrottlingError(e) || isTransientError(e);
}

/**
 * SDK v3's standard backoff before retry `attempt` (1 = the first retry): full jitter over
 * 2^(attempt-1) × base, base 500 ms for throttling (as the SDK classifies it) and 100 ms otherwise,
 * capped at 20 s (docs/aws-behaviour.md §10). `random` is in [0, 1).
 */
export function retryDelayMs(err: unknown, attempt: number, random: number): number {
  const throttling = isThrottlingError(err as SdkError);
  return Math.floor(random * Math.min(20_000, 2 ** (attempt - 1) * (throttling ? 500 : 100)));
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
      if (attempt < maxAttempts && sdkWouldRetry(err)) {
        if (world.sdkBackoff?.()) {
          const delay = retryDelayMs(err, attempt, world.rng.stream('sdk.backoff').next());
          if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        }
        continue;
      }
      const e = err as { $metadata?: Record<string, unknown> };
      if (e && typeof e === 'object') e.$metadata = { ...(e.$metadata ?? {}), attempts: attempt };
      throw err;
    }
  }
}

/** A client class's `send`, replaced while the twin is installed; returns its restore function. */
function replaceSend(client: AnyCtor, send: (this: any, command: any) => Promise<unknown>): () => void {
  const proto = client.prototype as Record<string, unknown>;
  const own = Object.getOwnPropertyDescriptor(proto, 'send');
  Object.defineProperty(proto, 'send', { value: send, writable: true, configurable: true, enumerable: false });
  return () => {
    if (own) Object.defineProperty(proto, 'send', own);
    else delete proto.send;
  };
}

/** The operation a command stands for: by its class, else (a subclass) by `instanceof`. */
function opOf(ops: Map<AnyCtor, string>, command: unknown): string | undefined {
  const ctor = (command as { constructor?: AnyCtor } | undefined)?.constructor;
  const direct = ctor ? ops.get(ctor) : undefined;
  if (direct !== undefined) return direct;
  for (const [cmd, op] of ops) if (command instanceof cmd) return op;
  return undefined;
}

/**
 * Routes every modelled SDK command of every client to the world. Returns the uninstall function
 * (restores the real `send`).
 *
 * Each client class's `send` is replaced by one dispatcher (a map from command class to operation),
 * as `mockClient(X).on(Command).callsFake((input, getClient) => ...)` would answer, without its
 * per-call costs: a sinon stub matches every call against every command's fake with a deep
 * equality, records each call and captures a stack trace per call (a chaos drill makes thousands).
 */
export function installSdkTwin(installed: World): () => void {
  // The dispatchers reach the world through this holder, emptied on uninstall, so a finished
  // drill's world can be garbage-collected even if something kept a dispatcher.
  const holder: { world?: World } = { world: installed };
  const worldOf = (): World => {
    if (!holder.world) throw new TwinUnsupportedError('twin: the SDK twin of a finished drill was called after it was uninstalled');
    return holder.world;
  };
  const restores: Array<() => void> = [];
  const unmodelled = (service: string, command: unknown) =>
    Promise.reject(
      new TwinUnsupportedError(
        `twin: ${service} command ${(command as { constructor?: { name?: string } } | undefined)?.constructor?.name ?? '?'} is not modelled`,
      ),
    );
  for (const spec of SPECS) {
    const ops = new Map<AnyCtor, string>(Object.entries(spec.commands).map(([op, cmd]) => [cmd, op]));
    // an async function, as the fake was: the same promise turns as before, so concurrent calls
    // interleave exactly as they did
    const answer = async (op: string, input: unknown, client: any) => callTwin(worldOf(), spec.service, op, input, client);
    restores.push(
      replaceSend(spec.client, function (this: any, command: any) {
        const op = opOf(ops, command);
        if (op === undefined) return unmodelled(spec.service, command);
        return answer(op, command.input, this);
      }),
    );
  }
  // The DocumentClient does not go through DynamoDBClient#send: marshal and route it too.
  const docOps = new Map<AnyCtor, string>([
    [GetCommand, 'GetItem'],
    [PutCommand, 'PutItem'],
    [UpdateCommand, 'UpdateItem'],
    [DeleteCommand, 'DeleteItem'],
    [DocQueryCommand, 'Query'],
    [DocScanCommand, 'Scan'],
    [TransactWriteCommand, 'TransactWriteItems'],
  ]);
  restores.push(
    replaceSend(DynamoDBDocumentClient as unknown as AnyCtor, function (this: any, command: any) {
      const op = opOf(docOps, command);
      if (op === undefined) return unmodelled('DynamoDBDocumentClient', command);
      return callDoc(worldOf, op, command.input, this);
    }),
  );
  return () => {
    for (const restore of restores.reverse()) restore();
    holder.world = undefined;
  };
}

/** A DocumentClient call: marshalled, sent to the twin's DynamoDB, unmarshalled. */
async function callDoc(worldOf: () => World, op: string, input: any, client: any): Promise<unknown> {
  const opts = client?.config?.translateConfig?.marshallOptions ?? {};
  // the twin passes whole items, never a bare AttributeValue: no map-wrapper shortcut
  const uopts = { ...(client?.config?.translateConfig?.unmarshallOptions ?? {}), convertWithoutMapWrapper: false };
  const out = (await callTwin(worldOf(), 'dynamodb', op, marshalDocInput(op, input, opts), client)) as Record<string, any>;
  return unmarshalDocOutput(out, uopts);
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
