/**
 * The failback workflow. For now an honest stub: it records "failback scheduled" in the
 * incident (with a notification) and ends, changing nothing. The failback issue (#4) replaces it
 * with the real workflow (wait for the original site, rebuild it as a replica, stability window,
 * approval, planned switchover).
 *
 * Input (from the failover workflow's "Schedule the failback" step):
 * `{ database, incidentId, epoch }`.
 */
import { Fail, JsonPath, Succeed, type IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { WorkflowFunction } from './failover.js';
import { lambdaStep } from './steps.js';

/** State names of the failback workflow. */
export const FAILBACK_STATES = {
  recordScheduled: 'Record that a failback is scheduled',
  notBuilt: 'Failback is not automated yet: nothing was changed',
  couldNotRecord: 'Could not record the failback',
} as const;

export interface FailbackDefinitionProps {
  readonly functions: { readonly 'record-incident': WorkflowFunction };
}

/** Builds the failback definition in `scope`. */
export function buildFailbackDefinition(scope: Construct, props: FailbackDefinitionProps): IChainable {
  const S = FAILBACK_STATES;
  const couldNotRecord = Fail.jsonPath(scope, S.couldNotRecord, { errorPath: '$.error.Error', causePath: '$.error.Cause' });
  const fn = props.functions['record-incident'];
  return lambdaStep(scope, S.recordScheduled, {
    function: fn.function,
    functionTimeout: fn.timeout,
    payload: {
      database: JsonPath.objectAt('$.database'),
      incidentId: JsonPath.stringAt('$.incidentId'),
      epoch: JsonPath.numberAt('$.epoch'),
      phase: 'failback-scheduled',
      notify: true,
      detail: { automated: false, note: 'The failback workflow is not built yet: nothing was changed. Fail back by hand when the original site is healthy.' },
    },
    resultPath: null,
    failure: { onError: couldNotRecord },
  }).next(Succeed.jsonPath(scope, S.notBuilt));
}
