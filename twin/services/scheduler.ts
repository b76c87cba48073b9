/**
 * EventBridge Scheduler (docs/aws-behaviour.md "EventBridge Scheduler"): schedule groups and
 * schedules as CloudFormation creates them (AWS::Scheduler::ScheduleGroup, AWS::Scheduler::Schedule),
 * validated as Scheduler validates CreateSchedule, and fired in virtual time.
 *
 * Validated on creation (a refusal is a `ValidationException` / `ResourceNotFoundException`, so
 * the deployment fails, as the stack would): the name, the expression (schedule-expression.ts),
 * the time zone, the flexible time window, the target's ARN, role ARN, retry policy, dead-letter
 * queue ARN and, for an EventBridge PutEvents target (an event bus ARN), its
 * EventBridgeParameters (a source that does not start with `aws.`) and a JSON object as Input
 * (the event's detail), and that the group exists.
 *
 * On AWS the execution role's permissions are only tried when the schedule fires (the invocation
 * fails, is retried, then goes to the dead-letter queue). The twin does that too, and
 * {@link SchedulerService.checkRole} also answers it at deploy time (twin/drill/deploy.ts refuses a
 * schedule whose role may not act on its target): a drill that would never start is a deploy error.
 *
 * Firing: at each due instant (the minute's start: flexible time window off), the target is
 * invoked as the role: PutEvents of one entry (Source and DetailType from EventBridgeParameters,
 * Detail = Input) on the bus. A failure (an IAM denial, a failed entry, the Region out) is retried
 * after 1, 2, 4, ... s (at most 60 s apart) until `MaximumRetryAttempts` or `MaximumEventAgeInSeconds`;
 * then the dead-letter event is kept in {@link SchedulerService.deadLetters} (the twin has no SQS). Only
 * EventBridge targets are modelled; any other target ARN is refused as unsupported (loud).
 */
import { TwinUnsupportedError, awsError } from '../errors.js';
import { evaluate, type Authorization, type Principal } from '../iam.js';
import type { ApiCaller, TwinCore } from '../ports.js';
import { parseArn } from './base.js';
import { isTimeZone, nextFire, parseScheduleExpression, ScheduleExpressionError, type ScheduleExpression } from '../../lib/schedule-expression.js';

/** An AWS::Scheduler::Schedule's properties (CloudFormation names). */
export interface ScheduleSpec {
  Name?: string;
  GroupName?: string;
  Description?: string;
  ScheduleExpression?: string;
  ScheduleExpressionTimezone?: string;
  StartDate?: string;
  EndDate?: string;
  State?: string;
  FlexibleTimeWindow?: { Mode?: string; MaximumWindowInMinutes?: number };
  Target?: {
    Arn?: string;
    RoleArn?: string;
    Input?: string;
    EventBridgeParameters?: { Source?: string; DetailType?: string };
    RetryPolicy?: { MaximumEventAgeInSeconds?: number; MaximumRetryAttempts?: number };
    DeadLetterConfig?: { Arn?: string };
  };
}

interface Schedule {
  name: string;
  group: string;
  region: string;
  arn: string;
  expression: ScheduleExpression;
  expressionText: string;
  timeZone: string;
  state: 'ENABLED' | 'DISABLED';
  createdMs: number;
  target: {
    arn: string;
    roleArn: string;
    input: string;
    source: string;
    detailType: string;
    maxAgeSeconds: number;
    maxAttempts: number;
    deadLetterArn?: string;
  };
  principal: Principal;
  timer?: { cancel(): void };
}

/** One invocation that failed for good. */
export interface SchedulerDeadLetter {
  schedule: string;
  scheduledAt: string;
  attempts: number;
  error: string;
  deadLetterArn?: string;
}

/** One invocation of a schedule (delivered or not). */
export interface SchedulerInvocation {
  schedule: string;
  scheduledAt: string;
  deliveredAt?: string;
  attempts: number;
}

const NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,64}$/;
const SQS_ARN = /^arn:aws(-[a-z]+)?:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9\-_]+$/;
const SOURCE = /^(?=[/.\-_A-Za-z0-9]+)((?!aws\.).*)$/;

const invalid = (message: string): Error => awsError('events', 'ValidationException', message);

/** What the scheduler model needs of the world (twin/ports.ts). */
export type SchedulerWorld = TwinCore & ApiCaller;

export class SchedulerService {
  private readonly groups = new Map<string, Set<string>>(); // region -> group names
  private readonly schedules = new Map<string, Schedule>(); // region/group/name
  readonly deadLetters: SchedulerDeadLetter[] = [];
  readonly invocations: SchedulerInvocation[] = [];

  constructor(private readonly world: SchedulerWorld) {}

  /** Creates a schedule group (AWS::Scheduler::ScheduleGroup). Every Region has `default`. */
  createScheduleGroup(region: string, name: string): void {
    if (!NAME.test(name)) throw invalid(`Schedule group name ${name} must be 1-64 of [0-9a-zA-Z-_.]`);
    const set = this.groups.get(region) ?? new Set(['default']);
    if (set.has(name) && name !== 'default') throw awsError('events', 'ConflictException', `Schedule group ${name} already exists.`);
    set.add(name);
    this.groups.set(region, set);
  }

