/**
 * The control Region of the product in one statement: `new FailoverControl(stack, 'Failover', {
 * config })` in a stack of the config's `controlRegion`. It creates the encryption key, the
 * state table, the notification topic, the product's event bus, every workflow function, the
 * failover and failback state machines, each database's triggers and cross-Region heartbeat,
 * and the dashboard. The primary Regions need {@link PrimarySignals} and the vantage-point
 * Regions {@link VantageProbe} (or use `buildApp`, which makes all the stacks).
 */
import { Annotations, Aws, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { FailoverConfig, FailoverConfigInput } from '../../lambdas/shared/config-schema.js';
import { validateConfig } from '../config/index.js';
import { Arns } from '../arns.js';
import { acknowledge } from '../nag.js';
import { eventBusName, tableName, topicName } from '../naming.js';
import { ControlFunctions } from './control-functions.js';
import { DatabaseTriggers } from './database-triggers.js';
import { FailoverKey } from './encryption-key.js';
import { FailoverDashboard } from './failover-dashboard.js';
import { FailoverWorkflows } from './failover-workflows.js';

/** Name of the sparse GSI listing pending approvals (lambdas/shared/approvals.ts `PENDING_INDEX`). */
export const PENDING_INDEX_NAME = 'pending';

export interface FailoverControlProps {
  /**
   * The product's config (the file's content, or its validated form). It is validated before
   * anything is created: every problem is reported at once ({@link ConfigError}); risky but legal
   * settings become synth-time warnings.
   */
  readonly config: FailoverConfigInput | FailoverConfig;
}

/** Everything the control Region runs. */
export class FailoverControl extends Construct {
  /** The validated config. */
  public readonly config: FailoverConfig;
  /** Encrypts the table, topic, dead-letter queue and log groups (rotation on). */
  public readonly key: Key;
  /** Leases, incidents, approvals, fence records (`pk`/`sk`, TTL `ttl`, GSI `pending`). */
  public readonly table: Table;
  public readonly topic: Topic;
  /** The product's bus: forwarded alarms and RDS events, operator requests, phase events. */
  public readonly bus: EventBus;
  /** Trigger events EventBridge could not deliver to the failover state machine. */
  public readonly deadLetterQueue: Queue;
  public readonly functions: ControlFunctions;
  public readonly failover: StateMachine;
  public readonly failback: StateMachine;
  /** Per database, by name. */
  public readonly triggers: Readonly<Record<string, DatabaseTriggers>>;
  public readonly dashboard: FailoverDashboard;

  constructor(scope: Construct, id: string, props: FailoverControlProps) {
    super(scope, id);
    const { config, warnings } = validateConfig(props.config, 'FailoverControl config');
    this.config = config;
    for (const w of warnings) {
      Annotations.of(this).addWarningV2(`@rds-failover/config:${w.path || 'root'}`, `${w.path || '(root)'}: ${w.message}${w.value === undefined ? '' : ` (got ${JSON.stringify(w.value)})`}`);
    }
    const region = Stack.of(this).region;
    if (!Token.isUnresolved(region) && region !== config.controlRegion) {
      throw new Error(`FailoverControl must be in the control Region ${config.controlRegion}, but its stack is in ${region}`);
    }
    const { prefix } = config;
    const arns = new Arns();

    this.key = new FailoverKey(this, 'Key', {
      alias: `${prefix}-control`,
      description: 'RDS failover control Region: state table, notifications, dead letters, logs',
      allowEventBridge: true,
    }).key;

    this.table = new Table(this, 'State', {
      tableName: tableName(prefix),
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      timeToLiveAttribute: 'ttl',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: PENDING_INDEX_NAME,
      partitionKey: { name: 'pendingDatabase', type: AttributeType.STRING },
      sortKey: { name: 'createdAt', type: AttributeType.STRING },
    });

    this.topic = new Topic(this, 'Notifications', {
      topicName: topicName(prefix),
      displayName: 'RDS failover',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of config.notifications.emails) this.topic.addSubscription(new EmailSubscription(email));

    this.bus = new EventBus(this, 'Events', {
      eventBusName: eventBusName(prefix),
      description: 'RDS failover: forwarded alarms and RDS events, operator requests, phase events',
    });

    this.deadLetterQueue = new Queue(this, 'TriggerDeadLetters', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetterQueue, {
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the trigger rules (EventBridge rule targets), read by operators',
    });
    // One statement for every trigger rule of this account and Region (CDK would add one per
    // rule, and a hundred databases would outgrow the queue policy's 20 KB).
    this.deadLetterQueue.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowTriggerRulesOfThisRegion',
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
        conditions: { ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/*` } },
      }),
    );
    const deadLetterTarget = Queue.fromQueueArn(this, 'TriggerDeadLettersTarget', this.deadLetterQueue.queueArn);

    this.functions = new ControlFunctions(this, 'Functions', {
      config,
      encryptionKey: this.key,
      resources: { table: this.table.tableArn, topic: this.topic.topicArn, bus: this.bus.eventBusArn, key: this.key.keyArn },
      environment: { TABLE_NAME: this.table.tableName, TOPIC_ARN: this.topic.topicArn, EVENT_BUS_NAME: this.bus.eventBusName },
      arns,
    });

    const workflows = new FailoverWorkflows(this, 'Workflows', {
      prefix,
      functions: this.functions.workflowFunctions(),
      encryptionKey: this.key,
      arns,
    });
    this.failover = workflows.failover;
    this.failback = workflows.failback;

    const triggers: Record<string, DatabaseTriggers> = {};
    for (const database of config.databases) {
      triggers[database.name] = new DatabaseTriggers(this, `Database-${database.name}`, {
        prefix,
        database,
        bus: this.bus,
        failover: this.failover,
        deadLetterQueue: deadLetterTarget,
        heartbeat: this.functions.functions.heartbeat.function,
      });
    }
    this.triggers = triggers;

    this.dashboard = new FailoverDashboard(this, 'Dashboard', { config });
  }
}
