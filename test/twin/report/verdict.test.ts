/** The verification verdict on the summary cards (HTML) and in the text summary. */
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../../twin/report/html.js';
import { renderSummary } from '../../../twin/report/text.js';
import { lastVerdict, verdictText } from '../../../twin/report/verdict.js';
import { fixture } from './fixtures.js';

const entry = (t: number, event: string, detail: Record<string, unknown> = {}) => ({
  t,
  source: 'workflow' as const,
  event,
  detail: { phase: 'verdict', ...detail },
});

describe('lastVerdict', () => {
  it.each([
    [
      "the runner's entry",
      [
        entry(
          322,
          'failover 82c530a4: verdict: confirmed-down (All 5 vantage points saw the primary down in every one of 3 rounds (quorum 3); none reached it or wrote to it.)',
        ),
      ],
      'confirmed-down: All 5 vantage points saw the primary down in every one of 3 rounds (quorum 3); none reached it or wrote to it.',
    ],
    [
      'detail.verdict wins',
      [entry(455, 'verdict confirmed-down: 5 of 5 vantage points down in 3 rounds', { verdict: 'confirmed-down' })],
      'confirmed-down: 5 of 5 vantage points down in 3 rounds',
    ],
    [
      'the last of several',
      [entry(10, 'failover a: verdict: healthy (all up)'), entry(900, 'failover b: verdict: ambiguous (2 of 5 down)')],
      'ambiguous: 2 of 5 down (the last of 2 verdicts)',
    ],
    ['none', [], 'none (no verification ran)'],
  ])('%s', (_label, timeline, text) => {
    expect(verdictText(lastVerdict({ timeline }))).toBe(text);
  });
});

describe('summary', () => {
  it('the HTML cards and the text summary show the verdict and its reason', () => {
    const report = fixture('broken');
    expect(renderHtml(report)).toContain('<div><dt>verdict</dt><dd>ambiguous: use1-a, use1-b down; usw2, euw1 up</dd></div>');
    expect(renderSummary(report)).toContain('  verdict     ambiguous: use1-a, use1-b down; usw2, euw1 up');
  });
});

describe('no-op operator actions', () => {
  it('the chart labels a scripted answer that found nothing pending as a no-op, not as an answer', () => {
    const report = fixture('failed-over');
    const noop = {
      t: 1200,
      source: 'operator' as const,
      event: 'operator approves the failback: nothing is pending (no-op)',
      detail: { operator: 'approve', step: 'failback', noop: true },
    };
    const html = renderHtml({ ...report, timeline: [...report.timeline, noop].sort((a, b) => a.t - b.t) });
    const labels = [...html.matchAll(/<text class="marker-label operator"[^>]*>([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(labels).toContain('no-op: approves the failback');
    expect(labels.some((l) => l!.startsWith('operator approves'))).toBe(false);
  });
});

describe('colours', () => {
  it('the failback switchover band has its own colour, far from the data-loss red', () => {
    const html = renderHtml(fixture('failed-back'));
    expect(html).toMatch(/<rect class="band ph-switchover"/);
    const fill = (cls: string): number[] => {
      const m = new RegExp(`\\.${cls} \\{ fill: #([0-9a-f]{6}); \\}`).exec(html);
      return m ? [0, 2, 4].map((i) => parseInt(m[1]!.slice(i, i + 2), 16)) : [];
    };
    const loss = [0xff, 0x81, 0x82];
    const switchover = fill('ph-switchover');
    expect(switchover).toHaveLength(3);
    const distance = Math.hypot(...switchover.map((v, i) => v - loss[i]!));
    expect(distance).toBeGreaterThan(120);
  });
});

describe('modelled figures', () => {
  it('the text summary and the HTML result say which figures are modelled', () => {
    const report = fixture('failed-over');
    expect(renderSummary(report)).toContain(
      'Modelled, not measured on AWS: how long promotions, backups, reboots and stack updates take, DNS caching (the TTL), replica lag and so the data loss',
    );
    expect(renderHtml(report)).toContain('Modelled, not measured on AWS');
  });
});
