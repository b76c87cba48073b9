/**
 * EventBridge Scheduler schedule expressions, as Scheduler reads them (docs/aws-behaviour.md
 * "EventBridge Scheduler"): `rate(value unit)`, `cron(minutes hours day-of-month month day-of-week
 * year)` and `at(yyyy-mm-ddThh:mm:ss)`, evaluated in the schedule's IANA time zone. Pure: no clock.
 * `failover validate` checks `gameDay.schedule` with it (lib/config/rules.ts); the twin's Scheduler
 * (twin/services/scheduler.ts) validates and fires schedules with it.
 *
 * Cron fields and wildcards:
 *   minutes 0-59 `, - * /` · hours 0-23 `, - * /` · day-of-month 1-31 `, - * ? / L W` ·
 *   month 1-12 or JAN-DEC `, - * /` · day-of-week 1-7 or SUN-SAT (1 = Sunday) `, - * ? L #` ·
 *   year 1970-2199 `, - * /`.
 * Exactly one of day-of-month and day-of-week is `?`. `L`: the last day of the month (or, after a
 * weekday, `6L`, its last one in the month; alone in day-of-week, Saturday); `3W`: the weekday
 * nearest the 3rd, within the month; `LW`: the last weekday of the month; `2#1`: the first Monday.
 *
 * Modelling choices: a schedule fires at the start of its minute (Scheduler fires within the
 * minute, flexible time window off); a local time that a daylight-saving jump skips runs at the
 * instant it maps to after the jump; a repeated local time runs once, at its first occurrence.
 */

/** A schedule expression Scheduler refuses: the message says why (ValidationException). */
export class ScheduleExpressionError extends Error {
  override readonly name = 'ValidationException';
}

type Numbers = ReadonlySet<number>;

export interface CronExpression {
  readonly kind: 'cron';
  readonly minutes: Numbers;
  readonly hours: Numbers;
  /** Null: `?` (day-of-week decides). */
  readonly dayOfMonth: null | { readonly days: Numbers; readonly last: boolean; readonly lastWeekday: boolean; readonly nearestWeekday: Numbers };
  readonly months: Numbers;
  /** Null: `?` (day-of-month decides). 1 = Sunday. */
  readonly dayOfWeek: null | { readonly days: Numbers; readonly lastOf: Numbers; readonly nth: readonly { readonly day: number; readonly n: number }[] };
  readonly years: Numbers;
}
export interface RateExpression {
  readonly kind: 'rate';
  readonly periodMs: number;
}
export interface AtExpression {
  readonly kind: 'at';
  readonly local: {
    readonly year: number;
    readonly month: number;
    readonly day: number;
    readonly hour: number;
    readonly minute: number;
    readonly second: number;
  };
}
export type ScheduleExpression = CronExpression | RateExpression | AtExpression;

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const bad = (expr: string, why: string): ScheduleExpressionError => new ScheduleExpressionError(`Invalid Schedule Expression ${expr}: ${why}`);

/** Parses a schedule expression or throws {@link ScheduleExpressionError}. */
export function parseScheduleExpression(expr: string): ScheduleExpression {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expr);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2]!;
    if (n < 1) throw bad(expr, 'the rate must be a positive number');
    if (n !== 1 && !unit.endsWith('s')) throw bad(expr, `use the plural unit with ${n} (${unit}s)`);
    const ms = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[unit.replace(/s$/, '') as 'minute' | 'hour' | 'day'];
    return { kind: 'rate', periodMs: n * ms };
  }
  if (expr.startsWith('rate(')) throw bad(expr, 'a rate is rate(value unit) with unit minutes, hours or days');
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expr);
  if (at) {
    const [year, month, day, hour, minute, second] = at.slice(1).map(Number) as [number, number, number, number, number, number];
    const probe = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
    if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
      throw bad(expr, 'the date and time do not exist');
    }
    return { kind: 'at', local: { year, month, day, hour, minute, second } };
  }
  if (expr.startsWith('at(')) throw bad(expr, 'a one-time schedule is at(yyyy-mm-ddThh:mm:ss)');
  const cron = /^cron\((.*)\)$/.exec(expr);
  if (!cron) throw bad(expr, 'expected rate(...), cron(...) or at(...)');
  return parseCron(expr, cron[1]!);
}

