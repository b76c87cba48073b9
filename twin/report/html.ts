/**
 * The drill report as one self-contained HTML page (`failover drill --html FILE`): no scripts,
 * no external assets, a Content-Security-Policy that forbids every remote load, the timeline as
 * inline SVG charts (lanes per source, phase bands, fault and approval markers, the RTO bracket,
 * detection and data loss), then the invariants, expectations, executions and API calls.
 *
 * Every string from the report is escaped: scenario names, descriptions and details are user
 * input. The output is deterministic (no timestamps): the same report gives the same page.
 */
import { dnsOverlapText, EVIDENCE_NOTE, lastVerdict, MODELLED_NOTE, verdictText } from './verdict.js';
import { objectivesText } from './text.js';
import { createHash } from 'node:crypto';
import { formatClock, formatDuration } from '../scenario/duration.js';
import { missingInvariants, missingLiveness, passed } from './judge.js';
import { failureTime, PHASE_LABELS, phaseBands, runEnd } from './phases.js';
import { EXIT, TIMELINE_SOURCES, type ExpectationResult, type PhaseSpan, type Report, type TimelineEntry } from './types.js';

/**
 * Escapes text for HTML and SVG content and attribute values. Control characters (invalid in
 * XML, and escape sequences in a terminal) are shown as `\xNN`.
 */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}
const esc = escapeHtml;

/** A number for an SVG attribute: finite, at most 1 decimal. */
const n = (value: number): string => (Number.isFinite(value) ? String(Math.round(value * 10) / 10) : '0');

const secondsText = (value: number | null, none: string): string =>
  value === null ? none : value >= 60 ? `${formatDuration(value)} (${Math.round(value * 10) / 10} s)` : `${Math.round(value * 10) / 10} s`;

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

// ------------------------------------------------------------------ style

const STYLE = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg-alt: #f6f8fa; --pass: #1a7f37; --fail: #cf222e;
  --fault: #cf222e; --alarm: #bf8700; --workflow: #0969da; --operator: #8250df; --cloud: #6e7781; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.6em; margin: 0.1em 0 0.3em; overflow-wrap: anywhere; }
