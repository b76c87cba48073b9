/**
 * EventBridge: buses per Region (each Region has `default`), rules with event patterns or
 * `rate(...)` schedules, targets with Input / InputPath / InputTransformer, delivery on the
 * virtual clock to registered target handlers (state machines, other buses cross-Region, Lambda
 * functions, SNS topics), with retries (exponential backoff and jitter, up to 185 attempts / 24 h,
 * docs/aws-behaviour.md §4). AWS services (RDS, CloudWatch) emit their events through {@link emitAws}.
 */
import { awsError } from '../errors.js';
import type { Authorization } from '../iam.js';
import type { FunctionInvoker, TopicPublisher, TwinCore } from '../ports.js';
import { arn, clone, parseArn, supportOnly, type CallCtx, type OpHandler, type ServiceModel } from './base.js';
import { EventPatternError, matchesPattern, validatePattern } from './event-pattern.js';

/** An event as EventBridge delivers it. */
export interface TwinEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface RuleTarget {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
}

interface Rule {
  name: string;
  bus: string;
  region: string;
  arn: string;
  pattern?: Record<string, unknown>;
  patternText?: string;
  schedule?: string;
  periodMs?: number;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  targets: Map<string, RuleTarget>;
  timer?: { cancel(): void };
}

/** What a target handler receives besides the payload. */
export interface DeliveryMeta {
  readonly event: TwinEvent;
  readonly ruleArn: string;
  readonly ruleName: string;
  readonly target: RuleTarget;
  readonly attempt: number;
}
export type TargetHandler = (payload: unknown, meta: DeliveryMeta) => unknown;

/** One delivery attempt, for reports and tests. */
export interface DeliveryRecord {
  t: number;
  ruleArn: string;
  targetId: string;
  targetArn: string;
  eventId: string;
  detailType: string;
  attempt: number;
  ok: boolean;
  error?: string;
}

const MAX_ATTEMPTS = 185;
const MAX_AGE_MS = 24 * 3600_000;

/** What the eventbridge model needs of the world (twin/ports.ts). */
export type EventBridgeWorld = TwinCore & { readonly lambda: FunctionInvoker; readonly sns: TopicPublisher };

export class EventBridgeService implements ServiceModel {
  readonly key = 'events' as const;
  /** Every event put on a bus (after ingestion), in order. */
  readonly log: { bus: string; region: string; event: TwinEvent; daemon: boolean }[] = [];
  readonly deliveries: DeliveryRecord[] = [];
  private readonly buses = new Map<string, Map<string, Map<string, Rule>>>(); // region -> bus -> rules
  private readonly handlers = new Map<string, TargetHandler>();
  private readonly duplicates: { match: (e: TwinEvent) => boolean; extra: number }[] = [];

  constructor(private readonly world: EventBridgeWorld) {}

  readonly operations: Record<string, OpHandler> = {
    PutEvents: (i, c) => this.putEvents(i, c),
    PutRule: (i, c) => this.putRule(i, c),
    PutTargets: (i, c) => this.putTargets(i, c),
    RemoveTargets: (i, c) => this.removeTargets(i, c),
    DeleteRule: (i, c) => this.deleteRule(i, c),
    DescribeRule: (i, c) => this.describeRule(i, c),
    ListTargetsByRule: (i, c) => this.listTargetsByRule(i, c),
    EnableRule: (i, c) => this.setRuleState(i, c, 'ENABLED'),
    DisableRule: (i, c) => this.setRuleState(i, c, 'DISABLED'),
  };

  authorization(
    operation: string,
    input: { EventBusName?: string; Name?: string; Rule?: string; Entries?: { EventBusName?: string; Source?: string; DetailType?: string }[] },
    ctx: CallCtx,
  ): Authorization | Authorization[] {
    const action = `events:${operation}`;
    if (operation === 'PutEvents') {
      // Each entry is authorized on its bus with the condition keys events:source and
      // events:detail-type (docs/aws-behaviour.md, "IAM condition keys of the narrowed policies").
      const entries = input.Entries ?? [];
      if (entries.length === 0) return { action, resources: [arn.bus(ctx.region, 'default')] };
      return entries.map((e) => ({
        action,
        resources: [this.busArn(ctx.region, e.EventBusName)],
        context: { 'events:source': e.Source, 'events:detail-type': e.DetailType },
      }));
    }
    const ruleName = input.Name ?? input.Rule ?? '*';
    const bus = this.busName(input.EventBusName);
    return { action, resources: [arn.rule(ctx.region, bus, ruleName)] };
  }

