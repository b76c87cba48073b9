/**
 * The drill's terminal output: the timeline as it happens, one line per entry,
 *
 *   +00:01:10  alarm     heartbeat alarm orders-heartbeat-in-region -> ALARM
 *
 * coloured by source (never when NO_COLOR is set or the output is not a terminal), and the
 * summary block at the end (outcome, figures, invariants, expectations, result).
 */
import { dnsOverlapText, lastVerdict, MODELLED_NOTE, verdictText } from './verdict.js';
import pc from 'picocolors';
import { formatClock, formatDuration } from '../scenario/duration.js';
import { missingInvariants, missingLiveness, passed } from './judge.js';
import { EXIT, type ExpectationResult, type Report, type TimelineEntry, type TimelineSource } from './types.js';

/** picocolors' formatter set (no-ops when colour is off). */
export type Colors = ReturnType<typeof pc.createColors>;

/** Something lines can be written to, e.g. `process.stdout`. */
export interface TextOutput {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/**
 * Whether to colour output written to `out`: never with `NO_COLOR` (any non-empty value), always
 * with `FORCE_COLOR` (unless `0`/`false`), else only on a terminal that is not `TERM=dumb`.
 */
export function shouldUseColor(out: { isTTY?: boolean } | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return Boolean(out?.isTTY) && env.TERM !== 'dumb';
}

/** Formatters, coloured or not. */
export const colors = (enabled: boolean): Colors => pc.createColors(enabled);

const SOURCE_COLOR: Record<TimelineSource, keyof Colors> = {
  fault: 'red',
  alarm: 'yellow',
  workflow: 'cyan',
  operator: 'magenta',
  cloud: 'gray',
};

/**
 * Makes user-supplied text safe for a terminal: control characters (escape sequences could
 * rewrite the screen or the title) are shown as `\xNN`; with `singleLine`, line breaks become spaces.
 */
export function sanitizeText(text: string, singleLine = true): string {
  const clean = singleLine ? text.replace(/\r\n|\r|\n|\t/g, ' ') : text.replace(/\r\n|\r/g, '\n').replace(/\t/g, ' ');
  return clean.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Strips ANSI colour sequences (for tests and for measuring). */
export const stripAnsi = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, '');

export interface LineOptions {
  /** Append the entry's `detail` as compact JSON. */
  details?: boolean;
}

/** One timeline line: `+HH:MM:SS  source    event`. */
export function formatTimelineLine(entry: TimelineEntry, c: Colors = colors(false), options: LineOptions = {}): string {
  const paint: (s: string) => string = Object.hasOwn(SOURCE_COLOR, entry.source) ? (c[SOURCE_COLOR[entry.source]] as (s: string) => string) : String;
  const event = sanitizeText(entry.event);
  let line = `${c.dim(formatClock(entry.t))}  ${paint(sanitizeText(String(entry.source)).padEnd(8))}  ${entry.source === 'fault' || entry.source === 'operator' ? c.bold(event) : event}`;
  if (options.details && Object.keys(entry.detail).length > 0) {
    let json = JSON.stringify(entry.detail) ?? '';
    if (json.length > 240) json = `${json.slice(0, 237)}...`;
    line += `  ${c.dim(sanitizeText(json))}`;
  }
  return line;
}

/** The whole timeline as text, one line per entry. */
export function renderTimeline(entries: readonly TimelineEntry[], options: LineOptions & { color?: boolean } = {}): string {
  const c = colors(options.color ?? false);
  return entries.map((e) => `${formatTimelineLine(e, c, options)}\n`).join('');
}

export interface TimelinePrinterOptions extends LineOptions {
  /** Where to write. Default: `process.stdout`. */
  out?: TextOutput;
  /** Colour. Default: {@link shouldUseColor} of `out`. */
  color?: boolean;
  /** Show a self-updating progress line (virtual time reached). Default: when `out` is a terminal. */
  progress?: boolean;
  /** Wall clock in ms, to limit progress redraws to 10 a second. Default: `Date.now`. */
  now?: () => number;
}

/**
 * Prints timeline entries as they arrive (the drill calls {@link print} from the world's log),
 * with an optional progress line kept below them on a terminal.
 */
export class TimelinePrinter {
  private readonly out: TextOutput;
  private readonly c: Colors;
  private readonly showProgress: boolean;
  private readonly now: () => number;
  private readonly lineOptions: LineOptions;
  private statusShown = false;
  private lastStatusAt = Number.NEGATIVE_INFINITY;
  private printed = 0;

