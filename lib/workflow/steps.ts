/**
 * Building blocks of the workflows: a Lambda step with the product's retry and catch policy,
 * and the retry settings themselves. JSONPath only (the offline interpreter used as test oracle
 * runs no JSONata and no `Assign`).
 */
import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  Condition,
  IntegrationPattern,
  JitterType,
  JsonPath,
  Pass,
  Result,
  TaskInput,
  Timeout,
  WaitTime,
  type IChainable,
  type RetryProps,
} from 'aws-cdk-lib/aws-stepfunctions';
import { CallAwsService, LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { ERROR_NAMES, LAMBDA_SERVICE_ERRORS } from '../../lambdas/shared/errors.js';
import type { Arns } from '../arns.js';
import { pollingLoop } from './kit/loop.js';

/** Retry of Lambda service errors (docs/aws-behaviour.md §6), with full jitter. */
export const LAMBDA_SERVICE_RETRY: RetryProps = {
  errors: [...LAMBDA_SERVICE_ERRORS],
  interval: Duration.seconds(2),
  maxAttempts: 6,
  backoffRate: 2,
  jitterStrategy: JitterType.FULL,
};

/** Retry of the functions' transient errors (throttling, busy resources), with full jitter. */
export const TRANSIENT_RETRY: RetryProps = {
  errors: [...ERROR_NAMES.transient],
  interval: Duration.seconds(3),
  maxAttempts: 5,
  backoffRate: 2,
  jitterStrategy: JitterType.FULL,
};

/** Where failures go, and where the error lands in the state. */
export interface FailurePath {
  /** The state that handles every uncaught error (`States.ALL`). */
  readonly onError: IChainable;
  /** @default '$.error' */
  readonly resultPath?: string;
}

export interface LambdaStepProps {
  readonly function: IFunction;
  /** The function's input (its contract in lambdas/shared/contracts.ts). */
  readonly payload: Record<string, unknown>;
  /** Where the function's output goes; `null` discards it; `'$'` (rendered as no ResultPath, the default) replaces the input. */
  readonly resultPath: string | null;
  /** The function's own timeout: the task's TimeoutSeconds adds a margin to it. */
  readonly functionTimeout: Duration;
  /** Retries tried before the standard ones (e.g. WritesNotYetVisibleError). */
  readonly extraRetries?: RetryProps[];
  /** Catches tried before the `States.ALL` one. */
  readonly catches?: Array<{ errors: string[]; next: IChainable; resultPath?: string }>;
  /**
   * Where every other error goes.
   * @default - no catch-all (inside a Map iteration: the Map's own Catch handles it)
   */
  readonly failure?: FailurePath;
  /**
   * Invoke with `.waitForTaskToken` (the payload carries `$$.Task.Token`) and this timeout,
   * instead of a direct invoke bounded by the function's timeout.
   * @default - a direct invoke (the state receives the function's output)
   */
  readonly waitForTaskToken?: { readonly timeout: Timeout };
  readonly comment?: string;
}

/** Margin between a function's timeout and its Task's TimeoutSeconds (cold start, invoke overhead). */
export const TASK_TIMEOUT_MARGIN = Duration.seconds(15);

/**
 * A Task state that invokes a function directly (its ARN as Resource: the state receives the
 * function's output itself, nothing else), with an explicit TimeoutSeconds, the standard retries
 * and a catch of everything into the failure path.
 */
export function lambdaStep(scope: Construct, stateName: string, props: LambdaStepProps): LambdaInvoke {
  const callback = props.waitForTaskToken;
  const task = LambdaInvoke.jsonPath(scope, stateName, {
    lambdaFunction: props.function,
    payload: TaskInput.fromObject(props.payload),
    ...(callback
      ? { integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN, taskTimeout: callback.timeout }
      : { payloadResponseOnly: true, taskTimeout: Timeout.duration(props.functionTimeout.plus(TASK_TIMEOUT_MARGIN)) }),
    retryOnServiceExceptions: false,
    resultPath: props.resultPath === null ? JsonPath.DISCARD : props.resultPath === '$' ? undefined : props.resultPath,
    comment: props.comment,
  });
  for (const retry of props.extraRetries ?? []) task.addRetry(retry);
  task.addRetry(LAMBDA_SERVICE_RETRY);
  task.addRetry(TRANSIENT_RETRY);
  for (const c of props.catches ?? []) task.addCatch(c.next, { errors: c.errors, resultPath: c.resultPath ?? '$.error' });
  if (props.failure) task.addCatch(props.failure.onError, { errors: ['States.ALL'], resultPath: props.failure.resultPath ?? '$.error' });
  return task;
}

/** State names of a Route 53 INSYNC wait loop (each workflow names its own). */
export interface DnsWaitStates {
  readonly dnsPatience: string;
  readonly waitDns: string;
  readonly getChange: string;
  readonly countDns: string;
  readonly dnsInSync: string;
  /**
   * A second way in (the failover's DNS switch during the promotion): its patience, then a first
   * GetChange at once, without the wait (the change was sent long before).
   */
  readonly dnsPatienceAtOnce?: string;
}

/**
 * The bounded GetChange loop after a DNS switch, shared by both workflows: ask Route 53 (a direct
 * AWS SDK integration: Route 53 is global) every `interval` until the change is INSYNC, or `limit`
 * times (then go on: the writes through the DNS name are the real proof).
 */
export function buildDnsWait(
  scope: Construct,
  names: DnsWaitStates,
  timing: { interval: Duration; limit: number },
  arns: Arns,
  verifyWrites: IChainable,
  failure: FailurePath,
  /** Runs before each GetChange (the failover's fence attempt while the old primary is unfenced); returns the chain's start. */
  beforeCheck?: (getChange: IChainable) => IChainable,
  /** Given the second way in when `names.dnsPatienceAtOnce` is set (see there). */
  atOnce?: (entry: IChainable) => void,
): IChainable {
  const getChange = CallAwsService.jsonPath(scope, names.getChange, {
    service: 'route53',
    action: 'getChange',
    parameters: { Id: JsonPath.stringAt('$.dns.changeId') },
    iamResources: [arns.route53AnyChange()],
    iamAction: 'route53:GetChange',
    resultSelector: { status: JsonPath.stringAt('$.ChangeInfo.Status') },
    resultPath: '$.dnsChange',
    taskTimeout: Timeout.duration(Duration.seconds(30)),
  })
    .addRetry({
      errors: ['Route53.ThrottlingException', 'Route53.PriorRequestNotCompleteException', 'Route53.Route53Exception'],
      interval: Duration.seconds(2),
      maxAttempts: 5,
      backoffRate: 2,
      jitterStrategy: JitterType.FULL,
    })
    .addCatch(failure.onError, { errors: ['States.ALL'], resultPath: '$.error' });
  const loop = pollingLoop(
    scope,
    { patience: names.dnsPatience, wait: names.waitDns, count: names.countDns, decide: names.dnsInSync },
    {
      limit: timing.limit,
      interval: WaitTime.duration(timing.interval),
      call: getChange,
      done: Condition.stringEquals('$.dnsChange.status', 'INSYNC'),
      next: verifyWrites,
      giveUp: verifyWrites,
      waitFirst: true,
      beforeCall: beforeCheck,
    },
  );
  if (names.dnsPatienceAtOnce && atOnce) {
    atOnce(
      Pass.jsonPath(scope, names.dnsPatienceAtOnce, { result: Result.fromObject({ attempt: 0, limit: timing.limit }), resultPath: '$.checks' }).next(getChange),
    );
  }
  return loop.start;
}
