/**
 * One of the product's Lambda functions, built the same way everywhere: Node.js 24 on arm64,
 * bundled with local esbuild from `lambdas/<name>/handler.ts` (split: what handlers import on
 * first use goes into chunks of its own, lib/bundling.ts), X-Ray tracing, JSON logs into an
 * explicit log group (retention, customer managed key), its own role with exactly the
 * permissions it is given (no AWS managed policies: the log permissions are a grant on its own log
 * group; what outgrows the role's default policy continues in customer managed policies of its
 * own, docs/scale.md), optionally attached to a VPC. Wildcard permissions come with their reason,
 * which becomes the acknowledgment of the matching cdk-nag finding on the policy that holds them.
 */
import { relative } from 'node:path';
import { Aws, Duration, Fn, RemovalPolicy, Tags } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, CfnFunction, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { NetworkConfig } from '../../lambdas/shared/config-schema.js';
import type { FunctionName } from '../../lambdas/shared/contracts.js';
import { BUNDLE_BANNER, BUNDLE_EXTERNALS, BUNDLE_MAIN_FIELDS, splitBundleCommand } from '../bundling.js';
import { acknowledgeWildcards, policyOf, type WildcardUse } from '../nag.js';
import { FUNCTION_TAG } from '../naming.js';
import { handlerEntry, LOCK_FILE, PROJECT_ROOT } from '../paths.js';
import { addPackedStatements, packStatements, type PackedStatement } from './policy-packing.js';

/** The wildcard uses of the statements that carry a reason (the acknowledgments of their policy). */
const wildcardUses = (items: readonly PackedStatement[]): WildcardUse[] =>
  items.flatMap((item) =>
    item.reason === undefined
      ? []
      : [
          ...item.statement.resources.map((resource) => ({ resource, reason: item.reason! })),
          ...item.statement.actions.map((action) => ({ action, reason: item.reason! })),
        ],
  );

/**
 * A suffix unique to one deployment of a stack (the first group of its stack id's GUID): names of
 * resources the stack retains (log groups) carry it, so a redeploy after `cdk destroy` does not
 * collide with the retained ones (docs/aws-behaviour.md, "Redeploying after cdk destroy"). Here,
 * not in naming.ts, which the twin loads without aws-cdk-lib.
 */
export const deploymentSuffix = (): string => Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))));

/** The Lambda runtime of every function: the newest Node.js the installed CDK knows (cdk-nag L1). */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

/** A permission that needs a wildcard resource or action, and why (becomes a cdk-nag acknowledgment). */
export interface WildcardGrant {
  readonly statement: PolicyStatement;
  readonly reason: string;
}

/** What a function may do beyond writing its own logs and traces. */
export interface FunctionPermissions {
  /** Statements scoped to named resources. */
  readonly statements: PolicyStatement[];
  /** Statements that need a wildcard, each with its reason. */
  readonly wildcards: WildcardGrant[];
}

export interface FailoverFunctionProps {
  /** Folder under `lambdas/` (the function's contract name). */
  readonly name: FunctionName;
  /** Physical function name. */
  readonly functionName: string;
  /** Key encrypting the log group. */
  readonly encryptionKey: IKey;
  /** Summary shown in the console. */
  readonly description: string;
  /**
   * Environment variables (POWERTOOLS_SERVICE_NAME is always set to `name`).
   * @default - only POWERTOOLS_SERVICE_NAME and NODE_OPTIONS
   */
  readonly environment?: Record<string, string>;
  /**
   * How long one invocation may run (the workflow's Task timeout adds a margin to it).
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB (CPU scales with it).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * What the function may do besides writing its own logs and traces.
   * @default - logs and traces only
   */
  readonly permissions?: FunctionPermissions;
  /**
   * VPC to attach to (functions that connect to databases, in a Region with a configured network).
   * @default - not attached to a VPC
   */
  readonly network?: NetworkConfig;
  /**
   * Concurrent executions reserved for (and the most allowed to) this function.
   * @default - no reservation (the account's unreserved pool)
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;
}

const XRAY: WildcardUse = {
  resource: '*',
  reason: 'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions',
};

/** The statement a function attached to a VPC needs (AWSLambdaVPCAccessExecutionRole, written out). */
export function vpcAccessGrant(): WildcardGrant {
  return {
    statement: new PolicyStatement({
      actions: [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      resources: ['*'],
    }),
    reason: 'VPC attachment: Lambda manages the network interfaces with ec2:*NetworkInterface* actions that have no resource-level permissions at creation',
  };
}

/** A Lambda function of the product with its role and log group. */
export class FailoverFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: Role;
  public readonly logGroup: LogGroup;
  /** The contract name (folder under `lambdas/`). */
  public readonly name: FunctionName;

  constructor(scope: Construct, id: string, props: FailoverFunctionProps) {
    super(scope, id);
    this.name = props.name;
    this.logGroup = new LogGroup(this, 'Logs', {
      // Retained: a suffix per deployment keeps a redeploy after `cdk destroy` from colliding.
      logGroupName: `/aws/lambda/${props.functionName}-${deploymentSuffix()}`,
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.functionName}`,
    });
    this.logGroup.grantWrite(this.role);

    const grants = [...(props.permissions?.wildcards ?? [])];
    if (props.network) grants.push(vpcAccessGrant());
    // Packed into the default policy and, past its budget, managed policies of their own, each
    // within IAM's size limit and with the acknowledgments of its own wildcards (docs/scale.md).
    const packing = packStatements(this, [
      ...(props.permissions?.statements ?? []).map((statement) => ({ statement })),
      ...grants.map((g) => ({ statement: g.statement, reason: g.reason })),
    ]);
    const managed = addPackedStatements(this, this.role, packing, `Permissions of ${props.functionName}`);

    this.function = new NodejsFunction(this, 'Function', {
      functionName: props.functionName,
      description: props.description,
      entry: handlerEntry(props.name),
      handler: 'handler',
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      ...(props.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      environment: { ...props.environment, POWERTOOLS_SERVICE_NAME: props.name, NODE_OPTIONS: '--enable-source-maps' },
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: LOCK_FILE,
      bundling: {
        format: OutputFormat.ESM,
        mainFields: BUNDLE_MAIN_FIELDS,
        minify: true,
        sourceMap: true,
        banner: BUNDLE_BANNER,
        externalModules: BUNDLE_EXTERNALS,
        // The same entry again, split: what handlers import() lazily leaves index.mjs (lib/bundling.ts).
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir, outputDir) => [splitBundleCommand(inputDir, outputDir, relative(PROJECT_ROOT, handlerEntry(props.name)))],
        },
      },
    });
    Tags.of(this.function).add(FUNCTION_TAG, props.name);

    if (props.network) {
      const cfn = this.function.node.defaultChild as CfnFunction;
      cfn.vpcConfig = { subnetIds: props.network.subnetIds, securityGroupIds: props.network.securityGroupIds };
      // Lambda checks the network-interface permissions when it creates the function.
      this.function.node.addDependency(this.role);
    }

    acknowledgeWildcards(policyOf(this.role), [XRAY, ...wildcardUses(packing.inline)]);
    for (const { policy, items } of managed) {
      acknowledgeWildcards(policy, wildcardUses(items));
      // The function runs only once every part of its permissions is attached.
      this.function.node.addDependency(policy);
    }
  }
}
