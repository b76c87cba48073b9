import { describe, expect, it } from 'vitest';
import {
  TimelinePrinter,
  formatTimelineLine,
  colors,
  renderSummary,
  renderTimeline,
  sanitizeText,
  shouldUseColor,
  stripAnsi,
} from '../../../twin/report/text.js';
import { INVARIANT_NAMES, type TimelineEntry } from '../../../twin/report/types.js';
import { fixture } from './fixtures.js';

const ESC = '\x1b';
const entry = (t: number, source: TimelineEntry['source'], event: string, detail: Record<string, unknown> = {}): TimelineEntry => ({
  t,
  source,
  event,
  detail,
});

/** A fake terminal or pipe that records what is written. */
const sink = (isTTY: boolean) => {
  const chunks: string[] = [];
  return { chunks, out: { isTTY, write: (s: string) => chunks.push(s) }, text: () => chunks.join('') };
};

describe('formatTimelineLine', () => {
  it('prints +HH:MM:SS, the source padded to a column, and the event', () => {
    expect(formatTimelineLine(entry(70, 'alarm', 'heartbeat alarm orders-heartbeat-in-region -> ALARM'))).toBe(
      '+00:01:10  alarm     heartbeat alarm orders-heartbeat-in-region -> ALARM',
    );
    expect(formatTimelineLine(entry(3725.9, 'workflow', 'verdict confirmed-down'))).toBe('+01:02:05  workflow  verdict confirmed-down');
  });

  it('lines up the event column for every source', () => {
    const columns = (['fault', 'alarm', 'workflow', 'operator', 'cloud'] as const).map((s) => formatTimelineLine(entry(1, s, 'X')).indexOf('X'));
    expect(new Set(columns).size).toBe(1);
  });

  it('colours by source only when asked, and the text is the same without the colours', () => {
    const e = entry(300, 'fault', 'primary-crash');
    const plain = formatTimelineLine(e, colors(false));
    const coloured = formatTimelineLine(e, colors(true));
    expect(plain).not.toContain(ESC);
    expect(coloured).toContain(`${ESC}[31m`); // red for faults
    expect(stripAnsi(coloured)).toBe(plain);
    expect(formatTimelineLine(entry(1, 'workflow', 'x'), colors(true))).toContain(`${ESC}[36m`); // cyan
  });

  it('appends the detail as compact JSON when asked', () => {
    expect(formatTimelineLine(entry(0, 'workflow', 'verdict'), colors(false), { details: true })).toBe('+00:00:00  workflow  verdict');
    expect(formatTimelineLine(entry(0, 'workflow', 'verdict', { verdict: 'healthy' }), colors(false), { details: true })).toBe(
      '+00:00:00  workflow  verdict  {"verdict":"healthy"}',
    );
  });

  it('neutralizes control characters from user input (no escape sequences reach the terminal)', () => {
    const line = formatTimelineLine(entry(0, 'operator', `approve ${ESC}]0;pwned\x07 now\nsecond line`), colors(false));
    expect(line).not.toContain(ESC);
    expect(line).not.toContain('\n');
    expect(line).toContain('approve \\x1b]0;pwned\\x07 now second line');
  });
});

describe('sanitizeText', () => {
  it('keeps line breaks when asked', () => {
    expect(sanitizeText('a\r\nb\tc\x00', false)).toBe('a\nb c\\x00');
    expect(sanitizeText('a\r\nb', true)).toBe('a b');
  });
});

describe('shouldUseColor', () => {
  it.each([
    ['a terminal', { isTTY: true }, {}, true],
    ['a pipe', { isTTY: false }, {}, false],
    ['no stream', undefined, {}, false],
    ['NO_COLOR on a terminal', { isTTY: true }, { NO_COLOR: '1' }, false],
    ['an empty NO_COLOR', { isTTY: true }, { NO_COLOR: '' }, true],
    ['NO_COLOR beats FORCE_COLOR', { isTTY: true }, { NO_COLOR: '1', FORCE_COLOR: '1' }, false],
    ['FORCE_COLOR on a pipe', { isTTY: false }, { FORCE_COLOR: '1' }, true],
    ['FORCE_COLOR=0 on a terminal', { isTTY: true }, { FORCE_COLOR: '0' }, true],
    ['FORCE_COLOR=0 on a pipe', { isTTY: false }, { FORCE_COLOR: '0' }, false],
    ['TERM=dumb', { isTTY: true }, { TERM: 'dumb' }, false],
  ] as const)('%s -> %s', (_what, out, env, expected) => {
    expect(shouldUseColor(out, env as NodeJS.ProcessEnv)).toBe(expected);
  });
});

