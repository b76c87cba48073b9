/**
 * The customer managed key of one stack: encrypts its log groups, and in the control Region
 * also the table, the topic and the dead-letter queue. Rotation is on. The key policy lets
 * CloudWatch Logs (this Region's log groups only) and, where a dead-letter queue uses the key,
 * EventBridge (this Region's rules of this account only) use it; everything else goes through IAM.
 */
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface FailoverKeyProps {
  /** Alias, without `alias/`. */
  readonly alias: string;
  readonly description: string;
  /**
   * Let EventBridge encrypt messages with this key (a dead-letter queue of rule targets uses it).
   * @default false
   */
  readonly allowEventBridge?: boolean;
  /**
   * Let CloudWatch alarms publish to a topic encrypted with this key (alarm actions).
   * @default false
   */
  readonly allowCloudWatchAlarms?: boolean;
}

/** A rotating KMS key usable by this Region's CloudWatch Logs (and optionally EventBridge). */
export class FailoverKey extends Construct {
  public readonly key: Key;

  constructor(scope: Construct, id: string, props: FailoverKeyProps) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      alias: `alias/${props.alias}`,
      description: props.description,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchLogsOfThisRegion',
        principals: [new ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*` },
        },
      }),
    );
    if (props.allowCloudWatchAlarms) {
      // An alarm action on an encrypted topic needs the key policy to let CloudWatch use the key
      // (docs/aws-behaviour.md, "Watching the automation").
      this.key.addToResourcePolicy(
        new PolicyStatement({
          sid: 'AllowCloudWatchAlarmActions',
          principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
        }),
      );
    }
    if (props.allowEventBridge) {
      this.key.addToResourcePolicy(
        new PolicyStatement({
          sid: 'AllowEventBridgeDeadLetters',
          principals: [new ServicePrincipal('events.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: ['*'],
          conditions: { ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/*` } },
        }),
      );
    }
  }
}