function parseCron(expr: string, body: string): CronExpression {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) throw bad(expr, `a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), not ${fields.length}`);
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) throw bad(expr, 'exactly one of day-of-month and day-of-week must be ?');
  return {
    kind: 'cron',
    minutes: plainField(expr, 'minutes', min, 0, 59),
    hours: plainField(expr, 'hours', hour, 0, 23),
    dayOfMonth: dom === '?' ? null : dayOfMonthField(expr, dom),
    months: plainField(expr, 'month', month, 1, 12, MONTHS),
    dayOfWeek: dow === '?' ? null : dayOfWeekField(expr, dow),
    years: plainField(expr, 'year', year, 1970, 2199),
  };
}

function value(expr: string, field: string, text: string, lo: number, hi: number, names?: readonly string[]): number {
  const named = names?.indexOf(text.toUpperCase()) ?? -1;
  const n = named >= 0 ? named + lo : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < lo || n > hi) throw bad(expr, `${field} "${text}" is not in ${lo}-${hi}${names ? ` or ${names[0]}-${names.at(-1)}` : ''}`);
  return n;
}

/** `*`, `a`, `a-b`, `a/s`, `*\/s`, `a-b/s`, comma-separated. */
function plainField(expr: string, field: string, text: string, lo: number, hi: number, names?: readonly string[]): Numbers {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    if (part === '') throw bad(expr, `${field} has an empty list item`);
    const [range, stepText] = part.split('/') as [string, string | undefined];
    if (part.split('/').length > 2) throw bad(expr, `${field} "${part}" has more than one /`);
    const step = stepText === undefined ? 1 : value(expr, `${field} step`, stepText, 1, hi - lo + 1);
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [lo, hi];
    else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      from = value(expr, field, a, lo, hi, names);
      to = value(expr, field, b, lo, hi, names);
      if (to < from) throw bad(expr, `${field} range "${range}" runs backwards`);
    } else {
      from = value(expr, field, range, lo, hi, names);
      to = stepText === undefined ? from : hi;
    }
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

