/**
 * What runs next to the primaries of one Region: the in-Region heartbeat (fast, but it dies with
 * the Region: the control Region runs a second one; a failed heartbeat asks the product bus for a
 * verification itself), each database's heartbeat schedule and
 * alarm, and two rules forwarding the alarm state changes and the RDS events about the
 * primaries to the product bus in the control Region (by ARN, through a role allowed only
 * events:PutEvents on that bus).
 */
import { Duration, Stack, Token } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DatabaseConfig, FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { Arns } from '../arns.js';
import { asEventPattern, forwardedAlarmPattern, forwardedRdsPatterns } from '../event-patterns.js';
import { acknowledge } from '../nag.js';
import { deployedFunctionName, eventBusName, topicName } from '../naming.js';
import { AutomationAlarms } from './automation-alarms.js';
import { FailoverKey } from './encryption-key.js';
import { FailoverFunction } from './failover-function.js';
import { allowHeartbeatSchedules, HeartbeatMonitor } from './heartbeat-monitor.js';
import { consolidate, databaseLoginGrants, heartbeatTriggerGrants, putMetricDataGrant } from './permissions.js';
import { HEARTBEAT_TIMEOUT_SECONDS } from '../../lambdas/heartbeat/core.js';

export interface PrimarySignalsProps {
  /** The validated config. */
  readonly config: FailoverConfig;
  /** The primary Region this construct serves (its stack's Region). */
  readonly region: string;
}

/** The in-Region heartbeat and the signal forwarding of one primary Region. */
export class PrimarySignals extends Construct {
  public readonly key: Key;
  public readonly heartbeat: FailoverFunction;
  /** Per database of this Region, by name. */
  public readonly monitors: Readonly<Record<string, HeartbeatMonitor>>;
  public readonly forwardAlarms: Rule;
  /** Undefined when no primary of the Region has an identifier. */
  public readonly forwardRdsEvents?: Rule;
  /** Every RDS forwarding rule (one per 25 primaries). */
  public readonly forwardRdsEventRules: Rule[];
  public readonly deadLetterQueue: Queue;
  /** Alarms on the forwarding and the heartbeat of this Region. */
  public readonly automationAlarms: AutomationAlarms;
  /** The databases whose primary is in this Region. */
  public readonly databases: readonly DatabaseConfig[];

  constructor(scope: Construct, id: string, props: PrimarySignalsProps) {
    super(scope, id);
    const { config, region } = props;
    const stackRegion = Stack.of(this).region;
    if (!Token.isUnresolved(stackRegion) && stackRegion !== region) throw new Error(`PrimarySignals for ${region} is in a stack of ${stackRegion}`);
    this.databases = config.databases.filter((db) => db.primary.region === region);
    if (this.databases.length === 0) throw new Error(`PrimarySignals: no database has its primary in ${region}`);
    const arns = new Arns();
    const writerRegions = (db: DatabaseConfig) => [...new Set([db.primary.region, db.standby.region])];

    this.key = new FailoverKey(this, 'Key', {
      alias: `${config.prefix}-signal`,
      description: `RDS failover signals in ${region}: heartbeat logs, forwarding dead letters`,
      allowEventBridge: true,
    }).key;

    const logins = databaseLoginGrants(this.databases, writerRegions, arns);
    // A failed heartbeat asks for a verification on the product bus in the control Region.
    const productBus = arns.eventBus(config.controlRegion, eventBusName(config.prefix));
    const asks = heartbeatTriggerGrants(config.prefix, 'in-region', region, productBus, arns);
    this.heartbeat = new FailoverFunction(this, 'Heartbeat', {
      name: 'heartbeat',
      functionName: deployedFunctionName(config.prefix, 'heartbeat', 'in-region'),
      description: `Detection: in-Region heartbeat through the DNS name of the primaries in ${region}`,
      encryptionKey: this.key,
      environment: { RESOURCE_PREFIX: config.prefix, EVENT_BUS_NAME: eventBusName(config.prefix), CONTROL_REGION: config.controlRegion },
      timeout: Duration.seconds(HEARTBEAT_TIMEOUT_SECONDS),
      permissions: {
        statements: consolidate([...logins.statements, ...asks.statements]),
        wildcards: [...logins.wildcards, putMetricDataGrant(), ...asks.wildcards],
      },
      network: config.networks.find((n) => n.region === region),
    });

    const monitors: Record<string, HeartbeatMonitor> = {};
    for (const database of this.databases) {
      monitors[database.name] = new HeartbeatMonitor(this, `Database-${database.name}`, {
        prefix: config.prefix,
        database,
        site: 'in-region',
        heartbeat: this.heartbeat.function,
      });
    }
    this.monitors = monitors;
    allowHeartbeatSchedules(this.heartbeat.function, config.prefix, 'in-region');

    this.deadLetterQueue = new Queue(this, 'ForwardDeadLetters', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetterQueue, {
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the forwarding rules (EventBridge rule targets), read by operators',
    });

    const controlBus = EventBus.fromEventBusArn(this, 'ControlBus', arns.eventBus(config.controlRegion, eventBusName(config.prefix)));
    const forward = () => new EventBusTarget(controlBus, { deadLetterQueue: this.deadLetterQueue });
    this.forwardAlarms = new Rule(this, 'ForwardAlarms', {
      description: `Forwards the in-Region heartbeat alarms of ${region} to the control Region (${config.controlRegion})`,
      eventPattern: asEventPattern(forwardedAlarmPattern(config.prefix)),
      targets: [forward()],
    });
    // One rule per 25 primaries: an event pattern may not exceed 2,048 characters.
    const rdsRules = forwardedRdsPatterns(this.databases).map(
      (pattern, i) =>
        new Rule(this, i === 0 ? 'ForwardRdsEvents' : `ForwardRdsEvents${i + 1}`, {
          description: `Forwards RDS events about the primaries in ${region} to the control Region (${config.controlRegion})`,
          eventPattern: asEventPattern(pattern),
          targets: [forward()],
        }),
    );
    this.forwardRdsEvents = rdsRules[0];
    this.forwardRdsEventRules = rdsRules;

    // The automation here: lost forwards and heartbeat errors. Alarms cannot notify a topic of
    // another Region: they are forwarded to the product bus by name (forwardAlarms), where a rule
    // tells the operators; in the control Region they notify the topic directly.
    const topicArn = `arn:${Stack.of(this).partition}:sns:${config.controlRegion}:${Stack.of(this).account}:${topicName(config.prefix)}`;
    this.automationAlarms = new AutomationAlarms(this, 'AutomationAlarms', {
      prefix: config.prefix,
      route: region === config.controlRegion ? { topic: Topic.fromTopicArn(this, 'Notifications', topicArn) } : { forwarded: true },
    });
    this.automationAlarms.deadLetters(
      'ForwardDeadLetters',
      this.deadLetterQueue,
      `forward-dead-letters-${region}`,
      `Heartbeat alarms or RDS events of ${region} that were not forwarded to the control Region`,
    );
    this.automationAlarms.functionErrors('HeartbeatErrors', this.heartbeat.function, `heartbeat-errors-${region}`);
  }
}
