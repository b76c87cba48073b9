/**
 * Where the operator commands (`failover status`, `history`, `plan`, `preflight`) run: AWS SDK v3
 * clients per Region with the operator's own credentials (the default provider chain), the
 * account, and the clock. The same clients answer from a real account or, with `--twin`, from the
 * cloud twin (its SDK twin replaces every client's `send` while a twin world is installed), so the
 * commands' code is the same in both.
 *
 * The SDK packages are imported when the environment is made (never at a command file's load).
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';

/** The clients of one Region. */
export interface RegionClients {
  cfn: CloudFormationClient;
  cloudwatch: CloudWatchClient;
  ddb: DynamoDBClient;
  ec2: EC2Client;
  events: EventBridgeClient;
  lambda: LambdaClient;
  rds: RDSClient;
  route53: Route53Client;
  secrets: SecretsManagerClient;
  sfn: SFNClient;
  sns: SNSClient;
}

/** What the operator commands read from. */
export interface OpsEnv {
  /** The clients of a Region (cached per Region). */
  clients(region: string): RegionClients;
  /** The account the credentials belong to (STS GetCallerIdentity on AWS); undefined when unknown. */
  account(): Promise<string | undefined>;
  /** Now (the twin's virtual time with `--twin`). */
  now(): Date;
  /** `aws` or `twin`: shown in the output, never used to change what is read. */
  readonly where: 'aws' | 'twin';
}

/** Loads the SDK client classes. */
async function clientClasses() {
  const [cfn, cw, ddb, ec2, events, lambda, rds, r53, secrets, sfn, sns] = await Promise.all([
    import('@aws-sdk/client-cloudformation'),
    import('@aws-sdk/client-cloudwatch'),
    import('@aws-sdk/client-dynamodb'),
    import('@aws-sdk/client-ec2'),
    import('@aws-sdk/client-eventbridge'),
    import('@aws-sdk/client-lambda'),
    import('@aws-sdk/client-rds'),
    import('@aws-sdk/client-route-53'),
    import('@aws-sdk/client-secrets-manager'),
    import('@aws-sdk/client-sfn'),
    import('@aws-sdk/client-sns'),
  ]);
  return (region: string): RegionClients => ({
    cfn: new cfn.CloudFormationClient({ region }),
    cloudwatch: new cw.CloudWatchClient({ region }),
    ddb: new ddb.DynamoDBClient({ region }),
    ec2: new ec2.EC2Client({ region }),
    events: new events.EventBridgeClient({ region }),
    lambda: new lambda.LambdaClient({ region }),
    rds: new rds.RDSClient({ region }),
    // Route 53 is global; its API lives in us-east-1 for the commercial partition.
    route53: new r53.Route53Client({ region }),
    secrets: new secrets.SecretsManagerClient({ region }),
    sfn: new sfn.SFNClient({ region }),
    sns: new sns.SNSClient({ region }),
  });
}

/**
 * An environment over SDK clients: the real account by default. `account` and `now` are given by
 * the twin; on AWS the account is asked of STS once.
 */
export async function sdkEnv(
  options: { where?: 'aws' | 'twin'; region?: string; account?: () => Promise<string | undefined>; now?: () => Date } = {},
): Promise<OpsEnv> {
  const make = await clientClasses();
  const cache = new Map<string, RegionClients>();
  let account: Promise<string | undefined> | undefined;
  return {
    where: options.where ?? 'aws',
    clients: (region) => {
      let c = cache.get(region);
      if (!c) cache.set(region, (c = make(region)));
      return c;
    },
    account: () =>
      (account ??= (
        options.account ??
        (async () => {
          // Unknown when the credentials cannot say (the calls that need it then fail, naming why).
          try {
            const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
            return (await new STSClient({ region: options.region ?? 'us-east-1' }).send(new GetCallerIdentityCommand({}))).Account;
          } catch {
            return undefined;
          }
        })
      )()),
    now: options.now ?? (() => new Date()),
  };
}

/** An AWS call that failed, with what it was asked of (account, Region, resource) and how to fix it. */
export class OpsCallError extends Error {
  override readonly name = 'OpsCallError';
  constructor(
    readonly call: string,
    readonly region: string,
    readonly resource: string,
    readonly awsError: string,
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'TokenRefreshRequired',
]);
const PERMISSION_ERRORS = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'AuthorizationErrorException']);

/** How to fix a failed call, by the error's kind. */
export function hintFor(errorName: string, call: string, account: string | undefined): string {
  if (CREDENTIAL_ERRORS.has(errorName))
    return 'no valid AWS credentials: sign in (aws sso login, or set AWS_PROFILE) for the account that runs the failover, then run again';
  if (PERMISSION_ERRORS.has(errorName)) {
    const [service, op] = call.split(':');
    return `your identity may not call ${service}:${op}${account ? ` in account ${account}` : ''}: add it to your role (README, "Operating it", lists the read-only calls of status, history, plan and preflight)`;
  }
  if (
    errorName === 'ResourceNotFoundException' ||
    errorName === 'ValidationError' ||
    errorName.endsWith('NotFound') ||
    errorName.endsWith('NotFoundFault') ||
    errorName === 'StateMachineDoesNotExist' ||
    errorName === 'NoSuchHostedZone'
  ) {
    return 'it does not exist there: is the stack deployed (cdk deploy --all) with this config, in this account and Region?';
  }
  return 'see the AWS error; run again when it is transient (throttling, timeouts)';
}

/**
 * Runs one read call; a failure becomes an {@link OpsCallError} naming the call, the account, the
 * Region and the resource, and saying how to fix it.
 */
export async function readCall<T>(env: OpsEnv, call: string, region: string, resource: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof OpsCallError) throw err;
    const e = err as { name?: string; message?: string };
    const name = e?.name && e.name !== 'Error' ? e.name : 'Error';
    let account: string | undefined;
    try {
      account = CREDENTIAL_ERRORS.has(name) ? undefined : await env.account();
    } catch {
      account = undefined;
    }
    const where = `${account ? `account ${account}, ` : ''}${region}`;
    throw new OpsCallError(
      call,
      region,
      resource,
      name,
      `${call} on ${resource} (${where}) failed: ${name}: ${e?.message ?? String(err)}`,
      hintFor(name, call, account),
    );
  }
}