function dayOfMonthField(expr: string, text: string): NonNullable<CronExpression['dayOfMonth']> {
  let last = false;
  let lastWeekday = false;
  const nearest = new Set<number>();
  const plain: string[] = [];
  for (const part of text.split(',')) {
    if (part === 'L') last = true;
    else if (part === 'LW') lastWeekday = true;
    else if (/^\d+W$/.test(part)) nearest.add(value(expr, 'day-of-month', part.slice(0, -1), 1, 31));
    else if (/[LW#?]/.test(part)) throw bad(expr, `day-of-month "${part}" is not a day, a range, L, LW or nW`);
    else plain.push(part);
  }
  return { days: plain.length ? plainField(expr, 'day-of-month', plain.join(','), 1, 31) : new Set(), last, lastWeekday, nearestWeekday: nearest };
}

function dayOfWeekField(expr: string, text: string): NonNullable<CronExpression['dayOfWeek']> {
  const lastOf = new Set<number>();
  const nth: { day: number; n: number }[] = [];
  const plain: string[] = [];
  for (const part of text.split(',')) {
    if (part === 'L') plain.push('7');
    else if (/^[A-Za-z0-9]+L$/.test(part)) lastOf.add(value(expr, 'day-of-week', part.slice(0, -1), 1, 7, DAYS));
    else if (part.includes('#')) {
      const [d, n] = part.split('#') as [string, string];
      nth.push({ day: value(expr, 'day-of-week', d, 1, 7, DAYS), n: value(expr, 'day-of-week #', n ?? '', 1, 5) });
    } else if (/[LW?]/.test(part)) throw bad(expr, `day-of-week "${part}" is not a day, a range, nL or n#k`);
    else plain.push(part);
  }
  return { days: plain.length ? plainField(expr, 'day-of-week', plain.join(','), 1, 7, DAYS) : new Set(), lastOf, nth };
}

/** True when the IANA time zone name is one the runtime (and Scheduler) knows. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Wall-clock fields of an instant in a time zone. */
export function localFields(ms: number, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

/** The instant of a wall-clock time in a time zone (see the module comment for skipped and repeated times). */
export function localToInstant(l: { year: number; month: number; day: number; hour: number; minute: number; second?: number }, timeZone: string): number {
  const wall = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second ?? 0);
  const offsetAt = (ms: number): number => {
    const f = localFields(ms, timeZone);
    return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - Math.floor(ms / 1000) * 1000;
  };
  // Try the offsets in force a day before and after: the earliest instant that shows this wall time wins.
  const candidates = [...new Set([offsetAt(wall - 86_400_000), offsetAt(wall + 86_400_000)])].map((off) => wall - off).sort((a, b) => a - b);
  for (const c of candidates) if (offsetAt(c) === wall - c) return c;
  // Skipped by a jump forward: the wall time read with the offset before the jump.
  return candidates[candidates.length - 1]!;
}

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();
/** 1 = Sunday. */
const weekday = (year: number, month: number, day: number): number => new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
const isWorkday = (year: number, month: number, day: number): boolean => {
  const w = weekday(year, month, day);
  return w !== 1 && w !== 7;
};
/** The weekday nearest `day` in its month (never crossing into another month). */
function nearestWorkday(year: number, month: number, day: number): number {
  const dim = daysInMonth(year, month);
  const d = Math.min(day, dim);
  if (isWorkday(year, month, d)) return d;
  const w = weekday(year, month, d);
  if (w === 7) return d > 1 ? d - 1 : d + 2; // Saturday: Friday before, or Monday after on the 1st
  return d < dim ? d + 1 : d - 2; // Sunday: Monday after, or Friday before on the last day
}

/** Does the cron expression's date part match this local date? */
export function cronMatchesDate(c: CronExpression, year: number, month: number, day: number): boolean {
  if (!c.years.has(year) || !c.months.has(month)) return false;
  const dim = daysInMonth(year, month);
  if (c.dayOfMonth) {
    const m = c.dayOfMonth;
    if (m.days.has(day)) return true;
    if (m.last && day === dim) return true;
    if (m.lastWeekday) {
      let d = dim;
      while (!isWorkday(year, month, d)) d--;
      if (day === d) return true;
    }
    for (const n of m.nearestWeekday) if (n <= dim && nearestWorkday(year, month, n) === day) return true;
    return false;
  }
  const w = c.dayOfWeek!;
  const wd = weekday(year, month, day);
  if (w.days.has(wd)) return true;
  if (w.lastOf.has(wd) && day + 7 > dim) return true;
  return w.nth.some((x) => x.day === wd && Math.ceil(day / 7) === x.n);
}

/** How far ahead {@link nextCronInstant} looks before it says "never". */
const SEARCH_DAYS = 366 * 8;

/** The first instant strictly after `afterMs` at which the cron expression fires in `timeZone`; undefined: never (within 8 years). */
export function nextCronInstant(c: CronExpression, afterMs: number, timeZone: string): number | undefined {
  const start = localFields(afterMs, timeZone);
  const hours = [...c.hours].sort((a, b) => a - b);
  const minutes = [...c.minutes].sort((a, b) => a - b);
  const day0 = Date.UTC(start.year, start.month - 1, start.day);
  for (let i = 0; i < SEARCH_DAYS; i++) {
    const d = new Date(day0 + i * 86_400_000);
    const [year, month, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
    if (year > 2199) return undefined;
    if (!cronMatchesDate(c, year, month, day)) continue;
    for (const hour of hours) {
      for (const minute of minutes) {
        const at = localToInstant({ year, month, day, hour, minute }, timeZone);
        if (at > afterMs) return at;
      }
    }
  }
  return undefined;
}

/**
 * When the schedule fires next after `afterMs` (`createdMs`: when it was created; a rate schedule
 * without a start date fires at once, then every period). Undefined: never again.
 */
export function nextFire(e: ScheduleExpression, timeZone: string, createdMs: number, afterMs: number): number | undefined {
  switch (e.kind) {
    case 'rate': {
      if (afterMs < createdMs) return createdMs;
      return createdMs + (Math.floor((afterMs - createdMs) / e.periodMs) + 1) * e.periodMs;
    }
    case 'at': {
      const at = localToInstant(e.local, timeZone);
      return at > afterMs ? at : undefined;
    }
    case 'cron':
      return nextCronInstant(e, afterMs, timeZone);
  }
}