describe('TimelinePrinter', () => {
  it('prints entries as they arrive, one line each, uncoloured on a pipe', () => {
    const s = sink(false);
    const printer = new TimelinePrinter({ out: s.out });
    printer.print(entry(0, 'cloud', 'start'));
    expect(s.text()).toBe('+00:00:00  cloud     start\n');
    printer.print(entry(300, 'fault', 'primary-crash'));
    expect(s.text()).toBe('+00:00:00  cloud     start\n+00:05:00  fault     primary-crash\n');
    expect(printer.count).toBe(2);
  });

  it('shows no progress line on a pipe', () => {
    const s = sink(false);
    const printer = new TimelinePrinter({ out: s.out, color: false });
    printer.progress(100, 1000);
    printer.end();
    expect(s.text()).toBe('');
  });

  it('keeps a progress line below the entries on a terminal, and clears it before each entry', () => {
    const s = sink(true);
    let now = 0;
    const printer = new TimelinePrinter({ out: s.out, color: false, now: () => now });
    printer.progress(3600, 14_400);
    expect(s.chunks.at(-1)).toBe('\r\x1b[2Kvirtual +01:00:00 of +04:00:00  25%');
    printer.print(entry(3601, 'alarm', 'x'));
    expect(s.chunks.slice(-2)).toEqual(['\r\x1b[2K', '+01:00:01  alarm     x\n']);
    now = 50;
    const before = s.chunks.length;
    printer.progress(3700, 14_400); // redrawn at most 10 times a second
    expect(s.chunks.length).toBe(before);
    now = 200;
    printer.progress(3700, 14_400);
    expect(s.chunks.length).toBe(before + 1);
    printer.end();
    expect(s.chunks.at(-1)).toBe('\r\x1b[2K');
    printer.end(); // nothing left to clear
    expect(s.chunks.length).toBe(before + 2);
  });

  it('always draws the final progress', () => {
    const s = sink(true);
    const printer = new TimelinePrinter({ out: s.out, color: false, now: () => 0 });
    printer.progress(10, 100);
    printer.progress(100, 100);
    expect(s.chunks.at(-1)).toContain('100%');
  });

  it('colours on a terminal unless NO_COLOR', () => {
    const s = sink(true);
    new TimelinePrinter({ out: s.out, progress: false, color: true }).print(entry(0, 'fault', 'x'));
    expect(s.text()).toContain(ESC);
  });
});

describe('renderTimeline', () => {
  it('renders every entry of a report', () => {
    const report = fixture('failed-over');
    const text = renderTimeline(report.timeline);
    expect(text.split('\n').filter(Boolean)).toHaveLength(report.timeline.length);
    expect(text).toContain('+00:07:00  alarm     heartbeat alarm orders-heartbeat-in-region -> ALARM\n');
  });
});

