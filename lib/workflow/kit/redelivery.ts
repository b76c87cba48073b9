/**
 * The release that hands back a trigger (docs/design.md "No trigger is lost to a lease"): both
 * workflows release the lease through it where a real failure may have stood down behind them.
 * The release returns the trigger that stood down while this run held the lease (and clears it in
 * the same write); if there is one, it is put on the product bus as "Failover Trigger Redelivered",
 * and the database's trigger rule starts a new failover run for it, which verifies from scratch
 * (its cooldown and stale-trigger rules as for the original). A re-delivery that fails goes to the
 * run's failure path: the operators hear of it (the lease is already free).
 */
import { Duration } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Choice, Condition, JitterType, JsonPath as $, TaskInput, Timeout, type IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import { EventBridgePutEvents, type EventBridgePutEventsProps } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { DETAIL_TYPES } from '../../../lambdas/shared/contracts.js';
import { LEASE_EVENT_SOURCE } from '../../../lambdas/shared/names.js';
import type { FailurePath } from '../steps.js';
import type { StepFn } from './step.js';

/** The states of one release that may re-deliver. */
export interface RedeliveryNames {
  readonly release: string;
  readonly waited: string;
  readonly redeliver: string;
}

/**
 * The optimized PutEvents integration, allowed exactly one kind of event on the product bus: a
 * re-delivered trigger from the lease source (the task's own grant would allow any event there).
 */
class RedeliveryPutEvents extends EventBridgePutEvents {
  constructor(scope: Construct, id: string, props: EventBridgePutEventsProps & { readonly eventBus: IEventBus }) {
    super(scope, id, props);
    (this as unknown as { taskPolicies: PolicyStatement[] }).taskPolicies = [
      new PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [props.eventBus.eventBusArn],
        conditions: { StringEquals: { 'events:source': LEASE_EVENT_SOURCE, 'events:detail-type': DETAIL_TYPES.triggerRedelivered } },
      }),
    ];
  }
}

export interface ReleaseAndRedeliverProps {
  readonly scope: Construct;
  readonly step: StepFn<'manage-lease'>;
  readonly eventBus: IEventBus;
  readonly names: RedeliveryNames;
  /** manage-lease's release input (`action: 'release'` and the run's holder, database, incident). */
  readonly release: Record<string, unknown>;
  /** Where the database's configured name is (the trigger rule matches it). */
  readonly databaseNamePath: string;
  readonly failure: FailurePath;
  /** If given, must also hold for a re-delivery (otherwise the trigger is dropped: the release cleared it). */
  readonly when?: Condition;
}

/** The release (its output at `$.released`), the re-delivery of a trigger that waited, then `then`. */
export function releaseAndRedeliver(p: ReleaseAndRedeliverProps, then: IChainable): IChainable {
  const release = p.step(p.names.release, 'manage-lease', p.release, '$.released', p.failure);
  const redeliver = new RedeliveryPutEvents(p.scope, p.names.redeliver, {
    comment: 'A new failover run starts for it (the trigger rule of the database): it verifies from scratch.',
    eventBus: p.eventBus,
    taskTimeout: Timeout.duration(Duration.seconds(30)),
    entries: [
      {
        eventBus: p.eventBus,
        source: LEASE_EVENT_SOURCE,
        detailType: DETAIL_TYPES.triggerRedelivered,
        detail: TaskInput.fromObject({
          database: $.stringAt(p.databaseNamePath),
          trigger: $.objectAt('$.released.pendingTrigger'),
          releasedBy: $.executionId,
        }),
      },
    ],
    resultPath: $.DISCARD,
  });
  redeliver.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 4, jitterStrategy: JitterType.FULL });
  redeliver.addCatch(p.failure.onError, { errors: ['States.ALL'], resultPath: p.failure.resultPath ?? '$.error' });
  const waited = Condition.isPresent('$.released.pendingTrigger');
  release.next(
    Choice.jsonPath(p.scope, p.names.waited)
      .when(p.when ? Condition.and(waited, p.when) : waited, redeliver.next(then))
      .otherwise(then),
  );
  return release;
}
