/**
 * The one error path of a workflow: record the error (told to the operators), then fail with the
 * lease still held, so nothing else acts on the database until a human looks.
 */
import { Fail, JsonPath, Pass, type Chain, type IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import type { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { FailurePath } from '../steps.js';
import type { WorkflowError } from './names.js';
import { db, drillMarker, epoch, type StepFn } from './step.js';

export interface EscalationProps {
  /** State names: the record, and the Fail state that keeps the lease. */
  readonly names: { readonly escalate: string; readonly needsOperator: string };
  /** The workflow's noun in the Fail state's comment ("run", "failback"). */
  readonly what: string;
  readonly incidentIdPath: string;
  /** Where the run's drill marker is. @default '$.marker.drill' */
  readonly drillPath?: string;
  /** Extra detail next to the error (e.g. the failover's incident, for a failback). */
  readonly detail?: Record<string, unknown>;
}

export interface Escalation {
  /** Records the error at `$.error` and tells the operators; its own errors go to `keepLeaseAndStop`. */
  readonly keepLeaseAndEscalate: LambdaInvoke;
  /** Fails the run with `$.error`: the lease stays held. */
  readonly keepLeaseAndStop: Fail;
  /** The failure path of every other step: the escalation. */
  readonly failure: FailurePath;
  /** The failure path of the escalation's own steps: stop at once (never back into the escalation). */
  readonly onlyFail: FailurePath;
}

/** Builds the escalation; wire `keepLeaseAndEscalate`'s next (`keepLeaseAndStop`, or a last duty before it). */
export function escalationPath(scope: Construct, step: StepFn<'record-incident'>, props: EscalationProps): Escalation {
  const keepLeaseAndStop = Fail.jsonPath(scope, props.names.needsOperator, {
    comment: `The ${props.what} stopped on an error it cannot handle. The lease stays held: nothing else acts on this database until a human looks.`,
    errorPath: '$.error.Error',
    causePath: '$.error.Cause',
  });
  const onlyFail: FailurePath = { onError: keepLeaseAndStop, resultPath: '$.escalationError' };
  const keepLeaseAndEscalate = step(
    props.names.escalate,
    'record-incident',
    {
      database: db(),
      incidentId: JsonPath.stringAt(props.incidentIdPath),
      epoch: epoch(),
      phase: 'escalated',
      notify: true,
      detail: { error: JsonPath.objectAt('$.error'), ...props.detail },
      drill: drillMarker(props.drillPath),
    },
    null,
    onlyFail,
  );
  return { keepLeaseAndEscalate, keepLeaseAndStop, failure: { onError: keepLeaseAndEscalate }, onlyFail };
}

/** A Pass that puts `{ Error, Cause }` at `$.error` (the cause a path, `States.Format(...)` or an intrinsic), then `next` (the escalation). */
export function raiseError(scope: Construct, name: string, error: WorkflowError, cause: string, next: IChainable): Chain {
  return Pass.jsonPath(scope, name, { parameters: { Error: error, 'Cause.$': cause }, resultPath: '$.error' }).next(next);
}