  constructor(options: TimelinePrinterOptions = {}) {
    this.out = options.out ?? process.stdout;
    this.c = colors(options.color ?? shouldUseColor(this.out));
    this.showProgress = options.progress ?? Boolean(this.out.isTTY);
    this.now = options.now ?? Date.now;
    this.lineOptions = { details: options.details };
  }

  /** Number of entries printed so far. */
  get count(): number {
    return this.printed;
  }

  /** Prints one entry (above the progress line, if one is shown). */
  print(entry: TimelineEntry): void {
    this.clearStatus();
    this.out.write(`${formatTimelineLine(entry, this.c, this.lineOptions)}\n`);
    this.printed++;
  }

  /** Updates the progress line: virtual time `t` of `runFor` seconds. No-op unless progress is on. */
  progress(t: number, runFor: number): void {
    if (!this.showProgress) return;
    const now = this.now();
    if (now - this.lastStatusAt < 100 && t < runFor) return;
    this.lastStatusAt = now;
    const pct = runFor > 0 ? Math.min(100, Math.floor((t / runFor) * 100)) : 100;
    this.out.write(`\r\x1b[2K${this.c.dim(`virtual ${formatClock(t)} of ${formatClock(runFor)}  ${pct}%`)}`);
    this.statusShown = true;
  }

  /** Removes the progress line (call before printing anything else, e.g. the summary). */
  end(): void {
    this.clearStatus();
  }

