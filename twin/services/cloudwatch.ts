/**
 * CloudWatch: metric datapoints (PutMetricData, GetMetricData, GetMetricStatistics) and metric
 * alarms evaluated on the virtual clock (every minute for periods of 60 s or more, every 10 s for
 * high-resolution periods), with AWS's M-of-N and missing-data rules (AWS-FACTS §3, CloudWatch
 * user guide "How alarm state is evaluated when data is missing"). A state change emits the
 * "CloudWatch Alarm State Change" event into EventBridge and notifies SNS alarm actions.
 */
import { TwinUnsupportedError, awsError } from '../errors.js';
import type { Authorization } from '../iam.js';
import type { World } from '../world.js';
import { arn, clone, supportOnly, type CallCtx, type OpHandler, type ServiceModel } from './base.js';

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
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
 * and AWS-FACTS §3:
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
  `${ns}|${name}|${[...dims].sort((a, b) => a.Name.localeCompare(b.Name)).map((d) => `${d.Name}=${d.Value}`).join(',')}`;

const statOf = (pts: readonly Point[], stat: Stat): number => {
  const count = pts.reduce((a, p) => a + p.count, 0);
  const sum = pts.reduce((a, p) => a + p.sum, 0);
  switch (stat) {
    case 'Average': return sum / count;
    case 'Sum': return sum;
    case 'SampleCount': return count;
    case 'Minimum': return Math.min(...pts.map((p) => p.min));
    case 'Maximum': return Math.max(...pts.map((p) => p.max));
  }
};

const TWO_WEEKS = 14 * 86_400_000;
const TWO_HOURS = 2 * 3_600_000;

export class CloudWatchService implements ServiceModel {
  readonly key = 'cloudwatch' as const;
  private readonly metrics = new Map<string, Map<string, Point[]>>(); // region -> metricKey -> points (time order)
  private readonly alarms = new Map<string, Map<string, Alarm>>(); // region -> name -> alarm

  constructor(private readonly world: World) {
    // One 10-second tick drives every alarm; periods ≥ 60 s are evaluated on minute boundaries.
    const start = Math.ceil(world.clock.now() / 10_000) * 10_000;
    world.clock.every(10_000, start, () => this.tick(), 'cloudwatch alarm evaluation');
  }

