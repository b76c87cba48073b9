/**
 * Classifies an AWS SDK v3 error (after the SDK's own retries) into the product's typed errors,
 * following docs/aws-behaviour.md §10: throttling, 5xx, timeouts and "busy" states are transient (the
 * workflow retries them with backoff and jitter); everything else is terminal.
 */
import { AwsCallFailedError, ResourceBusyError, TransientAwsError, type FailoverError } from './errors.js';

const THROTTLING = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
const TRANSIENT = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalFailure',
  'InternalError',
  'InternalServiceError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'AbortError',
]);
/** States that mean "the resource is mid-change", worth waiting for. */
const BUSY = new Set(['InvalidDBInstanceStateFault', 'InvalidDBInstanceState', 'InvalidDBClusterStateFault', 'InvalidGlobalClusterStateFault']);

export interface AwsErrorLike {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The error's AWS name (SDK v3 `name`, or a Node error code). */
export const awsErrorName = (err: unknown): string => {
  const e = err as AwsErrorLike;
  return e?.name && e.name !== 'Error' ? e.name : (e?.code ?? 'Error');
};

export const isThrottling = (err: unknown): boolean => THROTTLING.has(awsErrorName(err));

/** Throttling, 5xx or a network timeout: the call may succeed later. */
export const isTransient = (err: unknown): boolean => {
  const name = awsErrorName(err);
  const status = (err as AwsErrorLike)?.$metadata?.httpStatusCode ?? 0;
  return THROTTLING.has(name) || TRANSIENT.has(name) || status === 429 || status >= 500;
};

/** A timeout or connection failure: the endpoint did not answer (e.g. a Region outage). */
export const isUnreachable = (err: unknown): boolean =>
  ['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ETIMEDOUT', 'ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'AbortError'].includes(
    awsErrorName(err),
  );

/**
 * Wraps an SDK error into a typed error for Step Functions. `busyIsTransient` treats
 * `InvalidDBInstanceState` and friends as "try again later" (right while an instance is modifying,
 * wrong where the state is final: callers decide). The SDK error is kept as the typed error's
 * `cause`.
 */
export function toFailoverError(err: unknown, operation: string, busyIsTransient = false): FailoverError {
  const name = awsErrorName(err);
  const message = `${operation} failed: ${name}: ${(err as AwsErrorLike)?.message ?? String(err)}`;
  const details = { operation, awsError: name };
  const options = { cause: err };
  if (isTransient(err)) return new TransientAwsError(message, details, options);
  if (busyIsTransient && BUSY.has(name)) return new ResourceBusyError(message, details, options);
  return new AwsCallFailedError(message, details, options);
}
