/**
 * Builds the errors the twin throws: the SDK v3 exception class with AWS's name when the client
 * package models it (so `instanceof DBInstanceNotFoundFault` and `err.name` both work), otherwise
 * the client's `ServiceException` base with the right `name`, `$fault` and HTTP status — which is
 * what SDK v3 itself throws for unmodelled error codes (docs/aws-behaviour.md §0, §9–10).
 */
import * as cfn from '@aws-sdk/client-cloudformation';
import * as cw from '@aws-sdk/client-cloudwatch';
import * as ddb from '@aws-sdk/client-dynamodb';
import * as ec2 from '@aws-sdk/client-ec2';
import * as evb from '@aws-sdk/client-eventbridge';
import * as fisSdk from '@aws-sdk/client-fis';
import * as lambda from '@aws-sdk/client-lambda';
import * as rds from '@aws-sdk/client-rds';
import * as r53 from '@aws-sdk/client-route-53';
import * as sm from '@aws-sdk/client-secrets-manager';
import * as sfn from '@aws-sdk/client-sfn';
import * as sns from '@aws-sdk/client-sns';

/** Service keys used in `apiCalls` ("rds:PromoteReadReplica") and in fault injection (docs/scenarios.md). */
export const SERVICES = [
  'rds',
  'route53',
  'dynamodb',
  'cloudwatch',
  'events',
  'ec2',
  'sns',
  'sfn',
  'cloudformation',
  'lambda',
  'secretsmanager',
  'fis',
] as const;
export type ServiceKey = (typeof SERVICES)[number];

type Ctor = new (opts: Record<string, unknown>) => Error;

interface ServiceModule {
  base: Ctor;
  mod: Record<string, unknown>;
  /** awsQuery / ec2 protocols expose the wire `Code` on the error. */
  queryProtocol: boolean;
}

const MODULES: Record<ServiceKey, ServiceModule> = {
  rds: { base: rds.RDSServiceException as unknown as Ctor, mod: rds, queryProtocol: true },
  route53: { base: r53.Route53ServiceException as unknown as Ctor, mod: r53, queryProtocol: false },
  dynamodb: { base: ddb.DynamoDBServiceException as unknown as Ctor, mod: ddb, queryProtocol: false },
  cloudwatch: { base: cw.CloudWatchServiceException as unknown as Ctor, mod: cw, queryProtocol: true },
  events: { base: evb.EventBridgeServiceException as unknown as Ctor, mod: evb, queryProtocol: false },
  ec2: { base: ec2.EC2ServiceException as unknown as Ctor, mod: ec2, queryProtocol: true },
  sns: { base: sns.SNSServiceException as unknown as Ctor, mod: sns, queryProtocol: true },
  sfn: { base: sfn.SFNServiceException as unknown as Ctor, mod: sfn, queryProtocol: false },
  cloudformation: { base: cfn.CloudFormationServiceException as unknown as Ctor, mod: cfn, queryProtocol: true },
  lambda: { base: lambda.LambdaServiceException as unknown as Ctor, mod: lambda, queryProtocol: false },
  secretsmanager: { base: sm.SecretsManagerServiceException as unknown as Ctor, mod: sm, queryProtocol: false },
  fis: { base: fisSdk.FisServiceException as unknown as Ctor, mod: fisSdk, queryProtocol: false },
};

/** Default HTTP status for a few well-known codes; everything else is a 400 client error. */
const STATUS: Record<string, number> = {
  AccessDenied: 403,
  UnauthorizedOperation: 403,
  InternalFailure: 500,
  InternalError: 500,
  InternalServiceError: 500,
  InternalServerError: 500,
  ServiceUnavailable: 503,
  ServiceUnavailableException: 503,
  RequestLimitExceeded: 503,
  TooManyRequestsException: 429,
  ThrottledException: 429,
  DBInstanceNotFoundFault: 404,
  DBClusterNotFoundFault: 404,
  GlobalClusterNotFoundFault: 404,
  DBSnapshotNotFoundFault: 404,
  NoSuchHostedZone: 404,
  NoSuchChange: 404,
  NoSuchHealthCheck: 404,
  NotFoundException: 404,
  ResourceNotFoundException: 404,
};

