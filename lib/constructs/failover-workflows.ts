/**
 * The two state machines (Standard): failover and failback. Both log every event (ALL, without
 * execution data: approval steps carry task tokens) to a log group encrypted with the stack's
 * key, and trace with X-Ray. Their definitions and execution histories (which hold the approval
 * steps' task tokens) are encrypted with a key of their own whose policy lets only the two
 * state machines, manage-lease (DescribeExecution) and the configured history readers decrypt
 * (docs/aws-behaviour.md, "Step Functions encryption with a customer managed key").
 */
import { Aws, DefaultStackSynthesizer, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccountRootPrincipal, ArnPrincipal, PolicyDocument, PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CustomerManagedEncryptionConfiguration, DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { Arns } from '../arns.js';
import { acknowledgeWildcards, policyOf } from '../nag.js';
import { stateMachineNames } from '../naming.js';
import { deploymentSuffix } from './failover-function.js';
import { buildFailbackDefinition, type FailbackWorkflowFunctions } from '../workflow/failback.js';
import { buildFailoverDefinition, type FailoverWorkflowFunctions } from '../workflow/failover.js';

export interface FailoverWorkflowsProps {
  readonly prefix: string;
  readonly functions: FailoverWorkflowFunctions;
  /** The functions the failback workflow invokes. */
  readonly failbackFunctions: FailbackWorkflowFunctions;
  /** Encrypts the log groups. */
  readonly encryptionKey: IKey;
  readonly arns?: Arns;
  /** The product bus (a failover run re-delivers there a trigger that waited for its lease). */
  readonly eventBus: IEventBus;
  /** Roles that read executions (manage-lease: DescribeExecution): may decrypt the workflows' data. */
  readonly executionReaders?: IRole[];
  /** IAM principal ARNs (operators, auditors) that may decrypt the execution history. @default none */
  readonly historyReaderArns?: readonly string[];
  /** The databases a `gameDay` drills: their real runs stop their drill experiments first. @default none */
  readonly drillPairs?: readonly string[];
}

/** Key administration without the right to decrypt (kms:Decrypt is granted by name below). */
const KEY_ADMIN_ACTIONS = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
];

/** The failover and failback state machines. */
export class FailoverWorkflows extends Construct {
  public readonly failover: StateMachine;
  public readonly failback: StateMachine;
  /** Encrypts both state machines' definitions and execution histories (task tokens included). */
  public readonly key: Key;

