/**
 * CloudWatch: metric datapoints (PutMetricData, GetMetricData, GetMetricStatistics) and metric
 * alarms evaluated on the virtual clock (every minute for periods of 60 s or more, every 10 s for
 * high-resolution periods), with AWS's M-of-N and missing-data rules (docs/aws-behaviour.md §3, CloudWatch
 * user guide "How alarm state is evaluated when data is missing"). A state change emits the
 * "CloudWatch Alarm State Change" event into EventBridge and notifies SNS alarm actions.
 *
 * Composite alarms (PutCompositeAlarm): an AlarmRule over other alarms' states (ALARM(x), OK(x),
 * INSUFFICIENT_DATA(x), TRUE, FALSE, AND, OR, NOT, parentheses), evaluated when one of those alarms
 * changes state; created in INSUFFICIENT_DATA and evaluated at once (the only time a composite is
 * in INSUFFICIENT_DATA). DescribeAlarms returns them only when `AlarmTypes` asks for
 * `CompositeAlarm` AND the caller's `cloudwatch:DescribeAlarms` permission is on `*`;
 * DescribeAlarmHistory likewise (`AlarmTypes` with `CompositeAlarm`, permission on `*`). Without
 * that permission AWS does not refuse the call: the composites are simply not in the answer
 * (docs/aws-behaviour.md "Composite alarms").
 */
import { TwinUnsupportedError, awsError } from '../errors.js';
import { ACCOUNT_ID, evaluate as evaluatePolicy, type Authorization } from '../iam.js';
import type { AlarmStateValue, AwsEventSink, TopicPublisher, TwinCore } from '../ports.js';
import { arn, clone, supportOnly, type CallCtx, type OpHandler, type ServiceModel } from './base.js';

export type { AlarmStateValue } from '../ports.js';
export type TreatMissingData = 'breaching' | 'notBreaching' | 'ignore' | 'missing';
type Stat = 'Average' | 'Minimum' | 'Maximum' | 'Sum' | 'SampleCount';
const STATS: readonly Stat[] = ['Average', 'Minimum', 'Maximum', 'Sum', 'SampleCount'];
const COMPARATORS = ['GreaterThanOrEqualToThreshold', 'GreaterThanThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'] as const;
type Comparator = (typeof COMPARATORS)[number];

interface Dimension {
  Name: string;
  Value: string;
}
/** One stored datapoint, kept as an aggregate (SampleCount, Sum, Min, Max). */
interface Point {
  t: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  highRes: boolean;
}

interface AlarmState {
  value: AlarmStateValue;
  reason: string;
  reasonData: string;
  timestamp: number;
}

export interface AlarmDefinition {
  AlarmName: string;
  AlarmDescription?: string;
  Namespace: string;
  MetricName: string;
  Dimensions?: Dimension[];
  Statistic: Stat;
  Period: number;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  Threshold: number;
  ComparisonOperator: Comparator;
  TreatMissingData?: TreatMissingData;
  ActionsEnabled?: boolean;
  AlarmActions?: string[];
  OKActions?: string[];
  InsufficientDataActions?: string[];
  Unit?: string;
}

interface Alarm {
  def: AlarmDefinition;
  region: string;
  arn: string;
  metricId: string;
  state: AlarmState;
  updatedAt: number;
  /** State changes, newest last (for tests and reports). */
  history: { t: number; from: AlarmStateValue; to: AlarmStateValue; reason: string }[];
}

/** A parsed AlarmRule. */
export type AlarmRuleNode =
  | { kind: 'state'; state: AlarmStateValue; alarm: string }
  | { kind: 'const'; value: boolean }
  | { kind: 'not'; operand: AlarmRuleNode }
  | { kind: 'and' | 'or'; left: AlarmRuleNode; right: AlarmRuleNode };

interface CompositeAlarm {
  name: string;
  region: string;
  arn: string;
  rule: string;
  parsed: AlarmRuleNode;
  description?: string;
  actionsEnabled: boolean;
  alarmActions: string[];
  okActions: string[];
  insufficientDataActions: string[];
  state: AlarmState;
  updatedAt: number;
  history: Alarm['history'];
}

/** AlarmRule's limits (PutCompositeAlarm): 10,240 characters, at most 100 underlying alarms. */
const MAX_RULE_LENGTH = 10_240;
const MAX_RULE_ALARMS = 100;

const ruleError = (message: string) => awsError('cloudwatch', 'ValidationError', `Error in AlarmRule: ${message}`);

/**
 * Parses an AlarmRule (pure). NOT binds tighter than AND, AND tighter than OR; an alarm is named
 * by its name or ARN, with or without double quotes. Throws `ValidationError` on a malformed rule.
 */