/** Wire codes that differ from the SDK name in awsQuery (docs/aws-behaviour.md §0). */
const WIRE_CODE: Record<string, string> = {
  DBInstanceNotFoundFault: 'DBInstanceNotFound',
  InvalidDBInstanceStateFault: 'InvalidDBInstanceState',
  DBInstanceAlreadyExistsFault: 'DBInstanceAlreadyExists',
  DBSnapshotAlreadyExistsFault: 'DBSnapshotAlreadyExists',
  DBSnapshotNotFoundFault: 'DBSnapshotNotFound',
  InvalidDBSnapshotStateFault: 'InvalidDBSnapshotState',
  SnapshotQuotaExceededFault: 'SnapshotQuotaExceeded',
  InstanceQuotaExceededFault: 'InstanceQuotaExceeded',
  InvalidParameterValueException: 'InvalidParameterValue',
  MissingRequiredParameterException: 'MissingParameter',
  InvalidParameterCombinationException: 'InvalidParameterCombination',
  ResourceNotFound: 'ResourceNotFound',
  NotFoundException: 'NotFound',
  AuthorizationErrorException: 'AuthorizationError',
  InvalidParameterException: 'InvalidParameter',
};

const SERVER_FAULT = (status: number): boolean => status >= 500;

export interface AwsErrorOptions {
  /** HTTP status; default from the table above, else 400. */
  readonly status?: number;
  /** Extra modelled members (e.g. `Item` on ConditionalCheckFailedException). */
  readonly members?: Record<string, unknown>;
}

/**
 * The error AWS would return, as SDK v3 throws it: `awsError('rds', 'DBInstanceNotFoundFault',
 * 'DBInstance x not found.')`. `name` is the SDK name.
 */
export function awsError(service: ServiceKey, name: string, message: string, options: AwsErrorOptions = {}): Error {
  const m = MODULES[service];
  const status = options.status ?? STATUS[name] ?? 400;
  const $metadata = { httpStatusCode: status, requestId: undefined, attempts: 1, totalRetryDelay: 0 };
  const candidate = m.mod[name];
  let err: Error & Record<string, unknown>;
  if (typeof candidate === 'function' && (candidate as { prototype?: unknown }).prototype instanceof m.base) {
    err = new (candidate as Ctor)({ message, $metadata, ...(options.members ?? {}) }) as Error & Record<string, unknown>;
  } else {
    err = new m.base({ name, $fault: SERVER_FAULT(status) ? 'server' : 'client', message, $metadata }) as Error & Record<string, unknown>;
    Object.assign(err, options.members ?? {});
  }
  // Modelled classes set `message` through the Error constructor; some generated classes also keep `Message`.
  if (m.queryProtocol) {
    err.Code = WIRE_CODE[name] ?? name;
    err.Type = SERVER_FAULT(status) ? 'Receiver' : 'Sender';
  }
  return err;
}

/** What a request that got no answer looks like after the SDK gave up (Region outage). */
export function timeoutError(service: ServiceKey, operation: string, region: string): Error {
  const err = new Error(`${service}:${operation} in ${region}: connection timed out (the Region does not answer)`) as Error & Record<string, unknown>;
  err.name = 'TimeoutError';
  err.code = 'ETIMEDOUT';
  err.$metadata = { attempts: 3, totalRetryDelay: 0 };
  return err;
}

/** The throttling error name of each service (docs/aws-behaviour.md §10). */
export const THROTTLING_ERROR: Record<ServiceKey, string> = {
  rds: 'Throttling',
  route53: 'Throttling',
  dynamodb: 'ThrottlingException',
  cloudwatch: 'Throttling',
  events: 'ThrottlingException',
  ec2: 'RequestLimitExceeded',
  sns: 'ThrottledException',
  sfn: 'ThrottlingException',
  cloudformation: 'Throttling',
  lambda: 'TooManyRequestsException',
  secretsmanager: 'ThrottlingException',
  fis: 'ThrottlingException',
};

/** Raised when a caller uses something the twin does not model: loud, never silently wrong. */
export class TwinUnsupportedError extends Error {
  override readonly name = 'TwinUnsupportedError';
}
