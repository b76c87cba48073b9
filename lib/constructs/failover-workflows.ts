/**
 * The two state machines (Standard): failover and failback. Both log every event (ALL, without
 * execution data: approval steps carry task tokens) to a log group encrypted with the stack's
 * key, and trace with X-Ray.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { Arns } from '../arns.js';
import { acknowledgeWildcards, policyOf } from '../nag.js';
import { stateMachineNames } from '../naming.js';
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
}

/** The failover and failback state machines. */
export class FailoverWorkflows extends Construct {
  public readonly failover: StateMachine;
  public readonly failback: StateMachine;

  constructor(scope: Construct, id: string, props: FailoverWorkflowsProps) {
    super(scope, id);
    const arns = props.arns ?? new Arns();
    const logGroup = (name: string) =>
      new LogGroup(this, `${name}Logs`, {
        logGroupName: `/aws/vendedlogs/states/${name === 'Failover' ? stateMachineNames.failover(props.prefix) : stateMachineNames.failback(props.prefix)}`,
        retention: RetentionDays.ONE_YEAR,
        encryptionKey: props.encryptionKey,
        removalPolicy: RemovalPolicy.RETAIN,
      });

    const failbackScope = new Construct(this, 'FailbackDefinition');
    this.failback = new StateMachine(this, 'Failback', {
      stateMachineName: stateMachineNames.failback(props.prefix),
      stateMachineType: StateMachineType.STANDARD,
      comment: 'Fails back to the original site once it is healthy again: rebuild, stability window, approval by policy, gradual drain, zero-data-loss switchover.',
      definitionBody: DefinitionBody.fromChainable(buildFailbackDefinition(failbackScope, { functions: props.failbackFunctions, arns })),
      logs: { destination: logGroup('Failback'), level: LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });

    const failoverScope = new Construct(this, 'FailoverDefinition');
    this.failover = new StateMachine(this, 'Failover', {
      stateMachineName: stateMachineNames.failover(props.prefix),
      stateMachineType: StateMachineType.STANDARD,
      comment: 'Verified, fenced, budget-guarded cross-Region failover of one database (the database comes in the input).',
      definitionBody: DefinitionBody.fromChainable(buildFailoverDefinition(failoverScope, { functions: props.functions, failback: this.failback, arns })),
      logs: { destination: logGroup('Failover'), level: LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });

    const common = [
      { resource: '*', reason: 'Logging to CloudWatch Logs (logs:*LogDelivery*, logs:PutResourcePolicy, logs:Describe*) and X-Ray tracing have no resource-level permissions' },
    ];
    const invokes = (fns: { function: { functionArn: string } }[]) =>
      fns.map((f) => ({ resource: `${f.function.functionArn}:*`, reason: 'Invokes this one function; the :* form covers its versions and aliases (how Step Functions grants lambda:InvokeFunction)' }));
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
