/**
 * The product's typed errors. Step Functions matches Retry/Catch on `error.name`, and bundling
 * mangles `constructor.name`, so every class sets `name` explicitly. `lib/` imports
 * {@link ERROR_NAMES} so the workflow retries and catches exactly what the functions throw.
 *
 * Transient errors (retried by the workflow with backoff and jitter) extend {@link TransientError};
 * terminal errors (caught, escalated to the operators, lease kept) extend {@link TerminalError}.
 */
export abstract class FailoverError extends Error {
  abstract override readonly name: string;
  /** Extra machine-readable facts for the incident record; never secrets or tokens. */
  readonly details: Record<string, unknown>;
  /**
   * @param options.cause the error this one wraps (an AWS SDK error, kept whole for the logs and
   * for callers that look inside; Step Functions sees only `name` and `message`)
   */
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.details = details;
  }
}

/** A failure that may pass on its own: throttling, a busy resource, a network blip. Retried. */
export abstract class TransientError extends FailoverError {}

/** A failure that retrying will not fix. Escalated to the operators; the lease stays held. */
export abstract class TerminalError extends FailoverError {}

/** An AWS call failed with a throttling, 5xx, timeout or "busy" error after the SDK's own retries. */
export class TransientAwsError extends TransientError {
  override readonly name = 'TransientAwsError';
}

/** The resource is mid-change (e.g. `InvalidDBInstanceState` while modifying); try again later. */
export class ResourceBusyError extends TransientError {
  override readonly name = 'ResourceBusyError';
}

/** Writes through the DNS name did not succeed yet (DNS TTL, instance still rebooting). */
export class WritesNotYetVisibleError extends TransientError {
  override readonly name = 'WritesNotYetVisibleError';
}

/** The event that started the workflow is malformed, foreign or not about this database. */
export class InvalidTriggerError extends TerminalError {
  override readonly name = 'InvalidTriggerError';
}

/** The input a function received does not match its schema (a bug or a forged start). */
export class InvalidInputError extends TerminalError {
  override readonly name = 'InvalidInputError';
}

/** What a function returns does not match its contract (a bug of the function): never passed on. */
export class InvalidOutputError extends TerminalError {
  override readonly name = 'InvalidOutputError';
}

/** An AWS call failed with an error that retrying will not fix (access denied, not found, ...). */
export class AwsCallFailedError extends TerminalError {
  override readonly name = 'AwsCallFailedError';
}

/** The standby cannot be promoted (not a replica of the primary, wrong state, missing). */
export class PromotionFailedError extends TerminalError {
  override readonly name = 'PromotionFailedError';
}

/** The DNS record could not be switched, or it points somewhere unexpected. */
export class DnsSwitchFailedError extends TerminalError {
  override readonly name = 'DnsSwitchFailedError';
}

/** Writes through the DNS name still fail after every retry. */
export class WritesFailedError extends TerminalError {
  override readonly name = 'WritesFailedError';
}

/**
 * A failback step cannot go on without a human: the old primary cannot be preserved (wrong state,
 * snapshot failed), its identifier is taken by something unexpected, the rebuilt replica cannot be
 * created. Nothing was deleted; the failback escalates with the lease held.
 */
export class FailbackStepFailedError extends TerminalError {
  override readonly name = 'FailbackStepFailedError';
}

/** start-fault-experiment: no experiment template of this prefix is tagged for the drill pair and fault (not deployed, or another Region). */
export class NoExperimentTemplate extends TerminalError {
  override readonly name = 'NoExperimentTemplate';
}

/** start-fault-experiment: several templates carry the same tags: the product never deploys that, and a drill must not guess which fault it injects. */
export class AmbiguousExperimentTemplate extends TerminalError {
  override readonly name = 'AmbiguousExperimentTemplate';
}

/**
 * fence-primary would change something whose original the fence record it was given does not
 * hold: nothing was changed. The message is the part of the record to keep first (JSON of a
 * FenceRecord, lambdas/shared/fence-record.ts); the workflow catches this error by name, has
 * record-fence merge it into the record, and invokes the fence again with the merged record.
 * Neither transient nor terminal: a step, not a failure.
 */
export class RecordOriginalsFirst extends FailoverError {
  override readonly name = 'RecordOriginalsFirst';
  /** @param unsaved the part of the fence record to keep (a FenceRecord: this module imports nothing) */
  constructor(unsaved: { revoked: readonly unknown[]; isolated: readonly unknown[] }) {
    super(JSON.stringify(unsaved));
  }
}

/** Why an approval answer was refused (see {@link ApprovalRefusedError}). */
export type ApprovalRefusal = 'not-found' | 'expired' | 'already-decided';

/**
 * An answer to an approval request was refused: the id is unknown, the request expired (or the
 * workflow stopped waiting), or it was already answered. Thrown by `lambdas/shared/approvals.ts`
 * to the CLI, the approval page and the cloud twin; never by a workflow step.
 */
export class ApprovalRefusedError extends TerminalError {
  override readonly name = 'ApprovalRefusedError';
  /** Machine-readable reason, for the CLI's exit code and the page's status. */
  readonly why: ApprovalRefusal;
  constructor(why: ApprovalRefusal, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, { ...details, why }, options);
    this.why = why;
  }
}

/** Every error name the functions throw, for Retry/Catch in `lib/`. */
export const ERROR_NAMES = {
  transient: ['TransientAwsError', 'ResourceBusyError'] as const,
  writesNotYetVisible: 'WritesNotYetVisibleError',
  invalidTrigger: 'InvalidTriggerError',
  invalidInput: 'InvalidInputError',
  /** lambdas/shared/handler.ts: an output that breaks its contract (escalated like any terminal error). */
  invalidOutput: 'InvalidOutputError',
  awsCallFailed: 'AwsCallFailedError',
  promotionFailed: 'PromotionFailedError',
  dnsSwitchFailed: 'DnsSwitchFailedError',
  writesFailed: 'WritesFailedError',
  failbackStepFailed: 'FailbackStepFailedError',
  /** start-fault-experiment (lambdas/start-fault-experiment/core.ts): no template, or several, for a drill's fault. */
  noExperimentTemplate: 'NoExperimentTemplate',
  ambiguousExperimentTemplate: 'AmbiguousExperimentTemplate',
  /** fence-primary (lambdas/shared/fence-record.ts): keep these originals in the fence record first; nothing was changed. */
  recordOriginalsFirst: 'RecordOriginalsFirst',
} as const;

/** The Lambda service errors Step Functions recommends retrying (docs/aws-behaviour.md §6, CDK default). */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;
