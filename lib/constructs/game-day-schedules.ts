/**
 * Game-day schedules (docs/game-days.md "Schedules"): for every database whose `gameDay.schedule`
 * is set, an EventBridge Scheduler schedule that puts a "Drill Requested" event for its drill pair
 * on the product bus (`scheduled: true`, the fault `gameDay.scheduledFault` or the first of
 * `gameDay.faults`). The database's drill rule (database-triggers.ts) turns it into a drill run of
 * the failover workflow, which starts the fault experiment itself.
 *
 * One schedule group for the deployment, one execution role for its schedules (both in the control
 * stack, named so that the `databases` stacks reach them by name): trusted by scheduler.amazonaws.com
 * from this account only, allowed `events:PutEvents` on the product bus and nothing else, plus
 * sending to the trigger dead-letter queue (and the key that encrypts it), where Scheduler puts
 * what it could not deliver after its retries. Each schedule lives in the stack of its database's
 * triggers (docs/scale.md), so the control template does not grow with the number of game days.
 * Flexible time window off: the drill starts at the minute the operators were told.
 * docs/aws-behaviour.md "EventBridge Scheduler".
 */
import { Aws, type CfnResource } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { CfnSchedule, CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DatabaseConfig, GameDayFault } from '../../lambdas/shared/config-schema.js';
import { DETAIL_TYPES } from '../../lambdas/shared/contracts.js';
import { drillScheduleGroupName, drillScheduleName, drillSchedulerRoleName, GAME_DAY_EVENT_SOURCE } from '../../lambdas/shared/names.js';

/** How long Scheduler keeps retrying to put a drill request, and how often, before the dead-letter queue. */
export const DRILL_SCHEDULE_RETRY = { maximumEventAgeSeconds: 3600, maximumRetryAttempts: 10 } as const;

/** The "Drill Requested" detail a database's schedule puts on the bus. */
export function scheduledDrillDetail(database: DatabaseConfig): { database: string; requestedFor: string; fault: GameDayFault; scheduled: true } {
  const game = database.gameDay;
  if (!game?.schedule) throw new Error(`database "${database.name}" has no gameDay.schedule`);
  return { database: game.drillPair, requestedFor: database.name, fault: game.scheduledFault ?? game.faults[0]!, scheduled: true };
}

export interface GameDaySchedulesProps {
  readonly prefix: string;
  /** The control Region (part of the role's name). */
  readonly controlRegion: string;
  /** The databases whose triggers this stack holds: those with `gameDay.schedule` get their schedule here. */
  readonly scheduled: readonly DatabaseConfig[];
  /** The product bus (where the drill rules are). */
  readonly bus: IEventBus;
  /** Where Scheduler puts a drill request it could not deliver. */
  readonly deadLetterQueue: IQueue;
  /** The key that encrypts the dead-letter queue. */
  readonly deadLetterKey: IKey;
}

/** The schedule group, the schedules' role and the schedules of the control stack's databases. */
export class GameDaySchedules extends Construct {
  public readonly group: CfnScheduleGroup;
  public readonly role: Role;
  /** By database name (the control stack's databases only). */
  public readonly schedules: Readonly<Record<string, CfnSchedule>>;

  /** True when some database has a `gameDay.schedule`. */
  static needed(databases: readonly DatabaseConfig[]): boolean {
    return databases.some((d) => d.gameDay?.schedule !== undefined);
  }

  constructor(scope: Construct, id: string, props: GameDaySchedulesProps) {
    super(scope, id);
    const { prefix } = props;
    this.group = new CfnScheduleGroup(this, 'Group', { name: drillScheduleGroupName(prefix) });
    this.role = new Role(this, 'Role', {
      roleName: drillSchedulerRoleName(prefix, props.controlRegion),
      description: 'EventBridge Scheduler: puts the game-day drill requests on the product bus',
      // Only schedules of this account may use the role (confused deputy).
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
      inlinePolicies: {
        PutDrillRequests: new PolicyDocument({
          statements: [
            new PolicyStatement({
              sid: 'PutDrillRequestsOnTheProductBus',
              effect: Effect.ALLOW,
              actions: ['events:PutEvents'],
              resources: [props.bus.eventBusArn],
            }),
            new PolicyStatement({
              sid: 'KeepUndeliveredRequests',
              effect: Effect.ALLOW,
              actions: ['sqs:SendMessage'],
              resources: [props.deadLetterQueue.queueArn],
            }),
            new PolicyStatement({
              sid: 'EncryptUndeliveredRequests',
              effect: Effect.ALLOW,
              actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
              resources: [props.deadLetterKey.keyArn],
            }),
          ],
        }),
      },
    });
    this.schedules = addDrillSchedules(this, {
      prefix,
      databases: props.scheduled,
      busArn: props.bus.eventBusArn,
      deadLetterQueueArn: props.deadLetterQueue.queueArn,
      roleArn: this.role.roleArn,
      after: this.group,
    });
  }
}

export interface DrillSchedulesProps {
  readonly prefix: string;
  /** The databases of the stack; those with `gameDay.schedule` get a schedule. */
  readonly databases: readonly DatabaseConfig[];
  readonly busArn: string;
  readonly deadLetterQueueArn: string;
  /** The schedules' role (the control stack's, by name from another stack). */
  readonly roleArn: string;
  /** The group, when it is in the same stack (otherwise the stack depends on the control stack). */
  readonly after?: CfnResource;
}

/** One schedule per database with `gameDay.schedule`, in `scope`'s stack; by database name. */
export function addDrillSchedules(scope: Construct, props: DrillSchedulesProps): Record<string, CfnSchedule> {
  const schedules: Record<string, CfnSchedule> = {};
  for (const database of props.databases) {
    const game = database.gameDay;
    if (!game?.schedule) continue;
    const detail = scheduledDrillDetail(database);
    const schedule = new CfnSchedule(scope, `Drill-${database.name}`, {
      name: drillScheduleName(props.prefix, database.name),
      groupName: drillScheduleGroupName(props.prefix),
      description: `Game day of ${database.name}: a drill run (fault ${detail.fault}) on its drill pair ${game.drillPair}`,
      scheduleExpression: game.schedule,
      scheduleExpressionTimezone: game.scheduleTimezone,
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: props.busArn,
        roleArn: props.roleArn,
        eventBridgeParameters: { source: GAME_DAY_EVENT_SOURCE, detailType: DETAIL_TYPES.drillRequest },
        input: JSON.stringify(detail),
        retryPolicy: {
          maximumEventAgeInSeconds: DRILL_SCHEDULE_RETRY.maximumEventAgeSeconds,
          maximumRetryAttempts: DRILL_SCHEDULE_RETRY.maximumRetryAttempts,
        },
        deadLetterConfig: { arn: props.deadLetterQueueArn },
      },
    });
    if (props.after) schedule.node.addDependency(props.after);
    schedules[database.name] = schedule;
  }
  return schedules;
}
