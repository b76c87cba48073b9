/**
 * Phase bands of a run (detect -> verify -> decide -> fence -> promote -> DNS -> verify writes ->
 * failed over -> failback -> rebuild -> stability -> failback approval -> switchover -> failed back)
 * and the moment of the failure, for the chart. A failback run's phases have bands of their own.
 *
 * A report may carry its bands (`phases`, measured by the runner from state entered/exited
 * events). Without them they are derived from the timeline: a `workflow` entry whose
 * `detail.phase` is one of the product's incident phases (`detected`, `verdict`, `fenced`, ...)
 * ends the band before it and starts the next one. The incident phases have no "fencing
 * started" marker, so on the automatic path the derived `decide` band includes the fencing; a
 * runner that wants exact bands reports `phases`.
 */
import type { PhaseSpan, Report, TimelineEntry } from './types.js';

/** Display names of the known bands, in workflow order. Unknown band names are shown as they are. */
export const PHASE_LABELS: Record<string, string> = {
  detect: 'detect',
  verify: 'verify',
  decide: 'decide',
  approval: 'approval',
  fence: 'fence',
  promote: 'promote',
  dns: 'DNS',
  'verify-writes': 'verify writes',
  'failed-over': 'failed over',
  failback: 'failback',
  'failback-rebuild': 'rebuild',
  'failback-stability': 'stability',
  'failback-approval': 'failback approval',
  'failback-switchover': 'switchover',
  'failback-drain': 'drain',
  'failed-back': 'failed back',
};

/**
 * Which band starts when an incident phase is recorded; `null` ends the current band without
 * starting another (the run stopped acting). Phases not listed start a band of their own name.
 */
const BAND_AFTER: Record<string, string | null> = {
  detected: 'verify',
  verdict: 'decide',
  'approval-requested': 'approval',
  approved: 'fence',
  fenced: 'promote',
  promoting: 'promote',
  promoted: 'dns',
  'dns-switched': 'verify-writes',
  'writes-verified': 'failed-over',
  'failed-over': 'failed-over',
  'failback-scheduled': 'failed-over',
  'false-alarm': null,
  rejected: null,
  'approval-timed-out': null,
  'fence-undone': null,
  escalated: null,
};

/**
 * The same for a failback run's phases (a timeline entry with `detail.stateMachine` "failback"):
 * its stages have their own bands, never the failover's "fence" or "promote". Its fence and
 * promotion are parts of the switchover; a fence before the site is stable (the original site,
 * fenced before it is preserved and rebuilt) is part of the rebuild.
 */
const FAILBACK_BAND_AFTER: Record<string, string | null> = {
  'failback-started': 'failback',
  'old-primary-preserved': 'failback-rebuild',
  'standby-rebuilding': 'failback-rebuild',
  'standby-rebuilt': 'failback-stability',
  'failback-stable': 'failback-switchover',
  'failback-approval': 'failback-approval',
  'approval-requested': 'failback-approval',
  approved: 'failback-switchover',
  fenced: 'failback-switchover',
  promoting: 'failback-switchover',
  promoted: 'failback-switchover',
  'dns-switched': 'failback-switchover',
  'writes-verified': 'failback-switchover',
  'traffic-shifted': 'failback-drain',
  'failed-back': 'failed-back',
  rejected: null,
  'approval-timed-out': null,
  'failback-declined': null,
  'switchover-aborted': null,
  'traffic-rolled-back': null,
  escalated: null,
};

/** Faults that stop the primary taking writes (the start of the RTO), by name. */
const FAILURE_FAULTS = ['primary-crash', 'primary-unreachable', 'region-outage'];

const faultName = (e: TimelineEntry): string | undefined =>
  typeof e.detail.fault === 'string' ? e.detail.fault : FAILURE_FAULTS.find((f) => e.event.startsWith(f));

/**
 * Virtual second at which the primary stopped taking writes: the report's `failureAt` when
 * present, else (when something failed over) the first failure fault in the timeline.
 */
export function failureTime(report: Report): number | null {
  if (report.failureAt !== undefined) return report.failureAt;
  if (report.rtoSeconds === null) return null;
  const first = report.timeline.find((e) => e.source === 'fault' && FAILURE_FAULTS.includes(faultName(e) ?? ''));
  return first ? first.t : null;
}

/** Last virtual second of the run: the horizon when known, else the last timeline entry. */
export function runEnd(report: Report): number {
  const last = report.timeline.reduce((max, e) => Math.max(max, e.t), 0);
  return Math.max(report.runForSeconds ?? 0, last);
}

/** The run's phase bands, sorted by start. */
export function phaseBands(report: Report): PhaseSpan[] {
  if (report.phases) return [...report.phases].sort((a, b) => a.start - b.start);
  const end = runEnd(report);
  const markers = report.timeline
    .filter((e) => e.source === 'workflow' && typeof e.detail.phase === 'string')
    .map((e) => ({ t: e.t, phase: e.detail.phase as string, failback: e.detail.stateMachine === 'failback' }))
    .sort((a, b) => a.t - b.t);
  const bands: PhaseSpan[] = [];
  let open: { name: string; start: number } | null = null;
  const close = (t: number) => {
    if (!open) return;
    const prev = bands[bands.length - 1];
    if (prev && prev.name === open.name && prev.end === open.start) prev.end = t;
    else if (t > open.start) bands.push({ name: open.name, start: open.start, end: t });
    open = null;
  };
  const failure = failureTime(report);
  if (failure !== null && markers.length > 0 && failure < markers[0]!.t) open = { name: 'detect', start: failure };
  let failedBack = false;
  let stable = false;
  for (const m of markers) {
    // After the failback's switchover, its last steps (the new standby) stay in "failed back".
    if (failedBack && m.failback) continue;
    const after = m.failback ? FAILBACK_BAND_AFTER : BAND_AFTER;
    let next = Object.hasOwn(after, m.phase) ? after[m.phase]! : m.failback && !m.phase.startsWith('failback-') ? `failback-${m.phase}` : m.phase;
    if (m.failback && m.phase === 'fenced' && !stable) next = 'failback-rebuild';
    if (m.failback && (m.phase === 'failback-stable' || m.phase === 'failback-approval' || m.phase === 'approval-requested')) stable = true;
    if (m.failback && next === 'failed-back') failedBack = true;
    if (open && open.name === next) continue;
    close(m.t);
    if (next !== null) open = { name: next, start: m.t };
  }
  close(end);
  return bands;
}
