/**
 * The report's `measured` section (a --real-postgres drill): the schema keeps it, the terminal
 * summary and the HTML page show it beside the modelled figures, and a broken measured check fails
 * the drill (exit 1) as an invariant does.
 */
import { describe, expect, it } from 'vitest';
import { exitStatus, passed } from '../../../twin/report/judge.js';
import { renderHtml } from '../../../twin/report/html.js';
import { renderSummary } from '../../../twin/report/text.js';
import { reportSchema, type MeasuredSection, type Report } from '../../../twin/report/types.js';
import { fixture } from '../report/fixtures.js';

const measured = (over: Partial<MeasuredSection> = {}): MeasuredSection => ({
  timeScale: 60,
  realSeconds: 60.002,
  canary: { ratePerSecond: 20, attempted: 1198, acknowledged: 1015, unacknowledged: 183 },
  newPrimary: 'replica',
  lostCommits: 40,
  lostSecondsAtLeast: 1.997,
  lostSeconds: 2.038,
  lostSecondsVirtual: 122.28,
  rtoSeconds: 9.464,
  rtoSecondsVirtual: 567.84,
  acceptedAfterFence: 0,
  estimate: { t: 720, seconds: 123.949, realSeconds: 2.066, detail: 'data-loss budget: over the 30 s budget' },
  events: [{ t: 300, event: 'SIGKILL of the primary (every process): done in 8 ms' }],
  checks: [
    { name: 'no-commit-after-fence', held: true, detail: '0 commit(s) acknowledged by a fenced server after its real fence (fenced: primary)' },
    { name: 'estimate-covers-loss', held: true, detail: 'the product estimated 123.949 s at risk' },
  ],
  notes: [],
  ...over,
});

const withMeasured = (m: MeasuredSection): Report => reportSchema.parse({ ...fixture('failed-over'), measured: m });

describe('the measured section', () => {
  it('survives the schema and is shown beside the modelled figures (summary and HTML)', () => {
    const report = withMeasured(measured());
    expect(report.measured?.lostSecondsAtLeast).toBe(1.997);
    const text = renderSummary(report);
    expect(text).toContain('Measured on real PostgreSQL (virtual time ran ×60 real time; 60.002 s real)');
    expect(text).toMatch(/lost \(measured\) +40 acknowledged commit\(s\), 1\.997 to 2\.038 s real \(122\.28 s scaled ×60\)/);
    expect(text).toMatch(/estimate at decision +123\.949 s \(2\.066 s real\)/);
    expect(text).toMatch(/RTO \(measured\) +9\.464 s real \(567\.84 s scaled ×60\)/);
    expect(text).toMatch(/after the fence +0 commit\(s\) acknowledged by a fenced server/);
    expect(passed(report)).toBe(true);
    const html = renderHtml(report);
    expect(html).toContain('<h2 id="h-measured">Measured on real PostgreSQL</h2>');
    expect(html).toContain('40 acknowledged commit(s), 1.997 to 2.038 s real (122.28 s scaled ×60)');
  });

  it('a broken measured check fails the drill: exit 1, named in the verdict', () => {
    const report = withMeasured(measured({ checks: [{ name: 'estimate-covers-loss', held: false, detail: 'the product estimated 0 s at risk' }] }));
    expect(exitStatus(report)).toBe(1);
    expect(renderSummary(report)).toMatch(/BROKEN +estimate-covers-loss/);
    expect(renderSummary(report)).toContain('FAIL (exit 1): 1 measured check broken');
    expect(renderHtml(report)).toContain('FAIL: 1 measured check(s) broken');
  });

  it('a report without it (every virtual drill) renders as before', () => {
    const report = fixture('failed-over');
    expect(renderSummary(report)).not.toContain('Measured on real PostgreSQL');
    expect(renderHtml(report)).not.toContain('h-measured');
  });
});
