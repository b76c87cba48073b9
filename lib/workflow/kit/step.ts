/**
 * The step factory and the record helper of both workflows: a Lambda step with the product's retry
 * and catch policy (../steps.ts), bound to a workflow's functions, and the record-incident step
 * every phase uses to record (and tell) what happened.
 */
import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Chain, JsonPath, type RetryProps } from 'aws-cdk-lib/aws-stepfunctions';
import type { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { ERROR_NAMES } from '../../../lambdas/shared/errors.js';
import { lambdaStep, type FailurePath, type LambdaStepProps } from '../steps.js';

/** A function the workflow invokes, with its timeout (the Task's TimeoutSeconds adds a margin). */
export interface WorkflowFunction {
  readonly function: IFunction;
  readonly timeout: Duration;
}

/** Makes a Lambda step of function `fn` (a contract name of the workflow's functions). */
export type StepFn<F extends string> = (
  name: string,
  fn: F,
  payload: Record<string, unknown>,
  resultPath: string | null,
  /** Undefined: no catch-all into the failure path (the step gives its own catches). */
  failure: FailurePath | undefined,
  extra?: Partial<LambdaStepProps>,
) => LambdaInvoke;

/** The step factory of a workflow whose functions are `fns`. */
export function makeStep<F extends string>(scope: Construct, fns: Readonly<Record<F, WorkflowFunction>>): StepFn<F> {
  return (name, fn, payload, resultPath, failure, extra = {}) =>
    lambdaStep(scope, name, { function: fns[fn].function, functionTimeout: fns[fn].timeout, payload, resultPath, failure, ...extra });
}

/**
 * Records a phase of the incident (record-incident), told to the operators when `notify`. `key`
 * makes a second record of the same phase distinct (record-incident skips a key it has seen).
 */
export type RecordFn = (
  name: string,
  phase: string,
  detail: Record<string, unknown>,
  failure: FailurePath,
  notify?: boolean,
  key?: string | { path: string },
) => LambdaInvoke;

/** The run's ids in every record: the incident (a path per workflow), the lease's epoch, the drill marker. */
export const epoch = () => JsonPath.numberAt('$.lease.epoch');
export const db = () => JsonPath.objectAt('$.database');
/**
 * The run's drill marker, or null: `$.marker.drill`, set at the start of every path, so every
 * record of the run can pass it (JSONPath has no default for a missing field).
 */
export const drillMarker = (path = '$.marker.drill') => JsonPath.objectAt(path);

export function makeRecord(step: StepFn<'record-incident'>, incidentIdPath: string, drillPath?: string): RecordFn {
  return (name, phase, detail, failure, notify = false, key) =>
    step(
      name,
      'record-incident',
      {
        database: db(),
        incidentId: JsonPath.stringAt(incidentIdPath),
        epoch: epoch(),
        phase,
        detail,
        notify,
        drill: drillMarker(drillPath),
        ...(key === undefined ? {} : typeof key === 'string' ? { key } : { key: JsonPath.stringAt(key.path) }),
      },
      null,
      failure,
    );
}

/** Where a caught RecordOriginalsFirst goes (`{ Error, Cause }`), and where record-fence puts the merged fence record. */
export const FENCE_UNSAVED_PATH = '$.fenceUnsaved';
export const FENCE_SAVED_PATH = '$.fenceSaved';

/**
 * Fences a site (fence-primary) into `resultPath`, the fence record kept first: fence-primary
 * changes nothing whose original the record it is given does not hold, and throws
 * RecordOriginalsFirst with those instead (lambdas/shared/fence-record.ts). That error is caught
 * into `<name>: keep originals` (record-fence merges them into `FENCE#<incidentId>` and returns
 * the whole record), then `<name>, originals kept` invokes the fence again with that record (and
 * catches the same error the same way: a rule added meanwhile, more rules than one error
 * carries). A fence that changes nothing, or whose originals are kept already, takes no extra
 * state; one that does takes two. Errors of either function go to `failure`. The chain's end
 * states are both fences: `.next()` continues after either.
 */
export function fenceWithRecord(
  step: StepFn<'fence-primary' | 'record-fence'>,
  name: string,
  payload: { database: unknown; epoch: unknown; incidentId: unknown } & Record<string, unknown>,
  resultPath: string,
  failure: FailurePath,
): Chain {
  const unsaved = { errors: [ERROR_NAMES.recordOriginalsFirst], resultPath: FENCE_UNSAVED_PATH };
  const keep = step(
    `${name}: keep originals`,
    'record-fence',
    { database: JsonPath.stringAt('$.database.name'), incidentId: payload.incidentId, epoch: payload.epoch, unsaved: JsonPath.objectAt(FENCE_UNSAVED_PATH) },
    FENCE_SAVED_PATH,
    failure,
  );
  const again = step(`${name}, originals kept`, 'fence-primary', { ...payload, saved: JsonPath.objectAt(FENCE_SAVED_PATH) }, resultPath, failure, {
    catches: [{ ...unsaved, next: keep }],
  });
  keep.next(again);
  const first = step(name, 'fence-primary', payload, resultPath, failure, { catches: [{ ...unsaved, next: keep }] });
  return Chain.custom(first, [first, again], first);
}

/** verify-writes' "the write is not visible yet" (replication, DNS caches), retried a while before it counts as a failure. */
export const VERIFY_WRITES_RETRY: RetryProps = { errors: [ERROR_NAMES.writesNotYetVisible], interval: Duration.seconds(10), backoffRate: 1.5, maxAttempts: 8 };

/** Verifies writes through the DNS name (verify-writes), with {@link VERIFY_WRITES_RETRY}. */
export function verifyWritesStep(step: StepFn<'verify-writes'>, name: string, incidentIdPath: string, failure: FailurePath): LambdaInvoke {
  return step(name, 'verify-writes', { database: db(), incidentId: JsonPath.stringAt(incidentIdPath), epoch: epoch() }, '$.writes', failure, {
    extraRetries: [VERIFY_WRITES_RETRY],
  });
}