  readonly operations: Record<string, OpHandler> = {
    PutMetricData: (i, c) => this.putMetricData(i, c),
    GetMetricData: (i, c) => this.getMetricData(i, c),
    GetMetricStatistics: (i, c) => this.getMetricStatistics(i, c),
    PutMetricAlarm: (i, c) => this.putMetricAlarm(i, c),
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

  putMetricData(input: { Namespace?: string; MetricData?: { MetricName?: string; Dimensions?: Dimension[]; Timestamp?: Date; Value?: number; Values?: number[]; Counts?: number[]; StatisticValues?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number }; Unit?: string; StorageResolution?: number }[] }, ctx: CallCtx) {
    supportOnly('cloudwatch', 'PutMetricData', input, ['Namespace', 'MetricData']);
    if (!input.Namespace) throw awsError('cloudwatch', 'MissingRequiredParameterException', 'The parameter Namespace is required.');
    if (input.Namespace.startsWith('AWS/')) throw awsError('cloudwatch', 'InvalidParameterValueException', `The value ${input.Namespace} for parameter Namespace is invalid.`);
    const data = input.MetricData ?? [];
    if (data.length === 0) throw awsError('cloudwatch', 'MissingRequiredParameterException', 'The parameter MetricData is required.');
    if (data.length > 1000) throw awsError('cloudwatch', 'InvalidParameterValueException', 'The collection MetricData must not have a size greater than 1000.');
    const now = this.world.clock.now();
    const staged: [Dimension[], string, Point][] = [];
    data.forEach((d, idx) => {
      const at = `MetricData.member.${idx + 1}`;
      if (!d.MetricName) throw awsError('cloudwatch', 'MissingRequiredParameterException', `The parameter ${at}.MetricName is required.`);
      if ((d.Dimensions?.length ?? 0) > 30) throw awsError('cloudwatch', 'InvalidParameterValueException', `The collection ${at}.Dimensions must not have a size greater than 30.`);
      const t = d.Timestamp ? new Date(d.Timestamp).getTime() : now;
      if (t > now + TWO_HOURS) throw awsError('cloudwatch', 'InvalidParameterValueException', `The parameter ${at}.Timestamp must specify a time no more than two hours in the future.`);
      if (t < now - TWO_WEEKS) throw awsError('cloudwatch', 'InvalidParameterValueException', `The parameter ${at}.Timestamp must specify a time within the past two weeks.`);
      const bad = (v: number, field: string) => {
        if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > 2 ** 360 || (v !== 0 && Math.abs(v) < 2 ** -260)) {
          throw awsError('cloudwatch', 'InvalidParameterValueException', `The value ${String(v)} for parameter ${at}.${field} is invalid.`);
        }
      };
      const highRes = d.StorageResolution === 1;
      const kinds = [d.Value !== undefined, d.Values !== undefined, d.StatisticValues !== undefined].filter(Boolean).length;
      if (kinds !== 1) throw awsError('cloudwatch', 'InvalidParameterCombinationException', `The parameters ${at}.Value, ${at}.Values and ${at}.StatisticValues are mutually exclusive and one is required.`);
      let p: Point;
      if (d.Value !== undefined) {
        bad(d.Value, 'Value');
        p = { t, count: 1, sum: d.Value, min: d.Value, max: d.Value, highRes };
      } else if (d.Values !== undefined) {
        if (d.Values.length > 150) throw awsError('cloudwatch', 'InvalidParameterValueException', `The collection ${at}.Values must not have a size greater than 150.`);
        if (d.Counts && d.Counts.length !== d.Values.length) throw awsError('cloudwatch', 'InvalidParameterValueException', `The parameters ${at}.Values and ${at}.Counts must be of the same size.`);
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

  getMetricData(input: { MetricDataQueries?: { Id: string; Label?: string; ReturnData?: boolean; Expression?: string; Period?: number; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: Dimension[] }; Period: number; Stat: string; Unit?: string } }[]; StartTime?: Date; EndTime?: Date; ScanBy?: string; MaxDatapoints?: number; NextToken?: string }, ctx: CallCtx) {
    supportOnly('cloudwatch', 'GetMetricData', input, ['MetricDataQueries', 'StartTime', 'EndTime', 'ScanBy', 'MaxDatapoints']);
    if (!input.StartTime || !input.EndTime) throw awsError('cloudwatch', 'MissingRequiredParameterException', 'The parameters StartTime and EndTime are required.');
    const start = new Date(input.StartTime).getTime();
    const end = new Date(input.EndTime).getTime();
    if (end <= start) throw awsError('cloudwatch', 'InvalidParameterValueException', 'The parameter StartTime must be less than the parameter EndTime.');
    const results = [];
    for (const q of input.MetricDataQueries ?? []) {
      if (q.Expression !== undefined) throw new TwinUnsupportedError('twin cloudwatch:GetMetricData does not model metric math (Expression)');
      if (!q.MetricStat) throw awsError('cloudwatch', 'InvalidParameterValueException', `The query ${q.Id} must have exactly one of Expression and MetricStat.`);
      const ms = q.MetricStat;
      const stat = ms.Stat as Stat;
      if (!STATS.includes(stat)) throw new TwinUnsupportedError(`twin cloudwatch:GetMetricData models the statistics ${STATS.join(', ')} only, got ${ms.Stat}`);
      if (!(ms.Period >= 1) || (ms.Period >= 60 ? ms.Period % 60 !== 0 : ![1, 5, 10, 20, 30].includes(ms.Period))) {
        throw awsError('cloudwatch', 'InvalidParameterValueException', `The parameter MetricDataQueries.member.Period must be 1, 5, 10, 20, 30 or a multiple of 60, got ${ms.Period}.`);
      }
      if (q.ReturnData === false) continue;
      const b = this.buckets(ctx.region, ms.Metric.Namespace, ms.Metric.MetricName, ms.Metric.Dimensions, ms.Period, start, end, stat);
      if (input.ScanBy !== 'TimestampAscending') b.reverse();
      results.push({ Id: q.Id, Label: q.Label ?? ms.Metric.MetricName, Timestamps: b.map((x) => new Date(x.t)), Values: b.map((x) => x.value), StatusCode: 'Complete' });
    }
    return { MetricDataResults: results, Messages: [] };
  }

  getMetricStatistics(input: { Namespace?: string; MetricName?: string; Dimensions?: Dimension[]; StartTime?: Date; EndTime?: Date; Period?: number; Statistics?: string[]; Unit?: string; ExtendedStatistics?: string[] }, ctx: CallCtx) {
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

  putMetricAlarm(input: AlarmDefinition & { Metrics?: unknown; ExtendedStatistic?: string; ThresholdMetricId?: string; EvaluateLowSampleCountPercentile?: string; Tags?: unknown }, ctx: CallCtx) {
    supportOnly('cloudwatch', 'PutMetricAlarm', input, [
      'AlarmName', 'AlarmDescription', 'Namespace', 'MetricName', 'Dimensions', 'Statistic', 'Period', 'EvaluationPeriods', 'DatapointsToAlarm',
      'Threshold', 'ComparisonOperator', 'TreatMissingData', 'ActionsEnabled', 'AlarmActions', 'OKActions', 'InsufficientDataActions', 'Unit', 'Tags',
    ]);
    return this.defineAlarm(ctx.region, input);
  }

  /** Creates or replaces an alarm (setup API and PutMetricAlarm). The state of an existing alarm is kept. */
  defineAlarm(region: string, def: AlarmDefinition): Record<string, never> {
    const fail = (msg: string) => {
      throw awsError('cloudwatch', 'InvalidParameterValueException', msg);
    };
    if (!def.AlarmName) fail('The parameter AlarmName is required.');
    if (!STATS.includes(def.Statistic)) fail(`The parameter Statistic must be one of ${STATS.join(', ')} (the twin does not model ExtendedStatistic), got ${String(def.Statistic)}.`);
    if (!COMPARATORS.includes(def.ComparisonOperator)) fail(`The parameter ComparisonOperator must be one of ${COMPARATORS.join(', ')}, got ${String(def.ComparisonOperator)}.`);
    const P = def.Period;
    if (![10, 20, 30].includes(P) && !(P >= 60 && P % 60 === 0)) fail(`The parameter Period must be 10, 20, 30 or a multiple of 60, got ${P}.`);
    if (!(def.EvaluationPeriods >= 1)) fail('The parameter EvaluationPeriods must be at least 1.');
    const M = def.DatapointsToAlarm ?? def.EvaluationPeriods;
    if (M < 1 || M > def.EvaluationPeriods) fail('DatapointsToAlarm must be between 1 and EvaluationPeriods.');
    const span = P * def.EvaluationPeriods;
    if (span > (P < 3600 ? 86_400 : 7 * 86_400)) fail('The evaluation period (Period × EvaluationPeriods) must not exceed one day (seven days for periods of an hour or more).');
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

  describeAlarms(input: { AlarmNames?: string[]; AlarmNamePrefix?: string; StateValue?: string; AlarmTypes?: string[]; MaxRecords?: number; NextToken?: string }, ctx: CallCtx) {
    supportOnly('cloudwatch', 'DescribeAlarms', input, ['AlarmNames', 'AlarmNamePrefix', 'StateValue', 'AlarmTypes', 'MaxRecords']);
    const all = [...(this.alarms.get(ctx.region)?.values() ?? [])].sort((a, b) => a.def.AlarmName.localeCompare(b.def.AlarmName));
    const list = all.filter(
      (a) =>
        (!input.AlarmNames?.length || input.AlarmNames.includes(a.def.AlarmName)) &&
        (!input.AlarmNamePrefix || a.def.AlarmName.startsWith(input.AlarmNamePrefix)) &&
        (!input.StateValue || a.state.value === input.StateValue),
    );
    const wantMetric = !input.AlarmTypes?.length || input.AlarmTypes.includes('MetricAlarm');
    return { MetricAlarms: wantMetric ? list.map((a) => this.alarmShape(a)) : [], CompositeAlarms: [] };
  }

  /**
   * State updates of one alarm (HistoryItemType StateUpdate), newest first, within
   * [StartDate, EndDate], with HistoryData as AWS writes it (`oldState`/`newState` `stateValue`).
   * The history of an alarm that does not exist in the Region is empty (not an error), as on AWS.
   */
  describeAlarmHistory(input: { AlarmName?: string; HistoryItemType?: string; StartDate?: Date | string; EndDate?: Date | string; MaxRecords?: number; ScanBy?: string }, ctx: CallCtx) {
    supportOnly('cloudwatch', 'DescribeAlarmHistory', input, ['AlarmName', 'HistoryItemType', 'StartDate', 'EndDate', 'MaxRecords', 'ScanBy', 'AlarmTypes']);
    if (!input.AlarmName) throw new TwinUnsupportedError('twin: DescribeAlarmHistory without AlarmName (every alarm\'s history) is not modelled');
    if (input.HistoryItemType && input.HistoryItemType !== 'StateUpdate') throw new TwinUnsupportedError(`twin: DescribeAlarmHistory HistoryItemType ${input.HistoryItemType} is not modelled`);
    if (input.MaxRecords !== undefined && (input.MaxRecords < 1 || input.MaxRecords > 100)) {
      throw awsError('cloudwatch', 'InvalidParameterValue', `The value ${input.MaxRecords} for parameter MaxRecords is not valid: it must be between 1 and 100`);
    }
    const from = input.StartDate === undefined ? -Infinity : new Date(input.StartDate).getTime();
    const to = input.EndDate === undefined ? Infinity : new Date(input.EndDate).getTime();
    const alarm = this.alarms.get(ctx.region)?.get(input.AlarmName);
    const items = (alarm?.history ?? [])
      .filter((h) => h.t >= from && h.t <= to)
      .map((h) => ({
        AlarmName: input.AlarmName,
        AlarmType: 'MetricAlarm',
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
    for (const n of input.AlarmNames ?? []) this.alarms.get(ctx.region)?.delete(n);
    return {};
  }

  /** The alarm's current state value (test and report helper). */
  alarmState(region: string, name: string): AlarmStateValue | undefined {
    return this.alarms.get(region)?.get(name)?.state.value;
  }

  /** The alarm's state changes. */
  alarmHistory(region: string, name: string): Alarm['history'] {
    return this.alarms.get(region)?.get(name)?.history ?? [];
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
    const range = N + 2; // "5 for N=3" (AWS-FACTS §3); the exact size is AWS-internal
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
        case 'GreaterThanOrEqualToThreshold': return v >= d.Threshold;
        case 'GreaterThanThreshold': return v > d.Threshold;
        case 'LessThanThreshold': return v < d.Threshold;
        case 'LessThanOrEqualToThreshold': return v <= d.Threshold;
      }
    };
    const treat: TreatMissingData = d.Namespace === 'AWS/DynamoDB' ? 'ignore' : d.TreatMissingData ?? 'missing';
    const r = decideAlarmState({ buckets, evaluationPeriods: N, datapointsToAlarm: d.DatapointsToAlarm ?? N, treatMissingData: treat, breaches, current: a.state.value });
    if (r.value === a.state.value) return;
    const fmt = (ms: number) => {
      const x = new Date(ms);
      const p2 = (n: number) => String(n).padStart(2, '0');
      return `${p2(x.getUTCDate())}/${p2(x.getUTCMonth() + 1)}/${String(x.getUTCFullYear()).slice(2)} ${p2(x.getUTCHours())}:${p2(x.getUTCMinutes())}:${p2(x.getUTCSeconds())}`;
    };
    const realIdx = buckets.map((b, i) => (b === undefined ? -1 : i)).filter((i) => i >= 0).slice(0, N);
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
    const st = (s: AlarmState) => ({ value: s.value, reason: s.reason, ...(s.reasonData ? { reasonData: s.reasonData } : {}), timestamp: cwTimestamp(s.timestamp) });
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
          metrics: [{ id: a.metricId, metricStat: { metric: { namespace: d.Namespace, name: d.MetricName, dimensions: dims }, period: d.Period, stat: d.Statistic }, returnData: true }],
        },
      },
    });
    if (d.ActionsEnabled !== false) {
      const actions = value === 'ALARM' ? d.AlarmActions : value === 'OK' ? d.OKActions : d.InsufficientDataActions;
      for (const action of actions ?? []) {
        if (action.startsWith('arn:aws:sns:')) {
          this.world.sns.publishInternal(action, JSON.stringify({ AlarmName: d.AlarmName, NewStateValue: value, OldStateValue: previous.value, NewStateReason: reason, StateChangeTime: cwTimestamp(now), Region: a.region, AlarmArn: a.arn }), `${value}: "${d.AlarmName}" in ${a.region}`);
        }
      }
    }
  }
}