  constructor(scope: Construct, id: string, props: FailoverWorkflowsProps) {
    super(scope, id);
    const arns = props.arns ?? new Arns();
    const machineArns = [stateMachineNames.failover(props.prefix), stateMachineNames.failback(props.prefix)].map(
      (name) => `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:stateMachine:${name}`,
    );
    const ofTheWorkflows = { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': machineArns } };
    this.key = new Key(this, 'Key', {
      description: 'RDS failover: the state machines (definitions and execution histories, approval task tokens included)',
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
      // No `kms:*` for the account: IAM policies alone cannot grant kms:Decrypt on this key.
      policy: new PolicyDocument({
        statements: [
          new PolicyStatement({ sid: 'AdministerTheKey', principals: [new AccountRootPrincipal()], actions: KEY_ADMIN_ACTIONS, resources: ['*'] }),
          // Starting executions and answering task tokens encrypt; reading them needs kms:Decrypt below.
          new PolicyStatement({
            sid: 'EncryptWorkflowData',
            principals: [new AccountRootPrincipal()],
            actions: ['kms:GenerateDataKey', 'kms:DescribeKey'],
            resources: ['*'],
            conditions: ofTheWorkflows,
          }),
        ],
      }),
    });
    const decrypters: { sid: string; principals: (IRole | string)[] }[] = [
      { sid: 'ExecutionReadersDecrypt', principals: props.executionReaders ?? [] },
      { sid: 'HistoryReadersDecrypt', principals: [...(props.historyReaderArns ?? [])] },
    ];
    const encryption = new CustomerManagedEncryptionConfiguration(this.key, Duration.minutes(5));
    const logGroup = (name: string) =>
      new LogGroup(this, `${name}Logs`, {
        // Retained: a suffix per deployment keeps a redeploy after `cdk destroy` from colliding.
        logGroupName: `/aws/vendedlogs/states/${name === 'Failover' ? stateMachineNames.failover(props.prefix) : stateMachineNames.failback(props.prefix)}-${deploymentSuffix()}`,
        retention: RetentionDays.ONE_YEAR,
        encryptionKey: props.encryptionKey,
        removalPolicy: RemovalPolicy.RETAIN,
      });

    const failbackScope = new Construct(this, 'FailbackDefinition');
    this.failback = new StateMachine(this, 'Failback', {
      stateMachineName: stateMachineNames.failback(props.prefix),
      stateMachineType: StateMachineType.STANDARD,
      comment:
        'Fails back to the original site once it is healthy again: rebuild, stability window, approval by policy, gradual drain, zero-data-loss switchover.',
      definitionBody: DefinitionBody.fromChainable(
        buildFailbackDefinition(failbackScope, { functions: props.failbackFunctions, eventBus: props.eventBus, arns }),
      ),
      logs: { destination: logGroup('Failback'), level: LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
      encryptionConfiguration: encryption,
    });

    const failoverScope = new Construct(this, 'FailoverDefinition');
    this.failover = new StateMachine(this, 'Failover', {
      stateMachineName: stateMachineNames.failover(props.prefix),
      stateMachineType: StateMachineType.STANDARD,
      comment: 'Verified, fenced, budget-guarded cross-Region failover of one database (the database comes in the input).',
      definitionBody: DefinitionBody.fromChainable(
        buildFailoverDefinition(failoverScope, {
          functions: props.functions,
          failback: this.failback,
          eventBus: props.eventBus,
          arns,
          prefix: props.prefix,
          drillPairs: props.drillPairs,
        }),
      ),
      logs: { destination: logGroup('Failover'), level: LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
      encryptionConfiguration: encryption,
    });
    // The state machines themselves (the failover one also starts the failback), then the readers.
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'StateMachinesUseTheKey',
        principals: [this.failover.role, this.failback.role],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: ofTheWorkflows,
      }),
    );
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'StateMachinesLogDelivery',
        principals: [this.failover.role, this.failback.role],
        actions: ['kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:EncryptionContext:SourceArn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:*` } },
      }),
    );
    for (const d of decrypters) {
      if (d.principals.length === 0) continue;
      this.key.addToResourcePolicy(
        new PolicyStatement({
          sid: d.sid,
          principals: d.principals.map((p) => (typeof p === 'string' ? new ArnPrincipal(p) : p)),
          actions: ['kms:Decrypt'],
          resources: ['*'],
          conditions: ofTheWorkflows,
        }),
      );
    }
    // CloudFormation reads and updates the encrypted definitions as the bootstrap's execution
    // role (assumable by CloudFormation only): it must decrypt too, or stack updates fail.
    const synthesizer = Stack.of(this).synthesizer;
    if (synthesizer instanceof DefaultStackSynthesizer) {
      this.key.addToResourcePolicy(
        new PolicyStatement({
          sid: 'DeploymentUpdatesTheStateMachines',
          principals: [new ArnPrincipal(Fn.sub(synthesizer.cloudFormationExecutionRoleArn))],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: ['*'],
          conditions: ofTheWorkflows,
        }),
      );
    }
    for (const role of props.executionReaders ?? []) {
      role.addToPrincipalPolicy(new PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.key.keyArn], conditions: ofTheWorkflows }));
    }

    const common = [
      {
        resource: '*',
        reason: 'Logging to CloudWatch Logs (logs:*LogDelivery*, logs:PutResourcePolicy, logs:Describe*) and X-Ray tracing have no resource-level permissions',
      },
    ];
    const invokes = (fns: { function: { functionArn: string } }[]) =>
      fns.map((f) => ({
        resource: `${f.function.functionArn}:*`,
        reason: 'Invokes this one function; the :* form covers its versions and aliases (how Step Functions grants lambda:InvokeFunction)',
      }));
    acknowledgeWildcards(policyOf(this.failback.role), [
      ...common,
      ...invokes(Object.values(props.failbackFunctions)),
      { resource: arns.route53AnyChange(), reason: 'route53:GetChange: the change id is only known once the DNS record is switched back' },
    ]);
    acknowledgeWildcards(policyOf(this.failover.role), [
      ...common,
      ...invokes(Object.values(props.functions)),
      { resource: arns.route53AnyChange(), reason: 'route53:GetChange: the change id is only known once the DNS record is switched' },
    ]);
  }
}