  /**
   * Creates (and arms) a schedule, validated as CreateSchedule is. `principal` is the session
   * Scheduler gets by assuming `Target.RoleArn` (the caller resolves the role in the twin's IAM).
   */
  createSchedule(region: string, spec: ScheduleSpec, principal: Principal): string {
    const name = spec.Name ?? '';
    if (!NAME.test(name)) throw invalid(`Schedule name "${name}" must be 1-64 of [0-9a-zA-Z-_.]`);
    const group = spec.GroupName ?? 'default';
    if (!(this.groups.get(region) ?? new Set(['default'])).has(group))
      throw awsError('events', 'ResourceNotFoundException', `Schedule group ${group} does not exist.`);
    const key = `${region}/${group}/${name}`;
    if (this.schedules.has(key)) throw awsError('events', 'ConflictException', `Schedule ${name} already exists.`);
    if (!spec.ScheduleExpression) throw invalid('ScheduleExpression is required');
    let expression: ScheduleExpression;
    try {
      expression = parseScheduleExpression(spec.ScheduleExpression);
    } catch (err) {
      if (err instanceof ScheduleExpressionError) throw invalid(err.message);
      throw err;
    }
    const timeZone = spec.ScheduleExpressionTimezone ?? 'UTC';
    if (!isTimeZone(timeZone)) throw invalid(`Invalid ScheduleExpressionTimezone ${timeZone}: not an IANA time zone`);
    const ftw = spec.FlexibleTimeWindow;
    if (!ftw || (ftw.Mode !== 'OFF' && ftw.Mode !== 'FLEXIBLE')) throw invalid('FlexibleTimeWindow.Mode must be OFF or FLEXIBLE');
    if (ftw.Mode === 'FLEXIBLE') {
      const w = ftw.MaximumWindowInMinutes;
      if (w === undefined || !Number.isInteger(w) || w < 1 || w > 1440)
        throw invalid('FlexibleTimeWindow.MaximumWindowInMinutes must be 1-1440 when Mode is FLEXIBLE');
      throw new TwinUnsupportedError('twin scheduler: a FLEXIBLE time window is not modelled (the product turns it off)');
    }
    if (ftw.Mode === 'OFF' && ftw.MaximumWindowInMinutes !== undefined)
      throw invalid('FlexibleTimeWindow.MaximumWindowInMinutes is only allowed with Mode FLEXIBLE');
    if (spec.StartDate !== undefined || spec.EndDate !== undefined) throw new TwinUnsupportedError('twin scheduler: StartDate and EndDate are not modelled');
    const state = spec.State ?? 'ENABLED';
    if (state !== 'ENABLED' && state !== 'DISABLED') throw invalid(`State must be ENABLED or DISABLED, not ${state}`);

    const t = spec.Target;
    if (!t?.Arn || !t.RoleArn) throw invalid('Target.Arn and Target.RoleArn are required');
    if (!ROLE_ARN.test(t.RoleArn)) throw invalid(`Target.RoleArn ${t.RoleArn} is not an IAM role ARN`);
    const targetArn = parseArn(t.Arn);
    if (!targetArn) throw invalid(`Target.Arn ${t.Arn} is not an ARN`);
    if (targetArn.service !== 'events' || !targetArn.resource.startsWith('event-bus/')) {
      throw new TwinUnsupportedError(`twin scheduler: only EventBridge PutEvents targets (an event bus ARN) are modelled, not ${t.Arn}`);
    }
    const ebp = t.EventBridgeParameters;
    if (!ebp?.Source || !ebp.DetailType) throw invalid('Target.EventBridgeParameters (Source and DetailType) is required for an EventBridge PutEvents target');
    if (!SOURCE.test(ebp.Source) || ebp.Source.length > 256)
      throw invalid(`Target.EventBridgeParameters.Source ${ebp.Source} is not valid (a source may not start with "aws.")`);
    if (ebp.DetailType.length > 128) throw invalid('Target.EventBridgeParameters.DetailType is longer than 128 characters');
    const input = t.Input ?? '{}';
    let detail: unknown;
    try {
      detail = JSON.parse(input);
    } catch {
      throw invalid('Target.Input must be JSON: it is the event detail of a PutEvents target');
    }
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail))
      throw invalid('Target.Input must be a JSON object: it is the event detail of a PutEvents target');
    const maxAgeSeconds = t.RetryPolicy?.MaximumEventAgeInSeconds ?? 86400;
    const maxAttempts = t.RetryPolicy?.MaximumRetryAttempts ?? 185;
    if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds < 60 || maxAgeSeconds > 86400) throw invalid('RetryPolicy.MaximumEventAgeInSeconds must be 60-86400');
    if (!Number.isInteger(maxAttempts) || maxAttempts < 0 || maxAttempts > 185) throw invalid('RetryPolicy.MaximumRetryAttempts must be 0-185');
    const dlq = t.DeadLetterConfig?.Arn;
    if (dlq !== undefined && !SQS_ARN.test(dlq)) throw invalid(`DeadLetterConfig.Arn ${dlq} is not an SQS queue ARN`);

    const schedule: Schedule = {
      name,
      group,
      region,
      arn: `arn:aws:scheduler:${region}:${this.world.accountId}:schedule/${group}/${name}`,
      expression,
      expressionText: spec.ScheduleExpression,
      timeZone,
      state,
      createdMs: this.world.clock.now(),
      target: {
        arn: t.Arn,
        roleArn: t.RoleArn,
        input,
        source: ebp.Source,
        detailType: ebp.DetailType,
        maxAgeSeconds,
        maxAttempts,
        ...(dlq ? { deadLetterArn: dlq } : {}),
      },
      principal,
    };
    this.schedules.set(key, schedule);
    this.arm(schedule, schedule.createdMs - 1);
    return schedule.arn;
  }

  /** What the schedule's role must be allowed to do when it fires (PutEvents on the bus, with its source and detail-type). */
  static targetAuthorization(spec: ScheduleSpec): Authorization {
    const t = spec.Target ?? {};
    return {
      action: 'events:PutEvents',
      resources: [t.Arn ?? '*'],
      context: { 'events:source': t.EventBridgeParameters?.Source, 'events:detail-type': t.EventBridgeParameters?.DetailType },
    };
  }

  /** Null when the role may act on the target (and on the dead-letter queue); else why not. */
  static checkRole(spec: ScheduleSpec, principal: Principal): string | null {
    const wants: Authorization[] = [SchedulerService.targetAuthorization(spec)];
    const dlq = spec.Target?.DeadLetterConfig?.Arn;
    if (dlq) wants.push({ action: 'sqs:SendMessage', resources: [dlq] });
    for (const a of wants) {
      const d = evaluate(principal, a);
      if (!d.allowed)
        return `schedule ${spec.Name ?? '(unnamed)'}: its role ${spec.Target?.RoleArn ?? '(none)'} may not ${a.action} on ${d.resource}${d.explicit ? ' (explicit deny)' : ''}`;
    }
    return null;
  }

  /** The schedule (for tests and the drill report). */
  describe(
    region: string,
    name: string,
    group = 'default',
  ): { Name: string; Arn: string; ScheduleExpression: string; ScheduleExpressionTimezone: string; State: string; NextInvocation?: string } | undefined {
    const s = this.schedules.get(`${region}/${group}/${name}`);
    if (!s) return undefined;
    const next = nextFire(s.expression, s.timeZone, s.createdMs, this.world.clock.now() - 1);
    return {
      Name: s.name,
      Arn: s.arn,
      ScheduleExpression: s.expressionText,
      ScheduleExpressionTimezone: s.timeZone,
      State: s.state,
      ...(next !== undefined ? { NextInvocation: new Date(next).toISOString() } : {}),
    };
  }

  private arm(s: Schedule, afterMs: number): void {
    s.timer?.cancel();
    s.timer = undefined;
    if (s.state !== 'ENABLED') return;
    const at = nextFire(s.expression, s.timeZone, s.createdMs, afterMs);
    if (at === undefined) return;
    s.timer = this.world.clock.schedule(
      { at },
      () => {
        this.arm(s, at);
        return this.invoke(s, at, 1);
      },
      `scheduler ${s.name}`,
      { daemon: true },
    );
  }

  private async invoke(s: Schedule, scheduledMs: number, attempt: number): Promise<void> {
    const scheduledAt = new Date(scheduledMs).toISOString();
    if (attempt === 1) this.world.log('cloud', `schedule ${s.name} fired (${s.expressionText}, ${s.timeZone})`, { schedule: s.name, target: s.target.arn });
    let error: string | undefined;
    try {
      const out = (await this.world.call(
        'events',
        'PutEvents',
        { Entries: [{ Source: s.target.source, DetailType: s.target.detailType, Detail: s.target.input, EventBusName: s.target.arn }] },
        { region: s.region, principal: s.principal },
      )) as { FailedEntryCount?: number; Entries?: { ErrorCode?: string }[] };
      if ((out.FailedEntryCount ?? 0) > 0) error = out.Entries?.find((e) => e.ErrorCode)?.ErrorCode ?? 'FailedEntry';
    } catch (err) {
      error = (err as Error).name || String(err);
    }
    if (error === undefined) {
      this.invocations.push({ schedule: s.name, scheduledAt, deliveredAt: this.world.clock.iso(), attempts: attempt });
      return;
    }
    const ageSeconds = (this.world.clock.now() - scheduledMs) / 1000;
    const delayMs = Math.min(60_000, 1000 * 2 ** (attempt - 1));
    if (attempt - 1 < s.target.maxAttempts && ageSeconds + delayMs / 1000 <= s.target.maxAgeSeconds) {
      this.world.clock.schedule({ after: delayMs }, () => this.invoke(s, scheduledMs, attempt + 1), `scheduler ${s.name} retry ${attempt}`, { daemon: true });
      return;
    }
    this.invocations.push({ schedule: s.name, scheduledAt, attempts: attempt });
    this.deadLetters.push({
      schedule: s.name,
      scheduledAt,
      attempts: attempt,
      error,
      ...(s.target.deadLetterArn ? { deadLetterArn: s.target.deadLetterArn } : {}),
    });
    this.world.log('cloud', `schedule ${s.name}: target not reached after ${attempt} attempts (${error}): dead-lettered`, { schedule: s.name, error });
  }
}