  private clearStatus(): void {
    if (!this.statusShown) return;
    this.out.write('\r\x1b[2K');
    this.statusShown = false;
  }
}

const seconds = (value: number | null, none: string): string =>
  value === null ? none : value >= 60 ? `${formatDuration(value)} (${Math.round(value * 10) / 10} s)` : `${Math.round(value * 10) / 10} s`;

function expectationText(e: ExpectationResult): { expected: string; actual: string } {
  if (e.name === 'maxRtoSeconds' || e.name === 'maxDataLossSeconds') {
    return { expected: `≤ ${e.expected} s`, actual: e.actual === null ? 'none (nothing failed over)' : `${e.actual} s` };
  }
  return { expected: String(e.expected), actual: e.actual === null ? 'none' : String(e.actual) };
}

export interface SummaryOptions {
  color?: boolean;
}

/**
 * The summary block printed at the end of a drill: scenario, outcome and figures, every
 * invariant (held / BROKEN with the detail / NOT CHECKED), every expectation (met / MISSED) and
 * the result with its exit status.
 */
/** The `measured` section of a real drill: measured beside modelled. */
function measuredLines(report: Report, c: ReturnType<typeof colors>): string[] {
  const m = report.measured!;
  const k = m.timeScale;
  const s = (real: number | null, virtual: number | null, none: string) => (real === null ? none : `${real} s real (${virtual} s scaled ×${k})`);
  const out = [c.bold('Measured on real PostgreSQL') + c.dim(` (virtual time ran ×${k} real time; ${m.realSeconds} s real)`)];
  const row = (label: string, value: string) => out.push(`  ${label.padEnd(22)} ${value}`);
  row('canary', `${m.canary.acknowledged} of ${m.canary.attempted} commits acknowledged (${m.canary.ratePerSecond}/s through the DNS relay)`);
  row('writer at the end', `the real ${m.newPrimary}`);
  row(
    'lost (measured)',
    m.lostCommits === null
      ? 'unknown'
      : `${m.lostCommits} acknowledged commit(s), ${m.lostCommits > 0 ? `${m.lostSecondsAtLeast} to ` : ''}${s(m.lostSeconds, m.lostSecondsVirtual, '?')}`,
  );
  row('lost (modelled)', seconds(report.dataLossSeconds, 'none (nothing failed over)'));
  row(
    'estimate at decision',
    m.estimate === null ? 'none (no data-loss check ran)' : `${m.estimate.seconds} s (${m.estimate.realSeconds} s real) at t=${m.estimate.t}s`,
  );
  row('RTO (measured)', s(m.rtoSeconds, m.rtoSecondsVirtual, 'none (no commit acknowledged by the new primary after the failure)'));
  row('RTO (modelled)', seconds(report.rtoSeconds, 'none (nothing failed over)'));
  row('after the fence', m.acceptedAfterFence === null ? 'not fenced' : `${m.acceptedAfterFence} commit(s) acknowledged by a fenced server`);
  for (const chk of m.checks) out.push(`  ${chk.held ? c.green('held  ') : c.red(c.bold('BROKEN'))}  ${chk.name}${c.dim(': ')}${sanitizeText(chk.detail)}`);
  for (const n of m.notes) out.push(c.dim(`  note: ${sanitizeText(n)}`));
  return out;
}

/** The objectives line: `RTO 100.4 s ≤ 900 s met; data at risk 0 s ≤ 30 s met: MET`. */
export function objectivesText(o: NonNullable<Report['objectives']>): string {
  const fig = (v: number | null) => (v === null ? 'none' : `${Math.round(v * 10) / 10} s`);
  const loss = o.dataLossFrom === 'data-at-risk-at-decision' ? 'data at risk' : 'data loss';
  return `game day of ${o.database}: RTO ${fig(o.comparedRtoSeconds)} ≤ ${o.rtoSeconds} s ${o.rtoMet ? 'met' : 'MISSED'}; ${loss} ${fig(o.comparedDataLossSeconds)} ≤ ${o.rpoSeconds} s ${o.rpoMet ? 'met' : 'MISSED'}: ${o.met ? 'MET' : 'NOT MET'}`;
}

/**
 * The summary of a report built from a real execution (`failover report`): the workflow's figures,
 * the approvals, fences, promotions and DNS changes, and what is not measured outside the twin.
 */
export function renderEvidenceSummary(report: Report, options: SummaryOptions = {}): string {
  const c = colors(options.color ?? false);
  const ev = report.evidence!;
  const lines: string[] = [];
  const field = (label: string, value: string) => lines.push(`  ${label.padEnd(13)} ${value}`);
  const s = (v: number | null | undefined) => seconds(v ?? null, 'none');
  lines.push(
    c.bold(`Evidence of ${sanitizeText(report.scenario)}`) +
      c.dim(` (${ev.where === 'twin' ? 'cloud twin, ' : ''}database ${sanitizeText(report.database ?? '?')})`),
  );
  for (const r of ev.runs)
    field(
      r.stateMachine,
      sanitizeText(
        `${r.status} ${r.startedAt} to ${r.stoppedAt ?? 'now'}; ${r.historyEvents} history events; incident ${r.incidentId ?? '?'}${r.recorded ? '' : ' (no record found)'}`,
      ),
    );
  field('outcome', c.bold(report.outcome));
  if (ev.drill)
    field('drill', sanitizeText(`for ${ev.drill.requestedFor}${ev.drill.fault ? `, fault ${ev.drill.fault}` : ''}${ev.drill.scheduled ? ', scheduled' : ''}`));
  field(
    'trigger',
    ev.trigger
      ? sanitizeText(`${ev.trigger.at ?? '?'} ${ev.trigger.kind}${ev.trigger.source ? ` (${ev.trigger.source})` : ''}: ${ev.trigger.summary ?? ''}`)
      : 'none recorded',
  );
  field(
    'verdict',
    sanitizeText(ev.verdict ? `${ev.verdict.verdict} at ${ev.verdict.at}${ev.verdict.reason ? `: ${ev.verdict.reason}` : ''}` : verdictText(null)),
  );
  field('detection', ev.verificationSeconds === null ? 'none' : `${s(ev.verificationSeconds)} from the trigger to the verdict`);
  field(
    'RTO',
    ev.rto
      ? `${s(ev.rto.seconds)} from ${ev.rto.from === 'fault-onset' ? `the fault's onset (the FIS experiment started ${ev.rto.faultStartedAt ?? '?'})` : 'the trigger'} (${ev.rto.from === 'fault-onset' ? `triggered ${ev.rto.triggeredAt}` : ev.rto.triggeredAt}) to the first write verified through the DNS name (${ev.rto.writesVerifiedAt})`
      : 'none (nothing failed over)',
  );
  const risk = ev.dataAtRisk;
  field(
    'data at risk',
    risk
      ? sanitizeText(
          `${s(risk.lagSeconds)} behind (at most ${s(risk.boundSeconds)}), budget ${s(risk.budgetSeconds)}: ${risk.withinBudget === null ? '?' : risk.withinBudget ? 'within' : 'OVER'} (${risk.estimate ?? '?'} estimate, at ${risk.at})`,
        )
      : 'none (no budget check ran)',
  );
  field('writer', report.writer === null ? 'not measured (nothing promoted)' : `${sanitizeText(report.writer)} (the last instance promoted)`);
  if (report.objectives) field('objectives', sanitizeText(objectivesText(report.objectives)));
  lines.push(c.bold('Approvals'));
  if (ev.approvals.length === 0) lines.push(c.dim('  none asked'));
  for (const a of ev.approvals)
    lines.push(
      sanitizeText(
        `  ${a.run} ${a.step}: ${a.decision} asked ${a.askedAt}; ${a.answer ?? 'WAITING'}${a.approver ? ` by ${a.approver}` : ''}${a.answeredAt ? ` at ${a.answeredAt}` : ''}${a.reason ? `: ${a.reason}` : ''}`,
      ),
    );
  lines.push(c.bold('Fences, promotions, DNS'));
  const fenceCount = (run: string) => ev.fences.filter((f) => f.run === run);
  for (const run of [...new Set(ev.fences.map((f) => f.run))]) {
    const all = fenceCount(run);
    const first = all[0]!;
    lines.push(
      sanitizeText(
        `  ${run} fence: ${all.length} attempt${all.length === 1 ? '' : 's'}, first ${first.at} (${first.confirmed ? 'confirmed' : 'NOT confirmed'}${first.deferred ? ', deferred' : ''}: ${first.actions.join(', ')})${all.some((f) => f.confirmed && !f.deferred) ? `, done ${all.find((f) => f.confirmed && !f.deferred)!.at}` : ''}`,
      ),
    );
  }
  for (const p of ev.promotions)
    lines.push(sanitizeText(`  ${p.run} promotion: ${p.action} of ${p.target ?? '?'} at ${p.at}${p.started ? '' : ' (already done)'}`));
  for (const d of ev.dnsSwitches)
    lines.push(sanitizeText(`  ${d.run} DNS: ${d.previous ?? '?'} -> ${d.current ?? '?'} at ${d.at}${d.changeId ? ` (change ${d.changeId})` : ''}`));
  lines.push(c.bold('Not measured') + c.dim(" (only the twin's ground truth knows them)"));
  for (const n of ev.notMeasured) lines.push(`  ${n.field}${c.dim(`: ${sanitizeText(n.why)}`)}`);
  return `${lines.join('\n')}\n`;
}

export function renderSummary(report: Report, options: SummaryOptions = {}): string {
  if (report.evidence) return renderEvidenceSummary(report, options);
  const c = colors(options.color ?? false);
  const ok = passed(report);
  const lines: string[] = [];
  const field = (label: string, value: string) => lines.push(`  ${label.padEnd(11)} ${value}`);
  const indent = (text: string) => sanitizeText(text, false).split('\n').join('\n      ');

  lines.push(
    c.bold(`Drill ${sanitizeText(report.scenario)}`) + c.dim(` (seed ${report.seed}${report.database ? `, database ${sanitizeText(report.database)}` : ''})`),
  );
  field('outcome', c.bold(report.outcome));
  field('verdict', sanitizeText(verdictText(lastVerdict(report))));
  field('writer', report.writer === null ? 'none' : sanitizeText(report.writer));
  field('failovers', `${report.failovers} promotion${report.failovers === 1 ? '' : 's'}`);
  field('detection', seconds(report.detectionSeconds, 'none'));
  field('RTO', seconds(report.rtoSeconds, 'none (nothing failed over)'));
  field('data loss', seconds(report.dataLossSeconds, 'none (nothing failed over)'));
  if (report.dnsOverlap) field('DNS switch', dnsOverlapText(report.dnsOverlap));
  if (report.failbackOutageSeconds !== undefined && report.failbackOutageSeconds !== null)
    field('failback', `${seconds(report.failbackOutageSeconds, '')} planned write outage (the switchover back)`);
  if (report.objectives) field('objectives', sanitizeText(objectivesText(report.objectives)));
  if (report.executions.length > 0) {
    field(
      'executions',
      report.executions
        .map(
          (e) =>
            `${sanitizeText(e.stateMachine)} ${e.status} (${e.stateTransitions} transitions${e.historyEvents === undefined ? '' : `, ${e.historyEvents} history events`})`,
        )
        .join(', '),
    );
  }
  if (report.wallMs !== undefined && report.runForSeconds !== undefined) {
    field('ran', `${formatDuration(report.runForSeconds)} of virtual time in ${(report.wallMs / 1000).toFixed(1)} s`);
  }
  lines.push(c.dim(`  ${MODELLED_NOTE}`));

  lines.push(c.bold('Invariants'));
  for (const inv of report.invariants) {
    const mark = inv.held ? c.green('held  ') : c.red(c.bold('BROKEN'));
    lines.push(`  ${mark}  ${inv.name}${inv.detail ? c.dim(': ') + (inv.held ? c.dim(indent(inv.detail)) : indent(inv.detail)) : ''}`);
  }
  for (const name of missingInvariants(report)) lines.push(`  ${c.red(c.bold('NOT CHECKED'))}  ${name}`);

  if (report.liveness !== undefined) {
    lines.push(c.bold('Liveness'));
    for (const l of report.liveness) {
      const mark = l.held ? c.green('held  ') : c.red(c.bold('BROKEN'));
      lines.push(`  ${mark}  ${l.name}${l.detail ? c.dim(': ') + (l.held ? c.dim(indent(l.detail)) : indent(l.detail)) : ''}`);
    }
    for (const name of missingLiveness(report)) lines.push(`  ${c.red(c.bold('NOT CHECKED'))}  ${name}`);
  }

  if (report.measured) lines.push(...measuredLines(report, c));

  lines.push(c.bold('Expectations'));
  if (report.expectations.length === 0) lines.push(c.dim('  none (the scenario has no "expect")'));
  for (const e of report.expectations) {
    const { expected, actual } = expectationText(e);
    const mark = e.held ? c.green('met   ') : c.red(c.bold('MISSED'));
    lines.push(`  ${mark}  ${e.name}: expected ${sanitizeText(expected)}, got ${sanitizeText(actual)}${e.detail ? c.dim(` (${sanitizeText(e.detail)})`) : ''}`);
  }

  const broken = report.invariants.filter((i) => !i.held).length;
  const missing = missingInvariants(report).length;
  const missed = report.expectations.filter((e) => !e.held).length;
  const dead = (report.liveness ?? []).filter((l) => !l.held).length + missingLiveness(report).length;
  const measuredBroken = (report.measured?.checks ?? []).filter((m) => !m.held).length;
  const reasons = [
    measuredBroken ? `${measuredBroken} measured check${measuredBroken === 1 ? '' : 's'} broken` : '',
    broken ? `${broken} invariant${broken === 1 ? '' : 's'} broken` : '',
    missing ? `${missing} invariant${missing === 1 ? '' : 's'} not checked` : '',
    dead ? `${dead} liveness check${dead === 1 ? '' : 's'} broken or not checked` : '',
    missed ? `${missed} expectation${missed === 1 ? '' : 's'} missed` : '',
  ].filter(Boolean);
  lines.push(
    ok
      ? c.green(c.bold(`PASS (exit ${EXIT.ok}): every invariant held${report.liveness ? ', every liveness check held' : ''} and every expectation was met`))
      : c.red(c.bold(`FAIL (exit ${EXIT.failed}): ${reasons.join(', ')}`)),
  );
  return `${lines.join('\n')}\n`;
}