export function parseAlarmRule(rule: string): AlarmRuleNode {
  const tokens: string[] = [];
  const re = /\s*(\(|\)|"[^"]*"|[^\s()"]+)/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < rule.length && (m = re.exec(rule)) !== null) {
    tokens.push(m[1]!);
    at = re.lastIndex;
  }
  if (rule.slice(at).trim() !== '') throw ruleError(`cannot read "${rule.slice(at).trim().slice(0, 40)}"`);
  let i = 0;
  const peek = () => tokens[i];
  const expect = (t: string) => {
    if (tokens[i] !== t) throw ruleError(`expected "${t}" at token ${i + 1}, got ${tokens[i] === undefined ? 'the end of the rule' : `"${tokens[i]}"`}`);
    i++;
  };
  const primary = (): AlarmRuleNode => {
    const t = peek();
    if (t === undefined) throw ruleError('the rule ends where an expression was expected');
    if (t === '(') {
      i++;
      const e = or();
      expect(')');
      return e;
    }
    if (t === 'NOT') {
      i++;
      return { kind: 'not', operand: primary() };
    }
    if (t === 'TRUE' || t === 'FALSE') {
      i++;
      return { kind: 'const', value: t === 'TRUE' };
    }
    if (t === 'ALARM' || t === 'OK' || t === 'INSUFFICIENT_DATA') {
      i++;
      expect('(');
      const arg = peek();
      if (arg === undefined || arg === ')' || arg === '(') throw ruleError(`${t}() needs an alarm name or ARN`);
      i++;
      expect(')');
      const name = arg.startsWith('"') ? arg.slice(1, -1) : arg;
      if (name === '') throw ruleError(`${t}() needs an alarm name or ARN`);
      return { kind: 'state', state: t, alarm: name };
    }
    throw ruleError(`unexpected "${t}" (expected ALARM(...), OK(...), INSUFFICIENT_DATA(...), TRUE, FALSE, NOT or "(")`);
  };
  const and = (): AlarmRuleNode => {
    let left = primary();
    while (peek() === 'AND') {
      i++;
      left = { kind: 'and', left, right: primary() };
    }
    return left;
  };
  const or = (): AlarmRuleNode => {
    let left = and();
    while (peek() === 'OR') {
      i++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const tree = or();
  if (i < tokens.length) throw ruleError(`unexpected "${tokens[i]}" after a complete expression`);
  return tree;
}

/** The alarms a rule names, as written (names or ARNs), in order, once each. */
export function ruleAlarms(node: AlarmRuleNode): string[] {
  const out: string[] = [];
  const walk = (n: AlarmRuleNode): void => {
    if (n.kind === 'state') {
      if (!out.includes(n.alarm)) out.push(n.alarm);
    } else if (n.kind === 'not') walk(n.operand);
    else if (n.kind === 'and' || n.kind === 'or') {
      walk(n.left);
      walk(n.right);
    }
  };
  walk(node);
  return out;
}

/** The rule's value given each named alarm's state (pure). */
export function evaluateAlarmRule(node: AlarmRuleNode, stateOf: (alarm: string) => AlarmStateValue | undefined): boolean {
  switch (node.kind) {
    case 'const':
      return node.value;
    case 'state':
      return stateOf(node.alarm) === node.state;
    case 'not':
      return !evaluateAlarmRule(node.operand, stateOf);
    case 'and':
      return evaluateAlarmRule(node.left, stateOf) && evaluateAlarmRule(node.right, stateOf);
    case 'or':
      return evaluateAlarmRule(node.left, stateOf) || evaluateAlarmRule(node.right, stateOf);
  }
}

/** Result of one evaluation, exported for tests of the M-of-N / missing-data logic. */
export interface EvaluationInput {
  /** Bucket values newest first; undefined = missing. Length = evaluation range. */
  readonly buckets: readonly (number | undefined)[];
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
  readonly breaches: (v: number) => boolean;
  readonly current: AlarmStateValue;
}

/**
 * The alarm decision (pure). Reproduces every row of the two tables in the CloudWatch user guide
 * and docs/aws-behaviour.md §3:
 * - at least N real points in the evaluation range: the N most recent real points decide;
 * - no real point: missing → INSUFFICIENT_DATA, ignore → keep, breaching → ALARM, notBreaching → OK;
 * - fewer than N: breaching/notBreaching fill the gap; missing/ignore judge the real points:
 *   M breaching → ALARM, any non-breaching → OK, otherwise (only breaching, fewer than M)
 *   `missing` goes to ALARM when the newest period is empty (the last data seen was bad:
 *   "X - - - -" and "- - X - -") and to INSUFFICIENT_DATA when it is not ("- - - - X");
 *   `ignore` keeps the current state. (The exact rule is AWS-internal; this one is derived from
 *   the published examples.)
 */
export function decideAlarmState(e: EvaluationInput): { value: AlarmStateValue; evaluated: number[]; breaching: number } {
  const N = e.evaluationPeriods;
  const M = e.datapointsToAlarm;
  const real = e.buckets.filter((b): b is number => b !== undefined);
  if (real.length >= N) {
    const evaluated = real.slice(0, N);
    const breaching = evaluated.filter(e.breaches).length;
    return { value: breaching >= M ? 'ALARM' : 'OK', evaluated, breaching };
  }
  const B = real.filter(e.breaches).length;
  const G = real.length - B;
  if (real.length === 0) {
    const v: Record<TreatMissingData, AlarmStateValue> = { missing: 'INSUFFICIENT_DATA', ignore: e.current, breaching: 'ALARM', notBreaching: 'OK' };
    return { value: v[e.treatMissingData], evaluated: [], breaching: e.treatMissingData === 'breaching' ? N : 0 };
  }
  const fill = N - real.length;
  switch (e.treatMissingData) {
    case 'breaching':
      return { value: B + fill >= M ? 'ALARM' : 'OK', evaluated: real, breaching: B + fill };
    case 'notBreaching':
      return { value: B >= M ? 'ALARM' : 'OK', evaluated: real, breaching: B };
    default: {
      if (B >= M) return { value: 'ALARM', evaluated: real, breaching: B };
      if (G > 0) return { value: 'OK', evaluated: real, breaching: B };
      if (e.treatMissingData === 'ignore') return { value: e.current, evaluated: real, breaching: B };
      return { value: e.buckets[0] === undefined ? 'ALARM' : 'INSUFFICIENT_DATA', evaluated: real, breaching: B };
    }
  }
}

/** CloudWatch's timestamp format in alarm events: 2019-10-02T17:04:40.989+0000. */
export const cwTimestamp = (ms: number): string => new Date(ms).toISOString().replace('Z', '+0000');

const metricKey = (ns: string, name: string, dims: readonly Dimension[] = []): string =>
  `${ns}|${name}|${[...dims]
    .sort((a, b) => a.Name.localeCompare(b.Name))
    .map((d) => `${d.Name}=${d.Value}`)
    .join(',')}`;

const statOf = (pts: readonly Point[], stat: Stat): number => {
  const count = pts.reduce((a, p) => a + p.count, 0);
  const sum = pts.reduce((a, p) => a + p.sum, 0);
  switch (stat) {
    case 'Average':
      return sum / count;
    case 'Sum':
      return sum;
    case 'SampleCount':
      return count;
    case 'Minimum':
      return Math.min(...pts.map((p) => p.min));
    case 'Maximum':
      return Math.max(...pts.map((p) => p.max));
  }
};

const TWO_WEEKS = 14 * 86_400_000;
const TWO_HOURS = 2 * 3_600_000;

/** What the cloudwatch model needs of the world (twin/ports.ts). */
export type CloudWatchWorld = TwinCore & { readonly events: AwsEventSink; readonly sns: TopicPublisher };

/** The PutMetricAlarm parameters the twin models (an alarm's definition; the call also takes Tags). */
export const ALARM_DEFINITION_KEYS = [
  'AlarmName',
  'AlarmDescription',
  'Namespace',
  'MetricName',
  'Dimensions',
  'Statistic',
  'Period',
  'EvaluationPeriods',
  'DatapointsToAlarm',
  'Threshold',
  'ComparisonOperator',
  'TreatMissingData',
  'ActionsEnabled',
  'AlarmActions',
  'OKActions',
  'InsufficientDataActions',
  'Unit',
] as const;

export class CloudWatchService implements ServiceModel {
  readonly key = 'cloudwatch' as const;
  private readonly metrics = new Map<string, Map<string, Point[]>>(); // region -> metricKey -> points (time order)
  private readonly alarms = new Map<string, Map<string, Alarm>>(); // region -> name -> alarm
  private readonly composites = new Map<string, Map<string, CompositeAlarm>>(); // region -> name -> composite alarm

  constructor(private readonly world: CloudWatchWorld) {
    // One 10-second tick drives every alarm; periods ≥ 60 s are evaluated on minute boundaries.
    const start = Math.ceil(world.clock.now() / 10_000) * 10_000;
    world.clock.every(10_000, start, () => this.tick(), 'cloudwatch alarm evaluation');
  }

  readonly operations: Record<string, OpHandler> = {
    PutMetricData: (i, c) => this.putMetricData(i, c),
    GetMetricData: (i, c) => this.getMetricData(i, c),
    GetMetricStatistics: (i, c) => this.getMetricStatistics(i, c),
    PutMetricAlarm: (i, c) => this.putMetricAlarm(i, c),
    PutCompositeAlarm: (i, c) => this.putCompositeAlarm(i, c),
    DescribeAlarms: (i, c) => this.describeAlarms(i, c),
    DescribeAlarmHistory: (i, c) => this.describeAlarmHistory(i, c),
    SetAlarmState: (i, c) => this.setAlarmState(i, c),
    DeleteAlarms: (i, c) => this.deleteAlarms(i, c),
  };

  authorization(operation: string, input: { Namespace?: string; AlarmName?: string; AlarmNames?: string[] }, ctx: CallCtx): Authorization {
    const action = `cloudwatch:${operation}`;
    switch (operation) {
      case 'PutMetricData':
        return { action, resources: ['*'], context: { 'cloudwatch:namespace': input.Namespace } };
      case 'GetMetricData':
      case 'GetMetricStatistics':
        return { action, resources: ['*'] };
      case 'DescribeAlarms':
      case 'DeleteAlarms':
        return { action, resources: input.AlarmNames?.length ? input.AlarmNames.map((n) => arn.alarm(ctx.region, n)) : [arn.alarm(ctx.region, '*')] };
      default:
        return { action, resources: [arn.alarm(ctx.region, input.AlarmName ?? '*')] };
    }
  }

  // ------------------------------------------------------------------ metrics

  /** AWS services publish through here (no `AWS/` namespace check, no IAM). */
  putInternal(region: string, namespace: string, name: string, dimensions: Dimension[], value: number, t = this.world.clock.now()): void {
    this.store(region, namespace, name, dimensions, { t, count: 1, sum: value, min: value, max: value, highRes: false });
  }

  private store(region: string, ns: string, name: string, dims: Dimension[], p: Point): void {
    let byKey = this.metrics.get(region);
    if (!byKey) this.metrics.set(region, (byKey = new Map()));
    const key = metricKey(ns, name, dims);
    let pts = byKey.get(key);
    if (!pts) byKey.set(key, (pts = []));
    let i = pts.length;
    while (i > 0 && pts[i - 1]!.t > p.t) i--;
    pts.splice(i, 0, p);
  }

  private points(region: string, ns: string, name: string, dims: readonly Dimension[] = []): Point[] {
    return this.metrics.get(region)?.get(metricKey(ns, name, dims)) ?? [];
  }

  putMetricData(
    input: {
      Namespace?: string;
      MetricData?: {
        MetricName?: string;
        Dimensions?: Dimension[];
        Timestamp?: Date;
        Value?: number;
        Values?: number[];
        Counts?: number[];
        StatisticValues?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number };
        Unit?: string;
        StorageResolution?: number;
      }[];
    },
    ctx: CallCtx,
  ) {
    supportOnly('cloudwatch', 'PutMetricData', input, ['Namespace', 'MetricData']);
    if (!input.Namespace) throw awsError('cloudwatch', 'MissingRequiredParameterException', 'The parameter Namespace is required.');
    if (input.Namespace.startsWith('AWS/'))
      throw awsError('cloudwatch', 'InvalidParameterValueException', `The value ${input.Namespace} for parameter Namespace is invalid.`);
    const data = input.MetricData ?? [];
    if (data.length === 0) throw awsError('cloudwatch', 'MissingRequiredParameterException', 'The parameter MetricData is required.');
    if (data.length > 1000) throw awsError('cloudwatch', 'InvalidParameterValueException', 'The collection MetricData must not have a size greater than 1000.');
    const now = this.world.clock.now();
    const staged: [Dimension[], string, Point][] = [];
    data.forEach((d, idx) => {
      const at = `MetricData.member.${idx + 1}`;
      if (!d.MetricName) throw awsError('cloudwatch', 'MissingRequiredParameterException', `The parameter ${at}.MetricName is required.`);
      if ((d.Dimensions?.length ?? 0) > 30)
        throw awsError('cloudwatch', 'InvalidParameterValueException', `The collection ${at}.Dimensions must not have a size greater than 30.`);
      const t = d.Timestamp ? new Date(d.Timestamp).getTime() : now;
      if (t > now + TWO_HOURS)
        throw awsError(
          'cloudwatch',
          'InvalidParameterValueException',
          `The parameter ${at}.Timestamp must specify a time no more than two hours in the future.`,
        );
      if (t < now - TWO_WEEKS)
        throw awsError('cloudwatch', 'InvalidParameterValueException', `The parameter ${at}.Timestamp must specify a time within the past two weeks.`);
      const bad = (v: number, field: string) => {
        if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > 2 ** 360 || (v !== 0 && Math.abs(v) < 2 ** -260)) {
          throw awsError('cloudwatch', 'InvalidParameterValueException', `The value ${String(v)} for parameter ${at}.${field} is invalid.`);
        }
      };
      const highRes = d.StorageResolution === 1;
      const kinds = [d.Value !== undefined, d.Values !== undefined, d.StatisticValues !== undefined].filter(Boolean).length;
      if (kinds !== 1)
        throw awsError(
          'cloudwatch',
          'InvalidParameterCombinationException',
          `The parameters ${at}.Value, ${at}.Values and ${at}.StatisticValues are mutually exclusive and one is required.`,
        );
      let p: Point;
      if (d.Value !== undefined) {
        bad(d.Value, 'Value');
        p = { t, count: 1, sum: d.Value, min: d.Value, max: d.Value, highRes };
      } else if (d.Values !== undefined) {
        if (d.Values.length > 150)
          throw awsError('cloudwatch', 'InvalidParameterValueException', `The collection ${at}.Values must not have a size greater than 150.`);
        if (d.Counts && d.Counts.length !== d.Values.length)
          throw awsError('cloudwatch', 'InvalidParameterValueException', `The parameters ${at}.Values and ${at}.Counts must be of the same size.`);
        d.Values.forEach((v) => bad(v, 'Values'));
        const counts = d.Counts ?? d.Values.map(() => 1);
        p = {
          t,
          count: counts.reduce((a, c) => a + c, 0),
          sum: d.Values.reduce((a, v, i) => a + v * counts[i]!, 0),
          min: Math.min(...d.Values),
          max: Math.max(...d.Values),
          highRes,
        };
      } else {
        const s = d.StatisticValues!;
        [s.SampleCount, s.Sum, s.Minimum, s.Maximum].forEach((v) => bad(v, 'StatisticValues'));
        p = { t, count: s.SampleCount, sum: s.Sum, min: s.Minimum, max: s.Maximum, highRes };
      }
      staged.push([d.Dimensions ?? [], d.MetricName, p]);
    });
    for (const [dims, name, p] of staged) this.store(ctx.region, input.Namespace, name, dims, p);
    return {};
  }

  /** Datapoints of one metric aggregated into period buckets aligned to the epoch, oldest first. */
  private buckets(region: string, ns: string, name: string, dims: Dimension[] | undefined, period: number, start: number, end: number, stat: Stat) {
    const P = period * 1000;
    const out: { t: number; value: number; pts: Point[] }[] = [];
    const pts = this.points(region, ns, name, dims).filter((p) => p.t >= start && p.t < end);
    const groups = new Map<number, Point[]>();
    for (const p of pts) {
      const b = Math.floor(p.t / P) * P;
      const g = groups.get(b) ?? [];
      g.push(p);
      groups.set(b, g);
    }
    for (const [t, g] of [...groups.entries()].sort((a, b) => a[0] - b[0])) out.push({ t, value: statOf(g, stat), pts: g });
    return out;
  }

  getMetricData(
    input: {
      MetricDataQueries?: {
        Id: string;
        Label?: string;
        ReturnData?: boolean;
        Expression?: string;
        Period?: number;
        MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: Dimension[] }; Period: number; Stat: string; Unit?: string };
      }[];
      StartTime?: Date;
      EndTime?: Date;
      ScanBy?: string;
      MaxDatapoints?: number;
      NextToken?: string;
    },
    ctx: CallCtx,
  ) {
    supportOnly('cloudwatch', 'GetMetricData', input, ['MetricDataQueries', 'StartTime', 'EndTime', 'ScanBy', 'MaxDatapoints']);
    if (!input.StartTime || !input.EndTime)
      throw awsError('cloudwatch', 'MissingRequiredParameterException', 'The parameters StartTime and EndTime are required.');
    const start = new Date(input.StartTime).getTime();
    const end = new Date(input.EndTime).getTime();
    if (end <= start) throw awsError('cloudwatch', 'InvalidParameterValueException', 'The parameter StartTime must be less than the parameter EndTime.');
    const results = [];
    for (const q of input.MetricDataQueries ?? []) {
      if (q.Expression !== undefined) throw new TwinUnsupportedError('twin cloudwatch:GetMetricData does not model metric math (Expression)');
      if (!q.MetricStat)
        throw awsError('cloudwatch', 'InvalidParameterValueException', `The query ${q.Id} must have exactly one of Expression and MetricStat.`);
      const ms = q.MetricStat;
      const stat = ms.Stat as Stat;
      if (!STATS.includes(stat)) throw new TwinUnsupportedError(`twin cloudwatch:GetMetricData models the statistics ${STATS.join(', ')} only, got ${ms.Stat}`);
      if (!(ms.Period >= 1) || (ms.Period >= 60 ? ms.Period % 60 !== 0 : ![1, 5, 10, 20, 30].includes(ms.Period))) {
        throw awsError(
          'cloudwatch',
          'InvalidParameterValueException',
          `The parameter MetricDataQueries.member.Period must be 1, 5, 10, 20, 30 or a multiple of 60, got ${ms.Period}.`,
        );
      }
      if (q.ReturnData === false) continue;
      const b = this.buckets(ctx.region, ms.Metric.Namespace, ms.Metric.MetricName, ms.Metric.Dimensions, ms.Period, start, end, stat);
      if (input.ScanBy !== 'TimestampAscending') b.reverse();
      results.push({
        Id: q.Id,
        Label: q.Label ?? ms.Metric.MetricName,
        Timestamps: b.map((x) => new Date(x.t)),
        Values: b.map((x) => x.value),
        StatusCode: 'Complete',
      });
    }
    return { MetricDataResults: results, Messages: [] };
  }

  getMetricStatistics(
    input: {
      Namespace?: string;
      MetricName?: string;
      Dimensions?: Dimension[];
      StartTime?: Date;
      EndTime?: Date;
      Period?: number;
      Statistics?: string[];
      Unit?: string;
      ExtendedStatistics?: string[];
    },
    ctx: CallCtx,
  ) {
    supportOnly('cloudwatch', 'GetMetricStatistics', input, ['Namespace', 'MetricName', 'Dimensions', 'StartTime', 'EndTime', 'Period', 'Statistics', 'Unit']);
    if (!input.Namespace || !input.MetricName || !input.StartTime || !input.EndTime || !input.Period || !input.Statistics?.length) {
      throw awsError('cloudwatch', 'MissingRequiredParameterException', 'Namespace, MetricName, StartTime, EndTime, Period and Statistics are required.');
    }
    const stats = input.Statistics as Stat[];
    const bad = stats.find((s) => !STATS.includes(s));
    if (bad) throw awsError('cloudwatch', 'InvalidParameterValueException', `The parameter Statistics contains an invalid value ${bad}.`);
    const start = new Date(input.StartTime).getTime();
    const end = new Date(input.EndTime).getTime();
    const rows = this.buckets(ctx.region, input.Namespace, input.MetricName, input.Dimensions, input.Period, start, end, 'Sum');
    return {
      Label: input.MetricName,
      Datapoints: rows.map((r) => {
        const d: Record<string, unknown> = { Timestamp: new Date(r.t), Unit: input.Unit ?? 'None' };
        for (const s of stats) d[s] = statOf(r.pts, s);
        return d;
      }),
    };
  }

  // ------------------------------------------------------------------ alarms

  putMetricAlarm(
    input: AlarmDefinition & {
      Metrics?: unknown;
      ExtendedStatistic?: string;
      ThresholdMetricId?: string;
      EvaluateLowSampleCountPercentile?: string;
      Tags?: unknown;
    },
    ctx: CallCtx,
  ) {
    supportOnly('cloudwatch', 'PutMetricAlarm', input, [...ALARM_DEFINITION_KEYS, 'Tags']);
    return this.defineAlarm(ctx.region, input);
  }

  /** Creates or replaces an alarm (setup API and PutMetricAlarm). The state of an existing alarm is kept. */
  defineAlarm(region: string, def: AlarmDefinition): Record<string, never> {
    const fail = (msg: string) => {
      throw awsError('cloudwatch', 'InvalidParameterValueException', msg);
    };
    if (!def.AlarmName) fail('The parameter AlarmName is required.');
    if (!STATS.includes(def.Statistic))
      fail(`The parameter Statistic must be one of ${STATS.join(', ')} (the twin does not model ExtendedStatistic), got ${String(def.Statistic)}.`);
    if (!COMPARATORS.includes(def.ComparisonOperator))
      fail(`The parameter ComparisonOperator must be one of ${COMPARATORS.join(', ')}, got ${String(def.ComparisonOperator)}.`);
    const P = def.Period;
    if (![10, 20, 30].includes(P) && !(P >= 60 && P % 60 === 0)) fail(`The parameter Period must be 10, 20, 30 or a multiple of 60, got ${P}.`);
    if (!(def.EvaluationPeriods >= 1)) fail('The parameter EvaluationPeriods must be at least 1.');
    const M = def.DatapointsToAlarm ?? def.EvaluationPeriods;
    if (M < 1 || M > def.EvaluationPeriods) fail('DatapointsToAlarm must be between 1 and EvaluationPeriods.');
    const span = P * def.EvaluationPeriods;
    if (span > (P < 3600 ? 86_400 : 7 * 86_400))
      fail('The evaluation period (Period × EvaluationPeriods) must not exceed one day (seven days for periods of an hour or more).');
    let byName = this.alarms.get(region);
    if (!byName) this.alarms.set(region, (byName = new Map()));
    const existing = byName.get(def.AlarmName);
    const now = this.world.clock.now();
    const alarm: Alarm = existing ?? {
      def,
      region,
      arn: arn.alarm(region, def.AlarmName),
      metricId: this.world.rng.stream('cloudwatch.ids').uuid(),
      state: { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation', reasonData: '', timestamp: now },
      updatedAt: now,
      history: [],
    };
    alarm.def = clone({ ...def, DatapointsToAlarm: M, TreatMissingData: def.TreatMissingData ?? 'missing', ActionsEnabled: def.ActionsEnabled ?? true });
    alarm.updatedAt = now;
    byName.set(def.AlarmName, alarm);
    return {};
  }

  /**
   * Metric alarms, and composite alarms when `AlarmTypes` asks for them and the caller may
   * describe alarms on `*` (a narrower permission silently leaves them out, as on AWS).
   * Without `AlarmTypes`, metric alarms only.
   */
  describeAlarms(
    input: { AlarmNames?: string[]; AlarmNamePrefix?: string; StateValue?: string; AlarmTypes?: string[]; MaxRecords?: number; NextToken?: string },
    ctx: CallCtx,
  ) {
    supportOnly('cloudwatch', 'DescribeAlarms', input, ['AlarmNames', 'AlarmNamePrefix', 'StateValue', 'AlarmTypes', 'MaxRecords']);
    this.checkAlarmTypes(input.AlarmTypes);
    if (input.AlarmNames?.length && input.AlarmNamePrefix) {
      throw awsError('cloudwatch', 'InvalidParameterCombination', 'AlarmNames and AlarmNamePrefix cannot be specified together.');
    }
    const matches = (name: string, state: AlarmStateValue) =>
      (!input.AlarmNames?.length || input.AlarmNames.includes(name)) &&
      (!input.AlarmNamePrefix || name.startsWith(input.AlarmNamePrefix)) &&
      (!input.StateValue || state === input.StateValue);
    const all = [...(this.alarms.get(ctx.region)?.values() ?? [])].sort((a, b) => a.def.AlarmName.localeCompare(b.def.AlarmName));
    const list = all.filter((a) => matches(a.def.AlarmName, a.state.value));
    const wantMetric = !input.AlarmTypes?.length || input.AlarmTypes.includes('MetricAlarm');
    const wantComposite = (input.AlarmTypes ?? []).includes('CompositeAlarm') && this.mayReadComposites('cloudwatch:DescribeAlarms', ctx);
    const composites = wantComposite
      ? [...(this.composites.get(ctx.region)?.values() ?? [])].filter((c) => matches(c.name, c.state.value)).sort((a, b) => a.name.localeCompare(b.name))
      : [];
    return { MetricAlarms: wantMetric ? list.map((a) => this.alarmShape(a)) : [], CompositeAlarms: composites.map((c) => this.compositeShape(c)) };
  }

  private checkAlarmTypes(types: readonly string[] | undefined): void {
    for (const t of types ?? []) {
      if (t !== 'MetricAlarm' && t !== 'CompositeAlarm')
        throw awsError('cloudwatch', 'InvalidParameterValue', `The value ${t} for parameter AlarmTypes is not valid: it must be MetricAlarm or CompositeAlarm`);
    }
  }

  /**
   * Composite alarms are shown only to a caller whose permission for `action` is on `*`
   * (callers without a principal, i.e. the twin's own setup, see everything).
   */
  private mayReadComposites(action: string, ctx: CallCtx): boolean {
    return !ctx.principal || evaluatePolicy(ctx.principal, { action, resources: ['*'] }).allowed;
  }

  /**
   * State updates of one alarm (HistoryItemType StateUpdate), newest first, within
   * [StartDate, EndDate], with HistoryData as AWS writes it (`oldState`/`newState` `stateValue`).
   * The history of an alarm that does not exist in the Region is empty (not an error), as on AWS.
   */
  describeAlarmHistory(
    input: {
      AlarmName?: string;
      AlarmTypes?: string[];
      HistoryItemType?: string;
      StartDate?: Date | string;
      EndDate?: Date | string;
      MaxRecords?: number;
      ScanBy?: string;
    },
    ctx: CallCtx,
  ) {
    supportOnly('cloudwatch', 'DescribeAlarmHistory', input, ['AlarmName', 'HistoryItemType', 'StartDate', 'EndDate', 'MaxRecords', 'ScanBy', 'AlarmTypes']);
    this.checkAlarmTypes(input.AlarmTypes);
    if (!input.AlarmName) throw new TwinUnsupportedError("twin: DescribeAlarmHistory without AlarmName (every alarm's history) is not modelled");
    if (input.HistoryItemType && input.HistoryItemType !== 'StateUpdate')
      throw new TwinUnsupportedError(`twin: DescribeAlarmHistory HistoryItemType ${input.HistoryItemType} is not modelled`);
    if (input.MaxRecords !== undefined && (input.MaxRecords < 1 || input.MaxRecords > 100)) {
      throw awsError(
        'cloudwatch',
        'InvalidParameterValue',
        `The value ${input.MaxRecords} for parameter MaxRecords is not valid: it must be between 1 and 100`,
      );
    }
    const from = input.StartDate === undefined ? -Infinity : new Date(input.StartDate).getTime();
    const to = input.EndDate === undefined ? Infinity : new Date(input.EndDate).getTime();
    // Without AlarmTypes, metric alarms only; a composite's history also needs the permission on `*`.
    const wantMetric = !input.AlarmTypes?.length || input.AlarmTypes.includes('MetricAlarm');
    const wantComposite = (input.AlarmTypes ?? []).includes('CompositeAlarm') && this.mayReadComposites('cloudwatch:DescribeAlarmHistory', ctx);
    const metric = wantMetric ? this.alarms.get(ctx.region)?.get(input.AlarmName) : undefined;
    const composite = wantComposite ? this.composites.get(ctx.region)?.get(input.AlarmName) : undefined;
    const type = composite ? 'CompositeAlarm' : 'MetricAlarm';
    const items = (metric?.history ?? composite?.history ?? [])
      .filter((h) => h.t >= from && h.t <= to)
      .map((h) => ({
        AlarmName: input.AlarmName,
        AlarmType: type,
        Timestamp: new Date(h.t),
        HistoryItemType: 'StateUpdate',
        HistorySummary: `Alarm updated from ${h.from} to ${h.to}`,
        HistoryData: JSON.stringify({ version: '1.0', oldState: { stateValue: h.from }, newState: { stateValue: h.to, stateReason: h.reason } }),
      }));
    if (input.ScanBy !== 'TimestampAscending') items.reverse();
    return { AlarmHistoryItems: items.slice(0, input.MaxRecords ?? 100) };
  }

  private alarmShape(a: Alarm) {
    const d = a.def;
    return {
      AlarmName: d.AlarmName,
      AlarmArn: a.arn,
      AlarmDescription: d.AlarmDescription,
      AlarmConfigurationUpdatedTimestamp: new Date(a.updatedAt),
      ActionsEnabled: d.ActionsEnabled,
      OKActions: d.OKActions ?? [],
      AlarmActions: d.AlarmActions ?? [],
      InsufficientDataActions: d.InsufficientDataActions ?? [],
      StateValue: a.state.value,
      StateReason: a.state.reason,
      StateReasonData: a.state.reasonData || undefined,
      StateUpdatedTimestamp: new Date(a.state.timestamp),
      StateTransitionedTimestamp: new Date(a.state.timestamp),
      MetricName: d.MetricName,
      Namespace: d.Namespace,
      Statistic: d.Statistic,
      Dimensions: clone(d.Dimensions ?? []),
      Period: d.Period,
      Unit: d.Unit,
      EvaluationPeriods: d.EvaluationPeriods,
      DatapointsToAlarm: d.DatapointsToAlarm,
      Threshold: d.Threshold,
      ComparisonOperator: d.ComparisonOperator,
      TreatMissingData: d.TreatMissingData,
    };
  }

  setAlarmState(input: { AlarmName?: string; StateValue?: AlarmStateValue; StateReason?: string; StateReasonData?: string }, ctx: CallCtx) {
    supportOnly('cloudwatch', 'SetAlarmState', input, ['AlarmName', 'StateValue', 'StateReason', 'StateReasonData']);
    const a = input.AlarmName ? this.alarms.get(ctx.region)?.get(input.AlarmName) : undefined;
    const c = input.AlarmName ? this.composites.get(ctx.region)?.get(input.AlarmName) : undefined;
    if (!a && c) {
      // A composite keeps the state set until one of its alarms changes state.
      if (!input.StateValue || !['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(input.StateValue)) {
        throw awsError('cloudwatch', 'InvalidParameterValueException', `The value ${String(input.StateValue)} for parameter StateValue is invalid.`);
      }
      this.transitionComposite(c, input.StateValue, input.StateReason ?? '', input.StateReasonData ?? '');
      return {};
    }
    if (!a) throw awsError('cloudwatch', 'ResourceNotFound', `Alarm ${input.AlarmName ?? ''} not found`, { status: 404 });
    if (!input.StateValue || !['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(input.StateValue)) {
      throw awsError('cloudwatch', 'InvalidParameterValueException', `The value ${String(input.StateValue)} for parameter StateValue is invalid.`);
    }
    if (input.StateReasonData !== undefined) {
      try {
        JSON.parse(input.StateReasonData);
      } catch {
        throw awsError('cloudwatch', 'InvalidFormatFault', 'The StateReasonData is not valid JSON.');
      }
    }
    this.transition(a, input.StateValue, input.StateReason ?? '', input.StateReasonData ?? '');
    return {};
  }

  deleteAlarms(input: { AlarmNames?: string[] }, ctx: CallCtx) {
    for (const n of input.AlarmNames ?? []) {
      this.alarms.get(ctx.region)?.delete(n);
      this.composites.get(ctx.region)?.delete(n);
    }
    return {};
  }

  /** Called after every alarm state change (metric or composite): FIS stop conditions watch them. */
  private readonly stateListeners: ((region: string, name: string, value: AlarmStateValue) => void)[] = [];

  /** Registers a listener of alarm state changes. */
  onAlarmStateChange(listener: (region: string, name: string, value: AlarmStateValue) => void): void {
    this.stateListeners.push(listener);
  }

  /** Does the Region have this alarm (metric or composite)? */
  hasAlarm(region: string, name: string): boolean {
    return this.alarmState(region, name) !== undefined;
  }

  /** The alarm's current state value, metric or composite (test and report helper). */
  alarmState(region: string, name: string): AlarmStateValue | undefined {
    return (this.alarms.get(region)?.get(name) ?? this.composites.get(region)?.get(name))?.state.value;
  }

  /** The alarm's state changes. */
  alarmHistory(region: string, name: string): Alarm['history'] {
    return (this.alarms.get(region)?.get(name) ?? this.composites.get(region)?.get(name))?.history ?? [];
  }

  // ------------------------------------------------------------------ composite alarms

  putCompositeAlarm(
    input: {
      AlarmName?: string;
      AlarmRule?: string;
      AlarmDescription?: string;
      ActionsEnabled?: boolean;
      AlarmActions?: string[];
      OKActions?: string[];
      InsufficientDataActions?: string[];
      Tags?: unknown;
    },
    ctx: CallCtx,
  ) {
    supportOnly('cloudwatch', 'PutCompositeAlarm', input, [
      'AlarmName',
      'AlarmRule',
      'AlarmDescription',
      'ActionsEnabled',
      'AlarmActions',
      'OKActions',
      'InsufficientDataActions',
      'Tags',
    ]);
    return this.defineCompositeAlarm(ctx.region, input as Required<Pick<typeof input, 'AlarmName' | 'AlarmRule'>> & typeof input);
  }

  /**
   * Creates or replaces a composite alarm (setup API and PutCompositeAlarm). A new one starts in
   * INSUFFICIENT_DATA and is evaluated at once; an updated one keeps its state and is evaluated
   * again. The rule's alarms must exist in the Region (inferred: see twin/README.md).
   */
  defineCompositeAlarm(
    region: string,
    def: {
      AlarmName: string;
      AlarmRule: string;
      AlarmDescription?: string;
      ActionsEnabled?: boolean;
      AlarmActions?: string[];
      OKActions?: string[];
      InsufficientDataActions?: string[];
    },
  ): Record<string, never> {
    if (!def.AlarmName) throw awsError('cloudwatch', 'MissingParameter', 'The parameter AlarmName is required.');
    if (!def.AlarmRule) throw awsError('cloudwatch', 'MissingParameter', 'The parameter AlarmRule is required.');
    if (def.AlarmRule.length > MAX_RULE_LENGTH) throw ruleError(`the rule is ${def.AlarmRule.length} characters long, more than ${MAX_RULE_LENGTH}`);
    if (this.alarms.get(region)?.has(def.AlarmName))
      throw awsError('cloudwatch', 'ValidationError', `A metric alarm named ${def.AlarmName} already exists: an alarm name is unique in a Region`);
    const parsed = parseAlarmRule(def.AlarmRule);
    const named = ruleAlarms(parsed);
    if (named.length > MAX_RULE_ALARMS) throw ruleError(`the rule names ${named.length} alarms, more than ${MAX_RULE_ALARMS}`);
    for (const ref of named) {
      const name = this.refName(region, ref);
      if (name === def.AlarmName) throw ruleError(`the alarm ${def.AlarmName} cannot depend on itself`);
      if (!this.alarms.get(region)?.has(name) && !this.composites.get(region)?.has(name)) throw ruleError(`the alarm ${ref} does not exist in ${region}`);
    }
    let byName = this.composites.get(region);
    if (!byName) this.composites.set(region, (byName = new Map()));
    const now = this.world.clock.now();
    const existing = byName.get(def.AlarmName);
    const c: CompositeAlarm = existing ?? {
      name: def.AlarmName,
      region,
      arn: arn.alarm(region, def.AlarmName),
      rule: def.AlarmRule,
      parsed,
      actionsEnabled: true,
      alarmActions: [],
      okActions: [],
      insufficientDataActions: [],
      state: { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation', reasonData: '', timestamp: now },
      updatedAt: now,
      history: [],
    };
    Object.assign(c, {
      rule: def.AlarmRule,
      parsed,
      description: def.AlarmDescription,
      actionsEnabled: def.ActionsEnabled ?? true,
      alarmActions: [...(def.AlarmActions ?? [])],
      okActions: [...(def.OKActions ?? [])],
      insufficientDataActions: [...(def.InsufficientDataActions ?? [])],
      updatedAt: now,
    });
    byName.set(def.AlarmName, c);
    this.evaluateComposite(c, new Set());
    return {};
  }

  /** An alarm named in a rule by name or ARN (an ARN of this Region and account). */
  private refName(region: string, ref: string): string {
    if (!ref.startsWith('arn:')) return ref;
    const m = /^arn:aws:cloudwatch:([a-z0-9-]+):(\d{12}):alarm:(.+)$/.exec(ref);
    if (!m || m[1] !== region || m[2] !== ACCOUNT_ID) throw ruleError(`${ref} is not an alarm ARN of this account in ${region}`);
    return m[3]!;
  }

  /** Evaluates a composite's rule and moves it to ALARM or OK (`seen` stops a cycle of composites). */
  private evaluateComposite(c: CompositeAlarm, seen: Set<CompositeAlarm>): void {
    if (seen.has(c)) return;
    seen.add(c);
    const stateOf = (ref: string) => this.alarmState(c.region, this.refName(c.region, ref));
    const value: AlarmStateValue = evaluateAlarmRule(c.parsed, stateOf) ? 'ALARM' : 'OK';
    if (value === c.state.value) return;
    const triggering = ruleAlarms(c.parsed).map((ref) => {
      const name = this.refName(c.region, ref);
      const child = this.alarms.get(c.region)?.get(name) ?? this.composites.get(c.region)?.get(name);
      return {
        arn: arn.alarm(c.region, name),
        state: { value: child?.state.value ?? 'INSUFFICIENT_DATA', timestamp: cwTimestamp(child?.state.timestamp ?? this.world.clock.now()) },
      };
    });
    const reason = `${value === 'ALARM' ? 'The alarm rule is true' : 'The alarm rule is false'}: ${triggering.map((t) => `${t.arn.split(':alarm:')[1]} is ${t.state.value}`).join(', ') || c.rule}`;
    this.transitionComposite(c, value, reason, JSON.stringify({ triggeringAlarms: triggering }), seen);
  }

  private transitionComposite(c: CompositeAlarm, value: AlarmStateValue, reason: string, reasonData: string, seen = new Set<CompositeAlarm>([c])): void {
    const now = this.world.clock.now();
    const previous = c.state;
    c.state = { value, reason, reasonData, timestamp: now };
    if (previous.value === value) return;
    c.history.push({ t: now, from: previous.value, to: value, reason });
    this.world.log('alarm', `${c.name}: ${previous.value} -> ${value}`, { alarm: c.name, region: c.region, reason, composite: true });
    const st = (s: AlarmState) => ({
      value: s.value,
      reason: s.reason,
      ...(s.reasonData ? { reasonData: s.reasonData } : {}),
      timestamp: cwTimestamp(s.timestamp),
    });
    this.world.events.emitAws(c.region, {
      source: 'aws.cloudwatch',
      detailType: 'CloudWatch Alarm State Change',
      resources: [c.arn],
      detail: {
        alarmName: c.name,
        state: st(c.state),
        previousState: st(previous),
        configuration: { alarmRule: c.rule, ...(c.description !== undefined ? { description: c.description } : {}) },
      },
    });
    if (c.actionsEnabled) {
      const actions = value === 'ALARM' ? c.alarmActions : value === 'OK' ? c.okActions : c.insufficientDataActions;
      for (const action of actions) {
        if (action.startsWith('arn:aws:sns:')) {
          this.world.sns.publishInternal(
            action,
            JSON.stringify({
              AlarmName: c.name,
              NewStateValue: value,
              OldStateValue: previous.value,
              NewStateReason: reason,
              StateChangeTime: cwTimestamp(now),
              Region: c.region,
              AlarmArn: c.arn,
            }),
            `${value}: "${c.name}" in ${c.region}`,
          );
        }
      }
    }
    this.onStateChange(c.region, c.name, seen);
  }

  /** An alarm changed state: the composites whose rule names it are evaluated again. */
  private onStateChange(region: string, name: string, seen: Set<CompositeAlarm>): void {
    const value = this.alarmState(region, name);
    for (const listener of this.stateListeners) if (value) listener(region, name, value);
    for (const parent of [...(this.composites.get(region)?.values() ?? [])].sort((a, b) => a.name.localeCompare(b.name))) {
      if (ruleAlarms(parent.parsed).some((ref) => ref === name || ref === arn.alarm(region, name))) this.evaluateComposite(parent, seen);
    }
  }

  private compositeShape(c: CompositeAlarm) {
    return {
      AlarmName: c.name,
      AlarmArn: c.arn,
      AlarmDescription: c.description,
      AlarmRule: c.rule,
      AlarmConfigurationUpdatedTimestamp: new Date(c.updatedAt),
      ActionsEnabled: c.actionsEnabled,
      OKActions: [...c.okActions],
      AlarmActions: [...c.alarmActions],
      InsufficientDataActions: [...c.insufficientDataActions],
      StateValue: c.state.value,
      StateReason: c.state.reason,
      StateReasonData: c.state.reasonData || undefined,
      StateUpdatedTimestamp: new Date(c.state.timestamp),
      StateTransitionedTimestamp: new Date(c.state.timestamp),
    };
  }

  private tick(): void {
    const now = this.world.clock.now();
    const minute = now % 60_000 === 0;
    for (const [region, byName] of [...this.alarms.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      if (this.world.isRegionOut(region)) continue; // the alarm dies with its Region
      for (const a of [...byName.values()].sort((x, y) => x.def.AlarmName.localeCompare(y.def.AlarmName))) {
        if (a.def.Period < 60 || minute) this.evaluate(a, now);
      }
    }
  }

  /** Evaluates one alarm at time `now` (exposed for tests). */
  evaluate(a: Alarm, now: number): void {
    const d = a.def;
    const P = d.Period * 1000;
    const N = d.EvaluationPeriods;
    const range = N + 2; // "5 for N=3" (docs/aws-behaviour.md §3); the exact size is AWS-internal
    const all = this.points(a.region, d.Namespace, d.MetricName, d.Dimensions);
    const buckets: (number | undefined)[] = [];
    const bucketTimes: number[] = [];
    const samples: number[] = [];
    for (let i = 0; i < range; i++) {
      const end = now - i * P;
      const start = end - P;
      const pts = all.filter((p) => p.t >= start && p.t < end && (d.Period >= 60 || p.highRes));
      buckets.push(pts.length ? statOf(pts, d.Statistic) : undefined);
      bucketTimes.push(start);
      samples.push(pts.reduce((s, p) => s + p.count, 0));
    }
    const breaches = (v: number): boolean => {
      switch (d.ComparisonOperator) {
        case 'GreaterThanOrEqualToThreshold':
          return v >= d.Threshold;
        case 'GreaterThanThreshold':
          return v > d.Threshold;
        case 'LessThanThreshold':
          return v < d.Threshold;
        case 'LessThanOrEqualToThreshold':
          return v <= d.Threshold;
      }
    };
    const treat: TreatMissingData = d.Namespace === 'AWS/DynamoDB' ? 'ignore' : (d.TreatMissingData ?? 'missing');
    const r = decideAlarmState({
      buckets,
      evaluationPeriods: N,
      datapointsToAlarm: d.DatapointsToAlarm ?? N,
      treatMissingData: treat,
      breaches,
      current: a.state.value,
    });
    if (r.value === a.state.value) return;
    const fmt = (ms: number) => {
      const x = new Date(ms);
      const p2 = (n: number) => String(n).padStart(2, '0');
      return `${p2(x.getUTCDate())}/${p2(x.getUTCMonth() + 1)}/${String(x.getUTCFullYear()).slice(2)} ${p2(x.getUTCHours())}:${p2(x.getUTCMinutes())}:${p2(x.getUTCSeconds())}`;
    };
    const realIdx = buckets
      .map((b, i) => (b === undefined ? -1 : i))
      .filter((i) => i >= 0)
      .slice(0, N);
    const listed = realIdx.map((i) => `${buckets[i]} (${fmt(bucketTimes[i]!)})`).join(', ');
    const cmpText: Record<Comparator, string> = {
      GreaterThanOrEqualToThreshold: 'greater than or equal to',
      GreaterThanThreshold: 'greater than',
      LessThanThreshold: 'less than',
      LessThanOrEqualToThreshold: 'less than or equal to',
    };
    const reason =
      r.value === 'INSUFFICIENT_DATA'
        ? `Insufficient Data: ${range - realIdx.length} datapoints were unknown.`
        : `Threshold Crossed: ${r.breaching} out of the last ${N} datapoints [${listed}] ${r.value === 'ALARM' ? 'were' : 'were not'} ${cmpText[d.ComparisonOperator]} the threshold (${d.Threshold}) (minimum ${d.DatapointsToAlarm} datapoint${d.DatapointsToAlarm === 1 ? '' : 's'} for ${a.state.value} -> ${r.value} transition).`;
    const reasonData = JSON.stringify({
      version: '1.0',
      queryDate: cwTimestamp(now),
      startDate: cwTimestamp(now - range * P),
      statistic: d.Statistic,
      period: d.Period,
      recentDatapoints: realIdx.map((i) => buckets[i]).reverse(),
      threshold: d.Threshold,
      evaluatedDatapoints: realIdx.map((i) => ({ timestamp: cwTimestamp(bucketTimes[i]!), sampleCount: samples[i], value: buckets[i] })),
    });
    this.transition(a, r.value, reason, reasonData);
  }

  private transition(a: Alarm, value: AlarmStateValue, reason: string, reasonData: string): void {
    const now = this.world.clock.now();
    const previous = a.state;
    a.state = { value, reason, reasonData, timestamp: now };
    if (previous.value === value) return; // SetAlarmState to the same state: no event (no transition)
    a.history.push({ t: now, from: previous.value, to: value, reason });
    this.world.log('alarm', `${a.def.AlarmName}: ${previous.value} -> ${value}`, { alarm: a.def.AlarmName, region: a.region, reason });
    const d = a.def;
    const dims: Record<string, string> = {};
    for (const x of d.Dimensions ?? []) dims[x.Name] = x.Value;
    const st = (s: AlarmState) => ({
      value: s.value,
      reason: s.reason,
      ...(s.reasonData ? { reasonData: s.reasonData } : {}),
      timestamp: cwTimestamp(s.timestamp),
    });
    this.world.events.emitAws(a.region, {
      source: 'aws.cloudwatch',
      detailType: 'CloudWatch Alarm State Change',
      resources: [a.arn],
      detail: {
        alarmName: d.AlarmName,
        state: st(a.state),
        previousState: st(previous),
        configuration: {
          ...(d.AlarmDescription !== undefined ? { description: d.AlarmDescription } : {}),
          metrics: [
            {
              id: a.metricId,
              metricStat: { metric: { namespace: d.Namespace, name: d.MetricName, dimensions: dims }, period: d.Period, stat: d.Statistic },
              returnData: true,
            },
          ],
        },
      },
    });
    if (d.ActionsEnabled !== false) {
      const actions = value === 'ALARM' ? d.AlarmActions : value === 'OK' ? d.OKActions : d.InsufficientDataActions;
      for (const action of actions ?? []) {
        if (action.startsWith('arn:aws:sns:')) {
          this.world.sns.publishInternal(
            action,
            JSON.stringify({
              AlarmName: d.AlarmName,
              NewStateValue: value,
              OldStateValue: previous.value,
              NewStateReason: reason,
              StateChangeTime: cwTimestamp(now),
              Region: a.region,
              AlarmArn: a.arn,
            }),
            `${value}: "${d.AlarmName}" in ${a.region}`,
          );
        }
      }
    }
    this.onStateChange(a.region, d.AlarmName, new Set());
  }
}