  // ------------------------------------------------------------------ setup API

  /** Creates a custom bus (the default bus of each Region always exists). */
  createBus(region: string, name: string): string {
    this.rulesOf(region, name, true);
    return arn.bus(region, name);
  }

  /**
   * Registers what happens when a target with this ARN is invoked (e.g. a state machine starting
   * an execution). Exact ARN match; event buses, Lambda functions and SNS topics have built-in
   * delivery when no handler is registered.
   */
  registerTarget(targetArn: string, handler: TargetHandler): void {
    this.handlers.set(targetArn, handler);
  }

  /** Fault hook: the next matching event is delivered `extra` more times (docs/aws-behaviour.md §4: "more than once"). */
  duplicateNext(match: (e: TwinEvent) => boolean, extra: number): void {
    this.duplicates.push({ match, extra });
  }

  /** An AWS service emits an event on the default bus of its Region (no IAM, no validation of `aws.` sources). */
  emitAws(region: string, e: { source: string; detailType: string; detail: unknown; resources?: string[]; daemon?: boolean }): TwinEvent | undefined {
    return this.ingest(
      region,
      'default',
      {
        source: e.source,
        'detail-type': e.detailType,
        detail: e.detail,
        resources: e.resources ?? [],
      },
      e.daemon ?? false,
    );
  }

  /** Called by the world when a Region goes out or comes back. */
  onRegionChange(_region: string, _out: boolean): void {
    // Deliveries check the Region at delivery time and retry; nothing to do eagerly.
  }

  // ------------------------------------------------------------------ operations