describe('renderSummary', () => {
  it('shows the outcome, the figures, every invariant and expectation, and PASS', () => {
    const text = renderSummary(fixture('failed-over'));
    expect(text).not.toContain(ESC);
    const lines = text.split('\n');
    expect(lines[0]).toBe('Drill primary-crash (seed 1, database orders)');
    for (const line of [
      '  outcome     failed-over',
      '  writer      orders-replica',
      '  failovers   1 promotion',
      '  detection   2m1s (121 s)',
      '  RTO         5m50s (350 s)',
      '  data loss   0.4 s',
      '  executions  failover SUCCEEDED (41 transitions), failover SUCCEEDED (5 transitions)',
      '  ran         2h of virtual time in 1.8 s',
      '  held    data-loss-within-budget: 0.4 s <= 30 s',
      '  met     maxRtoSeconds: expected ≤ 900 s, got 350 s',
      '  met     outcome: expected failed-over, got failed-over',
    ]) {
      expect(lines).toContain(line);
    }
    for (const name of INVARIANT_NAMES) expect(lines.some((l) => l.startsWith('  held  ') && l.includes(name))).toBe(true);
    expect(lines.filter(Boolean).at(-1)).toBe('PASS (exit 0): every invariant held and every expectation was met');
  });

  it('shows broken invariants with their detail, missed expectations, unchecked invariants, and FAIL', () => {
    const text = renderSummary(fixture('broken'));
    const lines = text.split('\n');
    expect(lines).toContain('  BROKEN  single-writer: orders-primary and orders-replica both took writes from +00:07:00 to +00:09:00 <b>split brain</b>');
    expect(lines).toContain('  BROKEN  data-loss-within-budget: 45 s > 30 s, not approved');
    expect(lines).toContain('  NOT CHECKED  no-data-destroyed');
    expect(lines).toContain('  MISSED  maxRtoSeconds: expected ≤ 300 s, got 412 s');
    expect(lines.filter(Boolean).at(-1)).toBe('FAIL (exit 1): 2 invariants broken, 1 invariant not checked, 1 expectation missed');
  });

  it('says "none" where nothing failed over', () => {
    const lines = renderSummary(fixture('false-alarm')).split('\n');
    expect(lines).toContain('  RTO         none (nothing failed over)');
    expect(lines).toContain('  data loss   none (nothing failed over)');
    expect(lines).toContain('  detection   none');
    expect(lines).toContain('  met     maxRtoSeconds: expected ≤ 600 s, got none (nothing failed over)');
  });

  it('colours when asked, with the same text underneath', () => {
    const report = fixture('broken');
    const coloured = renderSummary(report, { color: true });
    expect(coloured).toContain(`${ESC}[31m`);
    expect(stripAnsi(coloured)).toBe(renderSummary(report));
  });

  it('keeps a scenario name with escape sequences harmless', () => {
    const report = { ...fixture('failed-over'), scenario: `x${ESC}[2J` };
    expect(renderSummary(report)).not.toContain(ESC);
  });

  it('notes a scenario without expectations', () => {
    expect(renderSummary({ ...fixture('failed-over'), expectations: [] })).toContain('  none (the scenario has no "expect")');
  });
});

describe('renderSummary: liveness', () => {
  const withLiveness = (broken: boolean) => ({
    ...fixture('failed-over'),
    liveness: [
      {
        name: 'failover-when-warranted' as const,
        held: !broken,
        detail: broken
          ? 'warranted at t=300s but writes never came back through the DNS name: over the bound 789 s = ...'
          : 'warranted at t=300s: writes restored after 181 s ≤ bound 789 s',
      },
      { name: 'failback-when-approved' as const, held: true, detail: 'no failback approval was accepted: no failback is due' },
      { name: 'escalation-justified' as const, held: true, detail: 'nothing escalated' },
      { name: 'drill-completes' as const, held: true, detail: 'no drill run of this database' },
      { name: 'incident-not-blocked-by-drill' as const, held: true, detail: 'no drill run' },
    ],
  });
  it('lists every liveness check after the invariants, and PASS names them', () => {
    const lines = renderSummary(withLiveness(false)).split('\n');
    const at = lines.indexOf('Liveness');
    expect(at).toBeGreaterThan(lines.indexOf('Invariants'));
    expect(lines.slice(at + 1, at + 6).map((l) => l.trim().split(':')[0])).toEqual([
      'held    failover-when-warranted',
      'held    failback-when-approved',
      'held    escalation-justified',
      'held    drill-completes',
      'held    incident-not-blocked-by-drill',
    ]);
    expect(lines.filter(Boolean).at(-1)).toBe('PASS (exit 0): every invariant held, every liveness check held and every expectation was met');
  });
  it('shows a broken check with its detail, and FAIL counts it', () => {
    const text = renderSummary(withLiveness(true));
    expect(text).toContain('  BROKEN  failover-when-warranted: warranted at t=300s but writes never came back');
    expect(text.trim().split('\n').at(-1)).toMatch(/^FAIL \(exit 1\): 1 liveness check broken or not checked/);
  });
  it('says which check is missing', () => {
    const report = withLiveness(false);
    report.liveness = report.liveness.slice(0, 2);
    expect(renderSummary(report)).toContain('NOT CHECKED  escalation-justified');
  });
});