h2 { font-size: 1.2em; margin: 1.6em 0 0.5em; border-bottom: 1px solid var(--line); padding-bottom: 0.2em; }
h3 { font-size: 1em; margin: 1.2em 0 0.4em; }
.muted { color: var(--muted); }
.eyebrow { margin: 0; color: var(--muted); text-transform: uppercase; letter-spacing: 0.06em; font-size: 0.8em; }
.description { color: var(--muted); white-space: pre-wrap; overflow-wrap: anywhere; }
.result { display: inline-block; font-weight: 700; padding: 0.3em 0.7em; border-radius: 6px; border: 2px solid; margin: 0.2em 0; }
.result.pass { color: var(--pass); border-color: var(--pass); }
.result.fail { color: var(--fail); border-color: var(--fail); }
dl.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; margin: 0; }
dl.figures div { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
dl.figures dt { color: var(--muted); font-size: 0.8em; }
dl.figures dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.table-wrap, .chart-scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid var(--line); overflow-wrap: normal; word-break: normal; hyphens: manual; }
td code, th code { overflow-wrap: normal; }
th { background: var(--bg-alt); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td { background: #ffebe9; }
.ok { color: var(--pass); font-weight: 600; }
.bad-text { color: var(--fail); font-weight: 700; }
code { font: 0.85em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 0.85em; color: var(--muted); margin: 0.3em 0; padding: 0; list-style: none; }
.sw { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: baseline; }
.sw.fault { background: var(--fault); } .sw.alarm { background: var(--alarm); } .sw.workflow { background: var(--workflow); }
.sw.operator { background: var(--operator); } .sw.cloud { background: var(--cloud); }
.sw.rto { background: #1f2328; } .sw.loss { background: #ff8182; }
svg.chart { display: block; width: 100%; min-width: 720px; height: auto; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.chart text { font-size: 11px; fill: #1f2328; }
.chart .lane-label { font-size: 12px; font-weight: 600; text-anchor: end; }
.chart .tick-label { font-size: 11px; fill: #59636e; text-anchor: middle; } .chart .tick-label.end { text-anchor: end; }
.chart .axis-title { font-size: 11px; fill: #59636e; text-anchor: middle; }
.chart .lane-bg { fill: #f6f8fa; } .chart .lane-bg.alt { fill: #ffffff; }
.chart .grid { stroke: #d1d9e0; stroke-width: 1; }
.chart .axis { stroke: #59636e; stroke-width: 1; }
.chart .ev { stroke: #fff; stroke-width: 1; }
.chart .ev.fault { fill: var(--fault); } .chart .ev.alarm { fill: var(--alarm); } .chart .ev.workflow { fill: var(--workflow); }
.chart .ev.operator { fill: var(--operator); } .chart .ev.cloud { fill: var(--cloud); }
.chart .fault-line { stroke: var(--fault); stroke-width: 1.2; stroke-dasharray: 4 3; }
.chart .op-line { stroke: var(--operator); stroke-width: 1.2; stroke-dasharray: 2 3; }
.chart .marker-label { font-size: 10px; }
.chart .marker-label.fault { fill: var(--fault); } .chart .marker-label.operator { fill: var(--operator); }
.chart .bracket { stroke: #1f2328; stroke-width: 1.6; fill: none; }
.chart .bracket.detect { stroke: #bf8700; }
.chart .measure-label { font-size: 11px; font-weight: 600; }
.chart .recovered-line { stroke: var(--pass); stroke-width: 1.2; stroke-dasharray: 4 3; }
.chart .loss { fill: #ff8182; stroke: var(--fail); stroke-width: 0.8; }
.chart .band { stroke: #fff; stroke-width: 1; }
.chart .band-shade { opacity: 0.18; }
.chart .band-label { font-size: 10px; text-anchor: middle; }
.ph-detect { fill: #f9d8a4; } .ph-verify { fill: #fff0a0; } .ph-decide { fill: #cfeabb; } .ph-approval { fill: #f5bfd6; }
.ph-fence { fill: #f2ae9f; } .ph-promote { fill: #b9cff3; } .ph-dns { fill: #b2e2e7; } .ph-verify-writes { fill: #d3c6f0; }
.ph-failed-over { fill: #e1e4e8; } .ph-failback { fill: #c4e5cc; } .ph-switchover { fill: #8fd1c4; } .ph-failed-back { fill: #a9dcb5; } .ph-other { fill: #eeeeee; }
details > summary { cursor: pointer; color: var(--muted); }
figure { margin: 0 0 1em; }
footer { margin-top: 2em; color: var(--muted); font-size: 0.8em; }
@media (max-width: 600px) { body { font-size: 14px; } main { padding: 10px; } }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  .chart-scroll, .table-wrap { overflow: visible; }
  svg.chart { min-width: 0; }
  section, figure, tr { break-inside: avoid; }
  h2 { break-after: avoid; }
  tr.bad td { background: none; }
}
`;

/** `sha256-...` of the inline style, for the Content-Security-Policy (no `unsafe-inline`). */
const STYLE_HASH = `sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}`;

/**
 * The page's policy: nothing may be loaded or run (no scripts, no remote images, fonts, frames or
 * connections); only the page's own style sheet applies.
 */
export const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src '${STYLE_HASH}'; img-src 'none'; base-uri 'none'; form-action 'none'`;

// ------------------------------------------------------------------ chart

const W = 900;
const LEFT = 86;
const RIGHT = 16;
const PLOT = W - LEFT - RIGHT;
const LABEL_ROWS = [11, 23];
const RTO_Y = 44;
const DETECT_Y = 62;
const PHASE_Y = 72;
const PHASE_H = 20;
const LANE_Y = 98;
const LANE_H = 28;
const AXIS_Y = LANE_Y + LANE_H * TIMELINE_SOURCES.length;
const H = AXIS_Y + 40;

const TICK_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

const phaseClass = (name: string): string => {
  if (Object.hasOwn(PHASE_LABELS, name) && /^[a-z-]+$/.test(name)) {
    // The switchover (the failback's fence, promotion and DNS) has a colour of its own: never the
    // data-loss red or the failover's fence.
    if (name === 'failback-switchover') return 'ph-switchover';
    if (name.startsWith('failback-')) return 'ph-failback';
    return `ph-${name}`;
  }
  return 'ph-other';
};

/**
 * Tick label of virtual time. Charts that stay within the first hour count minutes: `45`, or `12:30`
 * (minutes:seconds) when ticks are under a minute apart. Charts that reach past an hour read as
 * hours and minutes: `1:30`, or `2:29:40` (h:mm:ss) when ticks are under a minute apart.
 */
export const timeLabel = (t: number, step: number, hours: boolean): string => {
  const s = Math.round(t);
  const two = (v: number): string => String(v).padStart(2, '0');
  if (!hours) return step % 60 === 0 ? String(Math.round(t / 60)) : `${Math.floor(s / 60)}:${two(s % 60)}`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return step % 60 === 0 ? `${h}:${two(m)}` : `${h}:${two(m)}:${two(s % 60)}`;
};

/** The axis title that goes with {@link timeLabel}. */
export const timeAxisTitle = (step: number, hours: boolean): string =>
  hours ? `virtual time since the start (${step % 60 === 0 ? 'h:mm' : 'h:mm:ss'})` : `virtual minutes since the start${step % 60 === 0 ? '' : ' (m:ss)'}`;

const KNOWN_SOURCES: readonly string[] = TIMELINE_SOURCES;
/** The entry's source as a class name: one of the known sources (a report read without validation may hold anything). */
const sourceClass = (source: string): string => (KNOWN_SOURCES.includes(source) ? source : 'unknown');

interface ChartWindow {
  t0: number;
  t1: number;
}

interface ChartInput {
  id: string;
  title: string;
  window: ChartWindow;
  timeline: readonly TimelineEntry[];
  phases: readonly PhaseSpan[];
  failure: number | null;
  rtoSeconds: number | null;
  detectionSeconds: number | null;
  dataLossSeconds: number | null;
}

const isMarker = (e: TimelineEntry) => e.source === 'fault' || e.source === 'operator';

/**
 * The parts of a band inside the window that none of the bands drawn after it cover (the
 * failover's "failed over" runs on under the failback's phases). A band touching the window only
 * at an edge still shows as a sliver.
 */
function visibleParts(band: PhaseSpan, later: readonly PhaseSpan[], window: ChartWindow): [number, number][] {
  if (band.end < window.t0 || band.start > window.t1) return [];
  let parts: [number, number][] = [[Math.max(band.start, window.t0), Math.min(band.end, window.t1)]];
  for (const cover of later) {
    if (cover.end <= cover.start) continue;
    parts = parts.flatMap(([a, b]): [number, number][] => {
      if (cover.end <= a || cover.start >= b) return [[a, b]];
      const kept: [number, number][] = [];
      if (cover.start > a) kept.push([a, cover.start]);
      if (cover.end < b) kept.push([cover.end, b]);
      return kept;
    });
  }
  return parts;
}

/** One chart: marker labels, measures (RTO, detection, data loss), phase bands, lanes, axis. */
function renderChart(input: ChartInput): string {
  const { t0, t1 } = input.window;
  const span = Math.max(1, t1 - t0);
  const x = (t: number) => LEFT + ((Math.min(Math.max(t, t0), t1) - t0) / span) * PLOT;
  const inside = (t: number) => t >= t0 && t <= t1;
  const out: string[] = [];
  out.push(
    `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${input.id}-title ${input.id}-desc" xmlns="http://www.w3.org/2000/svg">`,
    `<title id="${input.id}-title">${esc(input.title)}</title>`,
    `<desc id="${input.id}-desc">Timeline from ${esc(formatClock(t0))} to ${esc(formatClock(t1))}: one lane per source (${TIMELINE_SOURCES.join(', ')}), phase bands above the lanes, faults and operator actions as vertical markers.</desc>`,
  );

  // Lanes and their labels.
  TIMELINE_SOURCES.forEach((source, i) => {
    const y = LANE_Y + i * LANE_H;
    out.push(`<rect class="lane-bg${i % 2 ? ' alt' : ''}" x="${LEFT}" y="${y}" width="${PLOT}" height="${LANE_H}"/>`);
    out.push(`<text class="lane-label" x="${LEFT - 8}" y="${y + LANE_H / 2 + 4}">${source}</text>`);
  });

  // Axis: grid lines and ticks (minutes within the first hour, hours and minutes past it).
  const step = TICK_STEPS.find((s) => span / s <= 10) ?? 86400;
  const hours = t1 >= 3600;
  out.push(`<line class="axis" x1="${LEFT}" y1="${AXIS_Y}" x2="${LEFT + PLOT}" y2="${AXIS_Y}"/>`);
  for (let t = Math.ceil(t0 / step) * step; t <= t1 + 1e-9; t += step) {
    const tx = n(x(t));
    out.push(`<line class="grid" x1="${tx}" y1="${PHASE_Y}" x2="${tx}" y2="${AXIS_Y + 4}"/>`);
    // The last label ends at the chart's edge rather than past it.
    const label = timeLabel(t, step, hours);
    const atEdge = x(t) + label.length * 3.6 > W - 1;
    out.push(`<text class="tick-label${atEdge ? ' end' : ''}" x="${atEdge ? W - 1 : tx}" y="${AXIS_Y + 16}">${esc(label)}</text>`);
  }
  out.push(`<text class="axis-title" x="${LEFT + PLOT / 2}" y="${AXIS_Y + 32}">${timeAxisTitle(step, hours)}</text>`);

  // Phase bands (a strip, and a light shade over the lanes): only the parts no later band covers,
  // the label on the widest part when it fits.
  input.phases.forEach((band, i) => {
    const parts = visibleParts(band, input.phases.slice(i + 1), input.window);
    if (parts.length === 0) return;
    const label = Object.hasOwn(PHASE_LABELS, band.name) ? PHASE_LABELS[band.name]! : String(band.name);
    const cls = phaseClass(band.name);
    const tip = `${label}: ${formatClock(band.start)} to ${formatClock(band.end)} (${formatDuration(band.end - band.start)})`;
    let widest = { bx: 0, bw: 0 };
    for (const [start, end] of parts) {
      const bx = x(start);
      const bw = Math.max(1, x(end) - bx);
      if (bw > widest.bw) widest = { bx, bw };
      out.push(`<rect class="band-shade ${cls}" x="${n(bx)}" y="${LANE_Y}" width="${n(bw)}" height="${AXIS_Y - LANE_Y}"/>`);
      out.push(`<rect class="band ${cls}" x="${n(bx)}" y="${PHASE_Y}" width="${n(bw)}" height="${PHASE_H}"><title>${esc(tip)}</title></rect>`);
    }
    if (widest.bw >= label.length * 6 + 6) out.push(`<text class="band-label" x="${n(widest.bx + widest.bw / 2)}" y="${PHASE_Y + 14}">${esc(label)}</text>`);
  });

  // Fault and operator markers: a line across the lanes, a label when there is room.
  const labelEnds = LABEL_ROWS.map(() => Number.NEGATIVE_INFINITY);
  for (const e of input.timeline.filter((e) => isMarker(e) && inside(e.t) && Number.isFinite(e.t))) {
    const mx = x(e.t);
    out.push(`<line class="${e.source === 'fault' ? 'fault-line' : 'op-line'}" x1="${n(mx)}" y1="${LABEL_ROWS[0]! + 3}" x2="${n(mx)}" y2="${AXIS_Y}"/>`);
    // An operator action that found nothing to act on says so first (a cut label must not read as an approval).
    const text = truncate(e.detail.noop === true ? `no-op: ${e.event.replace(/^operator /, '').replace(/: nothing is pending \(no-op\)$/, '')}` : e.event, 34);
    const width = text.length * 5.6 + 4;
    const anchorEnd = mx + width > W - 2;
    const start = anchorEnd ? mx - width : mx;
    const row = labelEnds.findIndex((end) => start > end + 4);
    if (row >= 0) {
      labelEnds[row] = start + width;
      out.push(
        `<text class="marker-label ${e.source}" x="${n(anchorEnd ? mx - 3 : mx + 3)}" y="${LABEL_ROWS[row]}"${anchorEnd ? ' text-anchor="end"' : ''}>${esc(text)}</text>`,
      );
    }
  }

  // Measures: RTO bracket (failure -> first write through DNS), detection, data loss.
  const failure = input.failure;
  if (failure !== null && input.rtoSeconds !== null && failure <= t1 && failure + input.rtoSeconds >= t0) {
    const end = failure + input.rtoSeconds;
    const x1 = x(failure);
    const x2 = Math.max(x(end), x1 + 1);
    out.push(
      `<path class="bracket" d="M${n(x1)} ${RTO_Y + 6}V${RTO_Y}H${n(x2)}V${RTO_Y + 6}"><title>${esc(`RTO ${secondsText(input.rtoSeconds, '')}: from ${formatClock(failure)} (primary stopped taking writes) to ${formatClock(end)} (first write through the DNS name)`)}</title></path>`,
    );
    if (inside(end)) out.push(`<line class="recovered-line" x1="${n(x2)}" y1="${RTO_Y}" x2="${n(x2)}" y2="${AXIS_Y}"/>`);
    const label = `RTO ${formatDuration(input.rtoSeconds)}`;
    const mid = (x1 + x2) / 2;
    const fits = x2 - x1 >= label.length * 6.5;
    const lx = fits ? mid : Math.min(x2 + 4, W - label.length * 6.5);
    out.push(`<text class="measure-label" x="${n(lx)}" y="${RTO_Y - 4}"${fits ? ' text-anchor="middle"' : ''}>${esc(label)}</text>`);
  }
  // Detection (a bracket from the failure, its label to the right) and data loss (a bar ending at
  // the failure, its label to the left when there is room, else after the detection label).
  const LABEL_CHAR = 7.2; // width of a bold 11px character, generously
  let rowEnd = Number.NEGATIVE_INFINITY;
  if (failure !== null && input.detectionSeconds !== null && inside(failure)) {
    const x1 = x(failure);
    const x2 = Math.max(x(failure + input.detectionSeconds), x1 + 1);
    const label = `detected +${formatDuration(input.detectionSeconds)}`;
    const lx = Math.min(x2 + 4, W - label.length * LABEL_CHAR);
    out.push(
      `<path class="bracket detect" d="M${n(x1)} ${DETECT_Y - 5}V${DETECT_Y}H${n(x2)}V${DETECT_Y - 5}"><title>${esc(`detected ${secondsText(input.detectionSeconds, '')} after the failure`)}</title></path>`,
    );
    out.push(`<text class="measure-label" x="${n(lx)}" y="${DETECT_Y + 1}">${esc(label)}</text>`);
    rowEnd = lx + label.length * LABEL_CHAR;
  }
  if (failure !== null && input.dataLossSeconds !== null && inside(failure)) {
    const x2 = x(failure);
    const x1 = Math.min(x(failure - input.dataLossSeconds), x2 - 2);
    const label = `data loss ${formatDuration(input.dataLossSeconds)}`;
    const width = label.length * LABEL_CHAR;
    out.push(
      `<rect class="loss" x="${n(x1)}" y="${DETECT_Y - 8}" width="${n(x2 - x1)}" height="8"><title>${esc(`data loss ${secondsText(input.dataLossSeconds, '')}: writes acknowledged by the old primary in the last ${input.dataLossSeconds} s before the failure, missing from the new one`)}</title></rect>`,
    );
    if (x1 - 4 - width >= 2) out.push(`<text class="measure-label" x="${n(x1 - 4)}" y="${DETECT_Y + 1}" text-anchor="end">${esc(label)}</text>`);
    else {
      const lx = Math.min(Math.max(rowEnd + 12, x2 + 4), W - width);
      out.push(`<text class="measure-label" x="${n(lx)}" y="${DETECT_Y + 1}">${esc(label)}</text>`);
    }
  }

  // Entries: faults as triangles, operator actions as diamonds, the rest as dots.
  for (const e of input.timeline) {
    const lane = TIMELINE_SOURCES.indexOf(e.source);
    if (!inside(e.t) || lane < 0) continue;
    const cx = x(e.t);
    const cy = LANE_Y + lane * LANE_H + LANE_H / 2;
    const tip = `<title>${esc(`${formatClock(e.t)} ${e.source}: ${e.event}`)}</title>`;
    if (e.source === 'fault') {
      out.push(`<path class="ev fault" d="M${n(cx)} ${n(cy - 7)}L${n(cx + 6)} ${n(cy + 5)}H${n(cx - 6)}Z">${tip}</path>`);
    } else if (e.source === 'operator') {
      out.push(`<path class="ev operator" d="M${n(cx)} ${n(cy - 7)}L${n(cx + 6)} ${n(cy)}L${n(cx)} ${n(cy + 7)}L${n(cx - 6)} ${n(cy)}Z">${tip}</path>`);
    } else {
      out.push(`<circle class="ev ${sourceClass(e.source)}" cx="${n(cx)}" cy="${n(cy)}" r="4">${tip}</circle>`);
    }
  }
  out.push('</svg>');
  return out.join('\n');
}

/**
 * Windows worth a closer look: clusters of fault, workflow and operator activity (gaps over 10
 * minutes split them), when they are much shorter than the run. At most four.
 */
export function detailWindows(report: Report, failure: number | null): ChartWindow[] {
  const end = runEnd(report);
  const times = report.timeline.filter((e) => e.source === 'fault' || e.source === 'workflow' || e.source === 'operator').map((e) => e.t);
  if (failure !== null) times.push(failure);
  if (failure !== null && report.rtoSeconds !== null) times.push(failure + report.rtoSeconds);
  times.sort((a, b) => a - b);
  const clusters: ChartWindow[] = [];
  for (const t of times) {
    const last = clusters[clusters.length - 1];
    if (last && t - last.t1 <= 600) last.t1 = t;
    else clusters.push({ t0: t, t1: t });
  }
  return clusters
    .map((c) => {
      const pad = Math.max(20, (c.t1 - c.t0) * 0.08);
      return { t0: Math.max(0, c.t0 - pad), t1: Math.min(Math.max(end, c.t1), c.t1 + pad) };
    })
    .filter((w) => end > 0 && w.t1 - w.t0 <= end * 0.5)
    .slice(0, 4);
}

// ------------------------------------------------------------------ tables

const table = (head: string[], rows: string[][], rowClasses: string[] = [], numeric: number[] = []): string =>
  `<div class="table-wrap"><table><thead><tr>${head.map((h, i) => `<th${numeric.includes(i) ? ' class="num"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map(
      (cells, r) =>
        `<tr${rowClasses[r] ? ` class="${rowClasses[r]}"` : ''}>${cells.map((cell, i) => `<td${numeric.includes(i) ? ' class="num"' : ''}>${cell}</td>`).join('')}</tr>`,
    )
    .join('')}</tbody></table></div>`;

function expectationCells(e: ExpectationResult): [string, string] {
  if (e.name === 'maxRtoSeconds' || e.name === 'maxDataLossSeconds') {
    return [`≤ ${esc(e.expected)} s`, e.actual === null ? 'none (nothing failed over)' : `${esc(e.actual)} s`];
  }
  return [esc(e.expected), e.actual === null ? 'none' : esc(e.actual)];
}

const held = (ok: boolean, yes: string, no: string) => (ok ? `<span class="ok">${yes}</span>` : `<span class="bad-text">${no}</span>`);

// ------------------------------------------------------------------ page

/** Renders the report as a self-contained HTML page. */
export function renderHtml(report: Report): string {
  const ok = passed(report);
  const failure = failureTime(report);
  const phases = phaseBands(report);
  const end = runEnd(report) || 60;
  const chart = (id: string, title: string, window: ChartWindow) =>
    renderChart({
      id,
      title,
      window,
      timeline: report.timeline,
      phases,
      failure,
      rtoSeconds: report.rtoSeconds,
      detectionSeconds: report.detectionSeconds,
      dataLossSeconds: report.dataLossSeconds,
    });

  const broken = report.invariants.filter((i) => !i.held).length;
  const missing = missingInvariants(report);
  const missed = report.expectations.filter((e) => !e.held).length;
  const missingLive = missingLiveness(report);
  const dead = (report.liveness ?? []).filter((l) => !l.held).length + missingLive.length;
  const measuredBroken = (report.measured?.checks ?? []).filter((m) => !m.held).length;
  const verdict = ok
    ? `PASS: every invariant held${report.liveness ? ', every liveness check held' : ''} and every expectation was met (exit ${EXIT.ok})`
    : `FAIL: ${[measuredBroken && `${measuredBroken} measured check(s) broken`, broken && `${broken} invariant(s) broken`, missing.length && `${missing.length} invariant(s) not checked`, dead && `${dead} liveness check(s) broken or not checked`, missed && `${missed} expectation(s) missed`].filter(Boolean).join(', ')} (exit ${EXIT.failed})`;

  const ev = report.evidence;
  const figures: [string, string][] = ev
    ? [
        ['outcome', report.outcome],
        ['verdict', ev.verdict ? `${ev.verdict.verdict}${ev.verdict.reason ? `: ${ev.verdict.reason}` : ''}` : 'none (no verification ran)'],
        ['writer at the end', report.writer === null ? 'not measured (nothing promoted)' : `${report.writer} (the last instance promoted)`],
        ['promotions', String(report.failovers)],
        ['trigger', ev.trigger ? `${ev.trigger.at ?? '?'}: ${ev.trigger.summary ?? ev.trigger.kind}` : 'none recorded'],
        ['detection (trigger to verdict)', secondsText(ev.verificationSeconds, 'none')],
        [
          ev.rto?.from === 'fault-onset' ? "RTO (the fault experiment's start to the first verified write)" : 'RTO (trigger to the first verified write)',
          secondsText(ev.rto?.seconds ?? null, 'none (nothing failed over)'),
        ],
        [
          'data at risk at the decision',
          ev.dataAtRisk
            ? `${secondsText(ev.dataAtRisk.lagSeconds, '?')} (at most ${secondsText(ev.dataAtRisk.boundSeconds, '?')}; budget ${secondsText(ev.dataAtRisk.budgetSeconds, '?')})`
            : 'none (no budget check ran)',
        ],
        ['data loss', 'not measured'],
        ...(ev.drill
          ? [
              ['drill', `for ${ev.drill.requestedFor}${ev.drill.fault ? `, fault ${ev.drill.fault}` : ''}${ev.drill.scheduled ? ', scheduled' : ''}`] as [
                string,
                string,
              ],
            ]
          : []),
        ...(report.objectives ? [['objectives', objectivesText(report.objectives)] as [string, string]] : []),
      ]
    : [
        ['outcome', report.outcome],
        ['verdict', verdictText(lastVerdict(report))],
        ['writer at the end', report.writer ?? 'none'],
        ['promotions', String(report.failovers)],
        ['detection', secondsText(report.detectionSeconds, 'none')],
        ['RTO', secondsText(report.rtoSeconds, 'none (nothing failed over)')],
        ['data loss', secondsText(report.dataLossSeconds, 'none (nothing failed over)')],
        ...(report.failbackOutageSeconds !== undefined && report.failbackOutageSeconds !== null
          ? [['failback write outage', secondsText(report.failbackOutageSeconds, '')] as [string, string]]
          : []),
        ...(report.dnsOverlap ? [['DNS switch', dnsOverlapText(report.dnsOverlap)] as [string, string]] : []),
        ...(report.objectives ? [['objectives', objectivesText(report.objectives)] as [string, string]] : []),
        ['seed', String(report.seed)],
      ];
  if (report.database) figures.push(['database', report.database]);
  if (report.runForSeconds !== undefined) figures.push(['virtual time', formatDuration(report.runForSeconds)]);
  if (report.wallMs !== undefined) figures.push(['wall time', `${(report.wallMs / 1000).toFixed(1)} s`]);

  const legend = `<ul class="legend">${TIMELINE_SOURCES.map((s) => `<li><span class="sw ${s}"></span>${s}</li>`).join('')}<li><span class="sw rto"></span>RTO: failure to the first write through DNS</li><li><span class="sw loss"></span>data loss before the failure</li></ul>`;
  const details = detailWindows(report, failure).map(
    (w, i) =>
      `<figure><h3>Detail ${i + 1}: ${esc(formatClock(w.t0))} to ${esc(formatClock(w.t1))}</h3><div class="chart-scroll">${chart(`detail-${i + 1}`, `Detail ${i + 1} of the timeline`, w)}</div></figure>`,
  );

  const invariantRows = [
    ...report.invariants.map((i) => [esc(i.name), held(i.held, 'held', 'BROKEN'), esc(i.detail)]),
    ...missing.map((name) => [esc(name), held(false, '', 'NOT CHECKED'), 'the report has no result for this invariant']),
  ];
  const invariantClasses = [...report.invariants.map((i) => (i.held ? '' : 'bad')), ...missing.map(() => 'bad')];
  const livenessRows = [
    ...(report.liveness ?? []).map((l) => [esc(l.name), held(l.held, 'held', 'BROKEN'), esc(l.detail)]),
    ...missingLive.map((name) => [esc(name), held(false, '', 'NOT CHECKED'), 'the report has no result for this liveness check']),
  ];
  const livenessClasses = [...(report.liveness ?? []).map((l) => (l.held ? '' : 'bad')), ...missingLive.map(() => 'bad')];
  const escalationRows = (report.escalations ?? []).map((x) => [
    `<code>${esc(formatClock(x.t))}</code>`,
    esc(`${x.stateMachine} ${x.execution.slice(0, 8)}`),
    esc(x.cause || 'no cause named') + (x.message ? `<br><span class="muted">${esc(x.message)}</span>` : ''),
    esc(x.evidence || (x.against ? `the run caused it: ${x.against}` : 'nothing in the world confirms it')),
  ]);

  // A real drill (--real-postgres): measured beside modelled (docs/real-drills.md).
  const m = report.measured;
  const scaled = (real: number | null, virtual: number | null, none: string) =>
    real === null ? none : `${real} s real (${virtual} s scaled ×${m?.timeScale})`;
  const measuredRows: string[][] = m
    ? [
        ['canary', `${m.canary.acknowledged} of ${m.canary.attempted} commits acknowledged (${m.canary.ratePerSecond}/s through the DNS relay)`, ''],
        [
          'data lost',
          m.lostCommits === null
            ? 'unknown'
            : `${m.lostCommits} acknowledged commit(s), ${m.lostCommits > 0 ? `${m.lostSecondsAtLeast} to ` : ''}${scaled(m.lostSeconds, m.lostSecondsVirtual, '?')}`,
          secondsText(report.dataLossSeconds, 'none (nothing failed over)'),
        ],
        [
          'estimate at decision',
          m.estimate === null ? 'none' : `${m.estimate.seconds} s (${m.estimate.realSeconds} s real) at ${formatClock(m.estimate.t)}`,
          '',
        ],
        ['RTO', scaled(m.rtoSeconds, m.rtoSecondsVirtual, 'none'), secondsText(report.rtoSeconds, 'none (nothing failed over)')],
        ['after the fence', m.acceptedAfterFence === null ? 'not fenced' : `${m.acceptedAfterFence} commit(s) acknowledged by a fenced server`, ''],
      ].map((r) => r.map(esc))
    : [];
  const measuredChecks = (m?.checks ?? []).map((c) => [esc(c.name), held(c.held, 'held', 'BROKEN'), esc(c.detail)]);

  const apiEntries = Object.entries(report.apiCalls).sort(([a], [b]) => a.localeCompare(b));
  const apiTotal = apiEntries.reduce((sum, [, count]) => sum + (Number.isFinite(count) ? count : 0), 0);

  const c = report.config;
  const configRows: [string, string][] = c
    ? [
        ['database', `${c.database} (${c.engine})`],
        ['primary', `${c.primary.id ?? '(none)'} in ${c.primary.region}`],
        ['standby', `${c.standby.id ?? '(none)'} in ${c.standby.region}, ${c.standby.readiness}`],
        ['control Region', c.controlRegion],
        ['failover', `${c.failoverMode}, fencing ${c.fencing}, RPO budget ${c.rpoBudgetSeconds} s${c.rpoEstimate === 'strict' ? ' (strict bound)' : ''}`],
        ['failback', c.failbackPolicy],
        ['vantage points', `${c.vantagePoints.join(', ')}; quorum ${c.quorum}`],
        ...(c.source ? ([['source', c.source]] as [string, string][]) : []),
      ]
    : [];

  const timelineTable = table(
    ['time', 'source', 'event', 'detail'],
    report.timeline.map((e) => [
      `<code>${esc(formatClock(e.t))}</code>`,
      `<span class="sw ${sourceClass(e.source)}"></span>${esc(e.source)}`,
      esc(e.event),
      Object.keys(e.detail).length ? `<code>${esc(JSON.stringify(e.detail))}</code>` : '',
    ]),
  );

  const evidenceSections = ev
    ? [
        `<section aria-labelledby="h-approvals"><h2 id="h-approvals">Approvals</h2>${
          ev.approvals.length === 0
            ? '<p>None asked.</p>'
            : table(
                ['run', 'asked', 'at', 'answer', 'by', 'answered', 'reason'],
                ev.approvals.map((a) =>
                  [a.run, `${a.step}: ${a.decision}`, a.askedAt, a.answer ?? 'waiting', a.approver ?? '', a.answeredAt ?? '', a.reason ?? ''].map(esc),
                ),
              )
        }</section>`,
        `<section aria-labelledby="h-actions"><h2 id="h-actions">Fences, promotions, DNS</h2>${table(
          ['at', 'run', 'action', 'detail'],
          [
            ...ev.fences.map((f) => [
              f.at,
              f.run,
              `fence: ${f.confirmed ? 'confirmed' : 'NOT confirmed'}${f.deferred ? ' (deferred)' : ''}`,
              f.actions.join(', '),
            ]),
            ...ev.promotions.map((p) => [p.at, p.run, `promotion: ${p.action}`, `${p.target ?? '?'}${p.started ? '' : ' (already done)'}`]),
            ...ev.dnsSwitches.map((d) => [
              d.at,
              d.run,
              'DNS switch',
              `${d.previous ?? '?'} -> ${d.current ?? '?'}${d.changeId ? ` (change ${d.changeId})` : ''}`,
            ]),
          ]
            .sort((a, b) => a[0]!.localeCompare(b[0]!))
            .map((r) => r.map(esc)),
        )}</section>`,
        `<section aria-labelledby="h-decisions"><h2 id="h-decisions">Decisions</h2><details><summary>${esc(ev.decisions.length)} choices</summary>${table(
          ['at', 'run', 'state', 'chose'],
          ev.decisions.map((d) => [d.at, d.run, d.state, d.choice].map(esc)),
        )}</details></section>`,
        `<section aria-labelledby="h-not-measured"><h2 id="h-not-measured">Not measured</h2><p class="muted">Only the cloud twin's ground truth knows these.</p>${table(
          ['field', 'why'],
          ev.notMeasured.map((n) => [`<code>${esc(n.field)}</code>`, esc(n.why)]),
        )}</section>`,
      ]
    : [];

  const body = [
    '<header>',
    `<p class="eyebrow">${ev ? 'failover evidence report' : 'failover drill report'}</p>`,
    `<h1>${esc(report.scenario)}</h1>`,
    ev
      ? `<p class="result">${esc(`${report.outcome}: from the execution history${ev.runs.some((r) => r.recorded) ? ' and the incident record' : ''}`)}</p>`
      : `<p class="result ${ok ? 'pass' : 'fail'}">${esc(verdict)}</p>`,
    report.description ? `<p class="description">${esc(report.description)}</p>` : '',
    '</header>',
    `<section aria-labelledby="h-result"><h2 id="h-result">Result</h2><dl class="figures">${figures.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl><p class="description">${esc(ev ? EVIDENCE_NOTE : MODELLED_NOTE)}</p></section>`,
    '<section aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>',
    legend,
    `<figure><div class="chart-scroll">${chart('overview', `Timeline of ${report.scenario}`, { t0: 0, t1: end })}</div></figure>`,
    ...details,
    '</section>',
    m
      ? `<section aria-labelledby="h-measured"><h2 id="h-measured">Measured on real PostgreSQL</h2><p class="muted">${esc(`virtual time ran ×${m.timeScale} real time; ${m.realSeconds} s real; writer at the end: the real ${m.newPrimary}`)}</p>${table(['figure', 'measured', 'modelled'], measuredRows)}${
          measuredChecks.length
            ? table(
                ['check', 'result', 'detail'],
                measuredChecks,
                (m.checks ?? []).map((c) => (c.held ? '' : 'bad')),
              )
            : ''
        }${m.notes.map((n) => `<p class="muted">${esc(n)}</p>`).join('')}</section>`
      : '',
    ...evidenceSections,
    ev
      ? ''
      : `<section aria-labelledby="h-invariants"><h2 id="h-invariants">Invariants</h2>${table(['invariant', 'result', 'detail'], invariantRows, invariantClasses)}</section>`,
    !ev && report.liveness !== undefined
      ? `<section aria-labelledby="h-liveness"><h2 id="h-liveness">Liveness</h2>${table(['check', 'result', 'detail'], livenessRows, livenessClasses)}${
          escalationRows.length ? `<h3>Escalations</h3>${table(['time', 'run', 'cause', 'what the world shows'], escalationRows)}` : ''
        }</section>`
      : '',
    ev
      ? ''
      : `<section aria-labelledby="h-expectations"><h2 id="h-expectations">Expectations</h2>${
          report.expectations.length === 0
            ? '<p>None: the scenario has no <code>expect</code>.</p>'
            : table(
                ['expectation', 'expected', 'actual', 'result', 'detail'],
                report.expectations.map((e) => [esc(e.name), ...expectationCells(e), held(e.held, 'met', 'MISSED'), esc(e.detail ?? '')]),
                report.expectations.map((e) => (e.held ? '' : 'bad')),
              )
        }</section>`,
    `<section aria-labelledby="h-executions"><h2 id="h-executions">Executions</h2>${
      report.executions.length === 0
        ? '<p>No state machine execution ran.</p>'
        : table(
            ['state machine', 'execution', 'status', 'transitions', 'started', 'stopped'],
            report.executions.map((e) => [
              esc(e.stateMachine),
              esc(e.name ?? ''),
              esc(e.status) + (e.error ? ` <code>${esc(e.error)}</code>` : ''),
              esc(e.stateTransitions),
              e.startedAt === undefined ? '' : esc(formatClock(e.startedAt)),
              e.stoppedAt === undefined || e.stoppedAt === null ? '' : esc(formatClock(e.stoppedAt)),
            ]),
            [],
            [3],
          )
    }</section>`,
    ev
      ? ''
      : `<section aria-labelledby="h-api"><h2 id="h-api">API calls</h2>${
          apiEntries.length === 0
            ? '<p>No API calls.</p>'
            : table(
                ['service:operation', 'calls'],
                [...apiEntries.map(([k, v]) => [`<code>${esc(k)}</code>`, esc(v)]), ['<strong>total</strong>', `<strong>${esc(apiTotal)}</strong>`]],
                [],
                [1],
              )
        }</section>`,
    configRows.length
      ? `<section aria-labelledby="h-config"><h2 id="h-config">Config</h2>${table(
          ['setting', 'value'],
          configRows.map(([k, v]) => [esc(k), esc(v)]),
        )}</section>`
      : '',
    `<section aria-labelledby="h-entries"><h2 id="h-entries">Timeline entries</h2><details${report.timeline.length <= 300 ? ' open' : ''}><summary>${esc(report.timeline.length)} entries</summary>${timelineTable}</details></section>`,
    ev
      ? `<footer>Generated by <code>failover report</code>. Times are +HH:MM:SS since ${esc(ev.origin)} (the trigger).</footer>`
      : `<footer>Generated by <code>failover drill</code>. Times are virtual: +HH:MM:SS since the start of the run.</footer>`,
  ];

  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${esc(ev ? `${report.outcome}: ${report.scenario} (failover report)` : `${ok ? 'PASS' : 'FAIL'}: ${report.scenario} (failover drill)`)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    ...body.filter(Boolean),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