  putEvents(
    input: {
      Entries?: { Source?: string; DetailType?: string; Detail?: string; EventBusName?: string; Resources?: string[]; Time?: Date }[];
      EndpointId?: string;
    },
    ctx: CallCtx,
  ) {
    supportOnly('events', 'PutEvents', input, ['Entries']);
    const entries = input.Entries ?? [];
    if (entries.length === 0 || entries.length > 10) {
      throw awsError(
        'events',
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${entries.length === 0 ? 'greater than or equal to 1' : 'less than or equal to 10'}`,
      );
    }
    let failed = 0;
    const out = entries.map((e) => {
      const bus = this.busName(e.EventBusName);
      const busRegion = e.EventBusName?.startsWith('arn:') ? (parseArn(e.EventBusName)?.region ?? ctx.region) : ctx.region;
      if (!this.buses.get(busRegion)?.has(bus) && bus !== 'default') {
        throw awsError('events', 'ResourceNotFoundException', `Event bus ${bus} does not exist.`);
      }
      const err = (code: string, msg: string) => {
        failed++;
        return { ErrorCode: code, ErrorMessage: msg };
      };
      if (!e.Source) return err('InvalidArgument', 'Parameter Source is not valid. Reason: Source is a required argument.');
      if (!e.DetailType) return err('InvalidArgument', 'Parameter DetailType is not valid. Reason: DetailType is a required argument.');
      if (e.Detail === undefined) return err('InvalidArgument', 'Parameter Detail is not valid. Reason: Detail is a required argument.');
      if (e.Source.startsWith('aws.')) return err('NotAuthorizedForSourceException', 'Not authorized for the source.');
      let detail: unknown;
      try {
        detail = JSON.parse(e.Detail);
      } catch {
        return err('MalformedDetail', 'Detail is malformed.');
      }
      if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) return err('MalformedDetail', 'Detail is malformed.');
      const ev = this.ingest(busRegion, bus, { source: e.Source, 'detail-type': e.DetailType, detail, resources: e.Resources ?? [], time: e.Time }, false);
      return { EventId: ev?.id ?? this.world.rng.stream('events.id').uuid() };
    });
    return { FailedEntryCount: failed, Entries: out };
  }

  putRule(
    input: {
      Name?: string;
      EventPattern?: string;
      ScheduleExpression?: string;
      State?: string;
      Description?: string;
      EventBusName?: string;
      RoleArn?: string;
      Tags?: unknown;
    },
    ctx: CallCtx,
  ) {
    supportOnly('events', 'PutRule', input, ['Name', 'EventPattern', 'ScheduleExpression', 'State', 'Description', 'EventBusName', 'RoleArn', 'Tags']);
    if (!input.Name)
      throw awsError(
        'events',
        'ValidationException',
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
      );
    if (!input.EventPattern && !input.ScheduleExpression)
      throw awsError('events', 'ValidationException', 'Parameter(s) EventPattern or ScheduleExpression must be specified.');
    const bus = this.busName(input.EventBusName);
    if (input.ScheduleExpression && bus !== 'default')
      throw awsError('events', 'ValidationException', 'ScheduleExpression is supported only on the default event bus.');
    let pattern: Record<string, unknown> | undefined;
    if (input.EventPattern) {
      try {
        pattern = JSON.parse(input.EventPattern) as Record<string, unknown>;
      } catch {
        throw awsError('events', 'InvalidEventPatternException', 'Event pattern is not valid. Reason: Unexpected character or malformed JSON');
      }
      try {
        validatePattern(pattern);
      } catch (e) {
        if (e instanceof EventPatternError) throw awsError('events', 'InvalidEventPatternException', `Event pattern is not valid. Reason: ${e.message}`);
        throw e;
      }
    }
    let periodMs: number | undefined;
    if (input.ScheduleExpression) {
      periodMs = parseRate(input.ScheduleExpression);
      if (periodMs === undefined) {
        throw awsError(
          'events',
          'ValidationException',
          `Parameter ScheduleExpression is not valid (the twin models rate(...) only): ${input.ScheduleExpression}`,
        );
      }
    }
    const rules = this.rulesOf(ctx.region, bus, bus === 'default');
    if (!rules) throw awsError('events', 'ResourceNotFoundException', `Event bus ${bus} does not exist.`);
    const existing = rules.get(input.Name);
    const rule: Rule = existing ?? {
      name: input.Name,
      bus,
      region: ctx.region,
      arn: arn.rule(ctx.region, bus, input.Name),
      state: 'ENABLED',
      targets: new Map(),
    };
    rule.pattern = pattern;
    rule.patternText = input.EventPattern;
    rule.schedule = input.ScheduleExpression;
    rule.periodMs = periodMs;
    rule.description = input.Description;
    rule.state = input.State === 'DISABLED' ? 'DISABLED' : 'ENABLED';
    rules.set(rule.name, rule);
    this.armSchedule(rule);
    return { RuleArn: rule.arn };
  }

  putTargets(input: { Rule?: string; EventBusName?: string; Targets?: RuleTarget[] }, ctx: CallCtx) {
    const rule = this.getRule(ctx.region, input.EventBusName, input.Rule);
    const failed: { TargetId: string; ErrorCode: string; ErrorMessage: string }[] = [];
    for (const t of input.Targets ?? []) {
      const kinds = [t.Input, t.InputPath, t.InputTransformer].filter((x) => x !== undefined).length;
      if (kinds > 1) {
        throw awsError('events', 'ValidationException', `Only one of Input, InputPath, or InputTransformer must be provided for target ${t.Id}.`);
      }
      if (t.Input !== undefined) {
        try {
          JSON.parse(t.Input);
        } catch {
          throw awsError('events', 'ValidationException', `Target ${t.Id}: Input is not valid JSON.`);
        }
      }
      rule.targets.set(t.Id, clone(t));
    }
    if (rule.targets.size > 5) throw awsError('events', 'LimitExceededException', 'The requested resource exceeds the maximum number allowed.');
    return { FailedEntryCount: failed.length, FailedEntries: failed };
  }

  removeTargets(input: { Rule?: string; EventBusName?: string; Ids?: string[] }, ctx: CallCtx) {
    const rule = this.getRule(ctx.region, input.EventBusName, input.Rule);
    for (const id of input.Ids ?? []) rule.targets.delete(id);
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  deleteRule(input: { Name?: string; EventBusName?: string }, ctx: CallCtx) {
    const rules = this.rulesOf(ctx.region, this.busName(input.EventBusName), false);
    const rule = input.Name ? rules?.get(input.Name) : undefined;
    if (!rule) return {};
    if (rule.targets.size > 0) throw awsError('events', 'ValidationException', "Rule can't be deleted since it has targets.");
    rule.timer?.cancel();
    rules!.delete(rule.name);
    return {};
  }

  describeRule(input: { Name?: string; EventBusName?: string }, ctx: CallCtx) {
    const r = this.getRule(ctx.region, input.EventBusName, input.Name);
    return {
      Name: r.name,
      Arn: r.arn,
      EventPattern: r.patternText,
      ScheduleExpression: r.schedule,
      State: r.state,
      Description: r.description,
      EventBusName: r.bus,
    };
  }

  listTargetsByRule(input: { Rule?: string; EventBusName?: string }, ctx: CallCtx) {
    const r = this.getRule(ctx.region, input.EventBusName, input.Rule);
    return { Targets: [...r.targets.values()].map(clone) };
  }

  private setRuleState(input: { Name?: string; EventBusName?: string }, ctx: CallCtx, state: 'ENABLED' | 'DISABLED') {
    const r = this.getRule(ctx.region, input.EventBusName, input.Name);
    r.state = state;
    this.armSchedule(r);
    return {};
  }

  // ------------------------------------------------------------------ internals

  private busName(nameOrArn: string | undefined): string {
    if (!nameOrArn) return 'default';
    if (nameOrArn.startsWith('arn:')) return nameOrArn.split('event-bus/')[1] ?? 'default';
    return nameOrArn;
  }

  private busArn(region: string, nameOrArn: string | undefined): string {
    if (nameOrArn?.startsWith('arn:')) return nameOrArn;
    return arn.bus(region, this.busName(nameOrArn));
  }

  private rulesOf(region: string, bus: string, create: boolean): Map<string, Rule> | undefined {
    let r = this.buses.get(region);
    if (!r) {
      r = new Map([['default', new Map()]]);
      this.buses.set(region, r);
    }
    let rules = r.get(bus);
    if (!rules && create) {
      rules = new Map();
      r.set(bus, rules);
    }
    return rules;
  }

  private getRule(region: string, busName: string | undefined, name: string | undefined): Rule {
    const bus = this.busName(busName);
    const rule = name ? this.rulesOf(region, bus, bus === 'default')?.get(name) : undefined;
    if (!rule) throw awsError('events', 'ResourceNotFoundException', `Rule ${name ?? ''} does not exist on EventBus ${bus}.`);
    return rule;
  }

  private armSchedule(rule: Rule): void {
    rule.timer?.cancel();
    rule.timer = undefined;
    if (!rule.periodMs || rule.state !== 'ENABLED') return;
    const now = this.world.clock.now();
    rule.timer = this.world.clock.every(
      rule.periodMs,
      now + rule.periodMs,
      () => {
        if (this.world.isRegionOut(rule.region)) return;
        const event = this.makeEvent(rule.region, { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {}, resources: [rule.arn] });
        this.log.push({ bus: rule.bus, region: rule.region, event, daemon: true });
        this.dispatchToRule(rule, event, true);
      },
      `schedule ${rule.name}`,
    );
  }

  private makeEvent(region: string, e: { source: string; 'detail-type': string; detail: unknown; resources: string[]; time?: Date }): TwinEvent {
    const t = e.time ? e.time.getTime() : this.world.clock.now();
    return {
      version: '0',
      id: this.world.rng.stream('events.id').uuid(),
      'detail-type': e['detail-type'],
      source: e.source,
      account: this.world.accountId,
      time: new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
      region,
      resources: e.resources,
      detail: e.detail,
    };
  }

  /** Puts an event on a bus and schedules deliveries to matching rules' targets. */
  private ingest(
    region: string,
    bus: string,
    e: { source: string; 'detail-type': string; detail: unknown; resources: string[]; time?: Date },
    daemon: boolean,
    keepRegion?: string,
  ): TwinEvent | undefined {
    if (this.world.isRegionOut(region)) {
      this.world.log('cloud', `event lost: ${e['detail-type']} on ${bus} in ${region} (Region out)`, { source: e.source });
      return undefined;
    }
    const event = this.makeEvent(keepRegion ?? region, e);
    this.log.push({ bus, region, event, daemon });
    const rules = [...(this.rulesOf(region, bus, bus === 'default')?.values() ?? [])].sort((a, b) => a.name.localeCompare(b.name));
    let copies = 1;
    const dup = this.duplicates.findIndex((d) => d.match(event));
    if (dup >= 0) {
      copies += this.duplicates[dup]!.extra;
      this.duplicates.splice(dup, 1);
    }
    for (const rule of rules) {
      if (rule.state !== 'ENABLED' || !rule.pattern) continue;
      if (!matchesPattern(rule.pattern, event)) continue;
      for (let c = 0; c < copies; c++) this.dispatchToRule(rule, event, daemon);
    }
    return event;
  }

  private dispatchToRule(rule: Rule, event: TwinEvent, daemon: boolean): void {
    const targets = [...rule.targets.values()].sort((a, b) => a.Id.localeCompare(b.Id));
    for (const target of targets) {
      const payload = buildPayload(target, event, rule);
      this.scheduleDelivery(rule, target, event, payload, 1, this.world.clock.now(), daemon);
    }
  }

  private scheduleDelivery(rule: Rule, target: RuleTarget, event: TwinEvent, payload: unknown, attempt: number, firstAt: number, daemon: boolean): void {
    const rng = this.world.rng.stream('events.delivery');
    const latency = attempt === 1 ? rng.uniform(100, 1500) : Math.min(2 ** (attempt - 1) * 1000, 300_000) * rng.uniform(0.5, 1.5);
    this.world.clock.schedule(
      latency,
      async () => {
        const record: DeliveryRecord = {
          t: (this.world.clock.now() - this.world.startMs) / 1000,
          ruleArn: rule.arn,
          targetId: target.Id,
          targetArn: target.Arn,
          eventId: event.id,
          detailType: event['detail-type'],
          attempt,
          ok: true,
        };
        try {
          await this.deliver(target, payload, { event, ruleArn: rule.arn, ruleName: rule.name, target, attempt });
          this.deliveries.push(record);
        } catch (err) {
          const name = (err as Error)?.name ?? 'Error';
          this.deliveries.push({ ...record, ok: false, error: `${name}: ${(err as Error)?.message ?? String(err)}` });
          const permission = /AccessDenied|NotAuthorized|Unauthorized|NoTargetHandler/.test(name);
          if (!permission && attempt < MAX_ATTEMPTS && this.world.clock.now() - firstAt < MAX_AGE_MS) {
            this.scheduleDelivery(rule, target, event, payload, attempt + 1, firstAt, daemon);
          } else {
            this.world.log('cloud', `event dropped for target ${target.Id} of rule ${rule.name} after ${attempt} attempts`, { eventId: event.id, error: name });
          }
        }
      },
      `deliver ${event['detail-type']} -> ${target.Id}`,
      { daemon },
    );
  }

  private async deliver(target: RuleTarget, payload: unknown, meta: DeliveryMeta): Promise<void> {
    const handler = this.handlers.get(target.Arn);
    const parsed = parseArn(target.Arn);
    if (parsed && this.world.isRegionOut(parsed.region)) {
      const e = new Error(`target ${target.Arn} does not answer (Region out)`);
      e.name = 'TimeoutError';
      throw e;
    }
    if (handler) {
      await handler(clone(payload), meta);
      return;
    }
    if (parsed?.service === 'events' && parsed.resource.startsWith('event-bus/')) {
      // Cross-Region / cross-bus: the event is put on the other bus with a new id (docs/aws-behaviour.md §4).
      const ev = meta.event;
      this.ingest(
        parsed.region,
        parsed.resource.slice('event-bus/'.length),
        { source: ev.source, 'detail-type': ev['detail-type'], detail: ev.detail, resources: ev.resources },
        false,
        ev.region,
      );
      return;
    }
    if (parsed?.service === 'lambda') {
      await this.world.lambda.invokeInternal(parsed.region, parsed.resource.replace(/^function:/, '').split(':')[0]!, payload, 'Event');
      return;
    }
    if (parsed?.service === 'sns') {
      this.world.sns.publishInternal(target.Arn, typeof payload === 'string' ? payload : JSON.stringify(payload));
      return;
    }
    this.world.log('cloud', `event for ${target.Arn} not delivered: no handler registered in the twin`, { eventId: meta.event.id });
    throw Object.assign(new Error(`no handler registered for target ${target.Arn}`), { name: 'NoTargetHandler' });
  }
}

/** `rate(5 minutes)` -> ms; undefined when not a rate expression. */
export function parseRate(expr: string): number | undefined {
  const m = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expr.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  if (n <= 0) return undefined;
  if ((n === 1) !== !m[2]!.endsWith('s')) return undefined; // rate(1 minute), rate(5 minutes)
  const unit = m[2]!.startsWith('minute') ? 60_000 : m[2]!.startsWith('hour') ? 3_600_000 : 86_400_000;
  return n * unit;
}

/** Reads a JSONPath like `$.detail.state.value` or `$.resources[0]` / `$['detail-type']`. */
export function jsonPathGet(doc: unknown, path: string): unknown {
  if (path === '$') return doc;
  if (!path.startsWith('$')) throw new Error(`invalid JSONPath ${path}`);
  let cur: unknown = doc;
  const re = /\.([^.[\]]+)|\[(\d+)\]|\['([^']+)'\]|\["([^"]+)"\]/gy;
  re.lastIndex = 1;
  let m: RegExpExecArray | null;
  let consumed = 1;
  while ((m = re.exec(path))) {
    consumed = re.lastIndex;
    const key = m[1] ?? m[3] ?? m[4];
    if (cur === null || cur === undefined) return undefined;
    if (key !== undefined) cur = (cur as Record<string, unknown>)[key];
    else cur = Array.isArray(cur) ? cur[Number(m[2])] : undefined;
  }
  if (consumed !== path.length) throw new Error(`invalid JSONPath ${path}`);
  return cur;
}

/** What the target receives: Input (constant), InputPath, InputTransformer, or the whole event. */
export function buildPayload(target: RuleTarget, event: TwinEvent, rule: { arn: string; name: string }): unknown {
  if (target.Input !== undefined) return JSON.parse(target.Input);
  if (target.InputPath !== undefined) return jsonPathGet(event, target.InputPath);
  if (target.InputTransformer) return transform(target.InputTransformer, event, rule);
  return clone(event);
}

/**
 * InputTransformer: `<name>` placeholders from InputPathsMap plus the reserved
 * `<aws.events.event>` / `<aws.events.event.json>` (whole event), `<aws.events.rule-arn>`,
 * `<aws.events.rule-name>`, `<aws.events.event.ingestion-time>`. Inside a JSON string a value is
 * inserted as escaped text; elsewhere as JSON (strings quoted). The result is parsed as JSON when
 * it is JSON, else delivered as a string.
 */
export function transform(
  t: { InputPathsMap?: Record<string, string>; InputTemplate: string },
  event: TwinEvent,
  rule: { arn: string; name: string },
): unknown {
  const vars: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(t.InputPathsMap ?? {})) vars[k] = jsonPathGet(event, p);
  vars['aws.events.event'] = event;
  vars['aws.events.event.json'] = event;
  vars['aws.events.rule-arn'] = rule.arn;
  vars['aws.events.rule-name'] = rule.name;
  vars['aws.events.event.ingestion-time'] = event.time;
  const tpl = t.InputTemplate;
  let out = '';
  let inString = false;
  for (let i = 0; i < tpl.length; i++) {
    const ch = tpl[i]!;
    if (ch === '"' && tpl[i - 1] !== '\\') inString = !inString;
    if (ch === '<') {
      const end = tpl.indexOf('>', i);
      const name = end > i ? tpl.slice(i + 1, end) : '';
      if (end > i && /^[A-Za-z0-9_.-]+$/.test(name)) {
        if (!(name in vars)) throw new Error(`InputTemplate uses <${name}> which is not in InputPathsMap`);
        const v = vars[name];
        if (inString) {
          const s = typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v);
          out += JSON.stringify(s).slice(1, -1);
        } else {
          out += v === undefined ? 'null' : JSON.stringify(v);
        }
        i = end;
        continue;
      }
    }
    out += ch;
  }
  try {
    return JSON.parse(out);
  } catch {
    return out;
  }
}
