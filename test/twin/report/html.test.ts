import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, detailWindows, escapeHtml, renderHtml, timeLabel } from '../../../twin/report/html.js';
import { INVARIANT_NAMES, TIMELINE_SOURCES, type Report } from '../../../twin/report/types.js';
import { FIXTURES, fixture } from './fixtures.js';

const VOID = new Set(['meta', 'link', 'br', 'hr', 'img', 'input', 'col', 'area', 'base', 'wbr', 'source']);
const RAW_TEXT = new Set(['style', 'script', 'title', 'textarea']);
const TAG = /^<(\/?)([a-zA-Z][a-zA-Z0-9:-]*)((?:\s+[a-zA-Z_:][a-zA-Z0-9_.:-]*(?:="[^"<>]*")?)*)\s*(\/?)>/;

/**
 * A strict well-formedness check: every `<` opens a tag with double-quoted attributes holding no
 * `<`, `>` or `"`; every element is closed in order (void elements and `/>` excepted); no raw `>`
 * in text. Returns the problems (empty when well formed).
 */
function wellFormedProblems(html: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let i: number;
  if (!html.startsWith('<!DOCTYPE html>')) problems.push('no doctype');
  i = html.indexOf('>') + 1;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    const text = html.slice(i, lt === -1 ? undefined : lt);
    if (text.includes('>')) problems.push(`raw ">" in text near ${JSON.stringify(text.slice(0, 60))}`);
    if (lt === -1) break;
    const m = TAG.exec(html.slice(lt));
    if (!m) {
      problems.push(`malformed tag at ${lt}: ${JSON.stringify(html.slice(lt, lt + 60))}`);
      i = lt + 1;
      continue;
    }
    const [whole, closing, rawName, , selfClosing] = m;
    const name = rawName!.toLowerCase();
    i = lt + whole.length;
    if (closing) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open}>`);
    } else if (!selfClosing && !VOID.has(name)) {
      if (RAW_TEXT.has(name)) {
        const end = html.toLowerCase().indexOf(`</${name}>`, i);
        if (end === -1) problems.push(`<${name}> never closed`);
        const raw = html.slice(i, end);
        if (name === 'title' && /[<>]/.test(raw)) problems.push('raw < or > in <title>');
        i = end + name.length + 3;
      } else {
        stack.push(name);
      }
    }
  }
  if (stack.length) problems.push(`unclosed: ${stack.join(' > ')}`);
  return problems;
}

/** Text content of the page (tags removed, the common entities decoded). */
const textOf = (html: string) =>
  html
    .replace(/<style>[\s\S]*?<\/style>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

describe('the well-formedness check', () => {
  it('accepts a balanced page and rejects broken ones', () => {
    expect(wellFormedProblems('<!DOCTYPE html><html><body><p class="a">x</p><br><svg><path d="M0 0"/></svg></body></html>')).toEqual([]);
    expect(wellFormedProblems('<!DOCTYPE html><html><body><p>x</body></html>')).not.toEqual([]);
    expect(wellFormedProblems('<!DOCTYPE html><html><p title="a"b">x</p></html>')).not.toEqual([]);
    expect(wellFormedProblems('<!DOCTYPE html><html><p>a < b</p></html>')).not.toEqual([]);
    expect(wellFormedProblems('<!DOCTYPE html><html><p>a > b</p></html>')).not.toEqual([]);
  });
});

describe('renderHtml', () => {
  it.each(FIXTURES)('renders %s as a well-formed page with the chart and every invariant', (name) => {
    const report = fixture(name);
    const html = renderHtml(report);
    expect(wellFormedProblems(html)).toEqual([]);
    expect(html).toMatch(/<svg class="chart" viewBox="0 0 \d+ \d+"/);
    const text = textOf(html);
    for (const inv of INVARIANT_NAMES) expect(text).toContain(inv);
    for (const source of TIMELINE_SOURCES) expect(html).toMatch(new RegExp(`<text class="lane-label"[^>]*>${source}</text>`));
    for (const e of report.expectations) expect(text).toContain(e.name);
    for (const entry of report.timeline) expect(html).toContain(escapeHtml(entry.event));
  });

  it('escapes the scenario name, description, events and details (user input)', () => {
    const html = renderHtml(fixture('broken'));
    expect(html.toLowerCase()).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &#39;friends&#39;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(textOf(html)).toContain('<script>alert("pwned")</script> & \'friends\'');
  });

  it('escapes even a report that bypassed the schema', () => {
    const evil = '"><script>alert(1)</script>';
    const report = {
      ...fixture('failed-over'),
      outcome: evil,
      writer: evil,
      timeline: [
        { t: 10, source: evil, event: evil, detail: { [evil]: evil } },
        { t: 20, source: 'workflow', event: 'x', detail: { phase: evil } },
      ],
      apiCalls: { [evil]: evil },
      executions: [{ stateMachine: evil, status: evil, stateTransitions: evil, name: evil, error: evil }],
      invariants: [{ name: evil, held: false, detail: evil }],
      expectations: [{ name: evil, held: false, expected: evil, actual: evil, detail: evil }],
      phases: [{ name: evil, start: 0, end: 100 }],
    } as unknown as Report;
    const html = renderHtml(report);
    expect(html.toLowerCase()).not.toContain('<script');
    expect(wellFormedProblems(html)).toEqual([]);
  });

  it('forbids remote loads: a CSP meta tag, no scripts, no external references', () => {
    const html = renderHtml(fixture('failed-over'));
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
    expect(meta?.[1]).toBe(CONTENT_SECURITY_POLICY);
    const policy = meta![1]!;
    expect(policy).toMatch(/(^|; )default-src 'none'(;|$)/);
    expect(policy).toMatch(/(^|; )base-uri 'none'(;|$)/);
    expect(policy).toMatch(/(^|; )form-action 'none'(;|$)/);
    expect(policy).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    // The CSP meta comes before anything that could load.
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<style>'));
    // The inline style is allowed by its hash, not by 'unsafe-inline'.
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const hash = createHash('sha256').update(style, 'utf8').digest('base64');
    expect(policy).toContain(`style-src 'sha256-${hash}'`);
    expect(html).not.toMatch(/<(script|link|iframe|object|embed|img|image|use|foreignObject)\b/i);
    expect(html).not.toMatch(/\s(src|href|xlink:href|srcset|style|on[a-z]+)="/i);
    expect(style).not.toMatch(/url\(|@import|@font-face/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg")/);
  });

  it('marks the RTO bracket, detection and data loss when something failed over', () => {
    const html = renderHtml(fixture('failed-over'));
    expect(html).toContain('<path class="bracket" d="M');
    expect(html).toMatch(/<text class="measure-label"[^>]*>RTO 5m50s<\/text>/);
    expect(html).toMatch(/<text class="measure-label"[^>]*>detected \+2m1s<\/text>/);
    expect(html).toMatch(/<rect class="loss"/);
    expect(html).toMatch(/<text class="measure-label"[^>]*>data loss 0.4s<\/text>/);
    expect(html).toContain('RTO 5m50s (350 s): from +00:05:00 (primary stopped taking writes) to +00:10:50 (first write through the DNS name)');
  });

  it('draws no RTO or data loss when nothing failed over', () => {
    const html = renderHtml(fixture('false-alarm'));
    expect(html).not.toContain('class="bracket');
    expect(html).not.toContain('class="loss"');
    expect(textOf(html)).toContain('none (nothing failed over)');
  });

  it('draws phase bands with their labels, faults as triangles and approvals as diamonds', () => {
    const html = renderHtml(fixture('broken'));
    for (const label of ['approval', 'promote', 'failed over']) expect(html).toMatch(new RegExp(`<text class="band-label"[^>]*>${label}</text>`));
    expect(html).toContain('<rect class="band ph-approval"');
    expect(html).toMatch(/<path class="ev fault" d="M[\d.]+ [\d.]+L[\d.]+ [\d.]+H[\d.]+Z">/);
    expect(html).toMatch(/<path class="ev operator" d="M[^"]+Z">/);
    expect(html).toContain('<line class="fault-line"');
    expect(html).toContain('<line class="op-line"');
  });

  it("uses the report's phases, and zooms into each burst of activity", () => {
    const report = fixture('failed-back');
    const html = renderHtml(report);
    expect(detailWindows(report, 300).map((w) => [Math.round(w.t0), Math.round(w.t1)])).toEqual([
      [272, 681],
      [1780, 1821],
      [5980, 6020],
      [8980, 9140],
    ]);
    expect(html.match(/<svg class="chart"/g)).toHaveLength(5);
    expect(html).toMatch(/<text class="band-label"[^>]*>switchover<\/text>/);
    expect(html).toContain('<rect class="band ph-failback"');
    expect(html).toContain('Detail 4: +02:29:40 to +02:32:20');
  });

  it('labels a time axis past an hour in hours and minutes', () => {
    const html = renderHtml(fixture('failed-over'));
    expect(html).toContain('virtual time since the start (h:mm)</text>');
    const overview = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
    const ticks = [...overview.matchAll(/<text class="tick-label"[^>]*>([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(ticks).toEqual(['0:00', '0:15', '0:30', '0:45', '1:00', '1:15', '1:30', '1:45', '2:00']);
  });

  it.each([
    [90, 60, false, '2'],
    [750, 30, false, '12:30'],
    [5400, 900, true, '1:30'],
    [8980, 20, true, '2:29:40'],
    [0, 3600, true, '0:00'],
  ])('timeLabel(%d s, step %d, hours %s) = %s', (t, step, hours, label) => {
    expect(timeLabel(t, step, hours)).toBe(label);
  });

  it('lists invariants, expectations, executions and API calls as tables', () => {
    const html = renderHtml(fixture('broken'));
    expect(html).toMatch(/<tr class="bad"><td>single-writer<\/td><td><span class="bad-text">BROKEN<\/span><\/td>/);
    expect(html).toMatch(/<tr class="bad"><td>no-data-destroyed<\/td><td><span class="bad-text">NOT CHECKED<\/span><\/td>/);
    expect(html).toMatch(/<tr class="bad"><td>maxRtoSeconds<\/td><td>≤ 300 s<\/td><td>412 s<\/td><td><span class="bad-text">MISSED<\/span><\/td>/);
    expect(html).toContain('FAIL: 2 invariant(s) broken, 1 invariant(s) not checked, 1 expectation(s) missed (exit 1)');
    const ok = renderHtml(fixture('failed-over'));
    expect(ok).toContain('PASS: every invariant held and every expectation was met (exit 0)');
    expect(ok).toMatch(/<td><code>rds:PromoteReadReplica<\/code><\/td><td class="num">1<\/td>/);
    expect(ok).toMatch(/<td><strong>total<\/strong><\/td><td class="num"><strong>24<\/strong><\/td>/);
    expect(ok).toMatch(/<td>failover<\/td><td>alarm-1<\/td><td>SUCCEEDED<\/td><td class="num">41<\/td><td>\+00:07:01<\/td><td>\+00:10:53<\/td>/);
    expect(ok).toContain('<td>orders-primary in us-east-1</td>');
  });

  it('stays readable in a narrow window and on paper', () => {
    const html = renderHtml(fixture('failed-over'));
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('@media print');
    expect(html).toContain('<div class="chart-scroll">');
    expect(html).toContain('<div class="table-wrap">');
  });

  it('is deterministic', () => {
    expect(renderHtml(fixture('failed-back'))).toBe(renderHtml(fixture('failed-back')));
  });
});

describe('escapeHtml', () => {
  it('escapes the five special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(escapeHtml(42)).toBe('42');
  });

  it('shows control characters instead of emitting them (they are invalid in XML)', () => {
    expect(escapeHtml('a\x1b[31mb\x00c\td\ne')).toBe('a\\x1b[31mb\\x00c\td\ne');
    expect(renderHtml(fixture('broken'))).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/);
  });
});

describe('renderHtml: liveness', () => {
  it('has a Liveness section with every check and the escalations with their causes', () => {
    const report: Report = {
      ...fixture('failed-over'),
      liveness: [
        { name: 'failover-when-warranted', held: false, detail: 'warranted at t=300s but writes never came back <through> the DNS name' },
        { name: 'failback-when-approved', held: true, detail: 'no failback is due' },
        { name: 'escalation-justified', held: true, detail: 'failover approval timed out' },
        { name: 'drill-completes', held: true, detail: 'no drill run of this database' },
        { name: 'incident-not-blocked-by-drill', held: true, detail: 'no drill run' },
      ],
      escalations: [
        {
          t: 2121,
          execution: '82c530a4-x',
          stateMachine: 'failover',
          cause: 'approval-timeout',
          message: 'the failover approval (promote) expired unanswered',
          evidence: 'no operator answer was accepted',
        },
      ],
    };
    const html = renderHtml(report);
    expect(html).toContain('<h2 id="h-liveness">Liveness</h2>');
    expect(html).toContain('writes never came back &lt;through&gt; the DNS name');
    expect(html).toContain('approval-timeout');
    expect(html).toContain('no operator answer was accepted');
    expect(html).toMatch(/FAIL: 1 liveness check\(s\) broken or not checked \(exit 1\)/);
    // A report without the key (an older version) has no such section.
    expect(renderHtml(fixture('failed-over'))).not.toContain('h-liveness');
  });
});
