/**
 * The `--html` report opened in a real headless Chromium (Debian's `chromium` through
 * `playwright-core`): the charts lay out, their lanes, bands and markers are visible and styled,
 * the Content-Security-Policy lets the page's own style sheet through and nothing else is loaded,
 * and a screenshot really shows the chart's colours. The report's fixed parts (failback stage
 * bands, the verdict card, hour axes, the switchover's colour, the no-op label; table words are
 * test/twin/report/table-words.test.ts) are
 * each checked in the laid-out page and screenshotted; the screenshots are decoded and their
 * colours checked, and written to `REPORT_SCREENSHOT_DIR` when it is set (nothing is committed).
 *
 * One browser launch serves every test. There is no skip: without /usr/bin/chromium every test
 * fails and says how to install it (CI installs it in `.ci/run`).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detailWindows, renderHtml } from '../../../twin/report/html.js';
import { missingInvariants, passed } from '../../../twin/report/judge.js';
import { failureTime, PHASE_LABELS, runEnd } from '../../../twin/report/phases.js';
import { lastVerdict, verdictText } from '../../../twin/report/verdict.js';
import { TIMELINE_SOURCES, type Report } from '../../../twin/report/types.js';
import { FIXTURES, fixture } from './fixtures.js';

// The functions passed to `page.evaluate` run in the browser. The project compiles without the DOM
// library (Lambda code must not see browser globals), so the few browser names they use are
// declared here, for this file only.
interface DomRect {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface Element {
  textContent: string | null;
  firstElementChild: Element | null;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): DomRect;
  checkVisibility(options?: { opacityProperty?: boolean; visibilityProperty?: boolean }): boolean;
  scrollIntoView(options?: { block?: string }): void;
  querySelector(selector: string): Element | null;
  querySelectorAll(selector: string): ArrayLike<Element> & Iterable<Element>;
}
interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    drawImage(image: unknown, x: number, y: number): void;
    getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
  } | null;
}
declare const document: {
  body: Element;
  styleSheets: ArrayLike<{ cssRules: { length: number } }>;
  querySelector(selector: string): Element | null;
  querySelectorAll(selector: string): ArrayLike<Element> & Iterable<Element>;
  elementFromPoint(x: number, y: number): Element | null;
  createElement(tag: 'canvas'): Canvas;
};
declare const window: { __csp?: string[]; scrollTo(x: number, y: number): void };
declare function getComputedStyle(
  element: Element,
): Record<
  'fontFamily' | 'marginTop' | 'maxWidth' | 'color' | 'borderTopStyle' | 'borderBottomWidth' | 'borderBottomStyle' | 'backgroundColor' | 'fill',
  string
>;
declare class Image {
  src: string;
  readonly width: number;
  readonly height: number;
  decode(): Promise<void>;
}

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const VIEWPORT = { width: 1280, height: 900 };

/** The page's colours as Chromium computes them (the style sheet's custom properties). */
const RGB = {
  fault: 'rgb(207, 34, 46)',
  alarm: 'rgb(191, 135, 0)',
  workflow: 'rgb(9, 105, 218)',
  operator: 'rgb(130, 80, 223)',
  cloud: 'rgb(110, 119, 129)',
  pass: 'rgb(26, 127, 55)',
  headerCell: 'rgb(246, 248, 250)',
  badRow: 'rgb(255, 235, 233)',
} as const;

/** What one page did while it loaded: console messages, errors, requests, CSP violations. */
interface PageLog {
  console: string[];
  pageErrors: string[];
  requests: string[];
  failedRequests: string[];
}

interface Loaded {
  page: Page;
  log: PageLog;
  url: string;
}

let dir = '';
let context: BrowserContext | undefined;
let setupError: Error | undefined;
const loaded = new Map<string, Loaded>();

/** Records every `securitypolicyviolation` in the page (init scripts run whatever the page's CSP says). */
const RECORD_CSP_VIOLATIONS = `
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));
`;

/** Opens an HTML file from disk (as a person opens `--html FILE`) in a new tab, logging everything. */
async function open(ctx: BrowserContext, name: string, html: string): Promise<Loaded> {
  const file = join(dir, `${name}.html`);
  writeFileSync(file, html);
  const page = await ctx.newPage();
  const log: PageLog = { console: [], pageErrors: [], requests: [], failedRequests: [] };
  page.on('console', (m) => log.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.pageErrors.push(String(e)));
  page.on('request', (r) => log.requests.push(r.url()));
  page.on('requestfailed', (r) => log.failedRequests.push(`${r.url()}: ${r.failure()?.errorText ?? ''}`));
  await page.addInitScript(RECORD_CSP_VIOLATIONS);
  const url = pathToFileURL(file).href;
  await page.goto(url, { waitUntil: 'load' });
  return { page, log, url };
}

/** The loaded page of a fixture, or the reason the browser could not be used (fails the test). */
function session(name: string): Loaded {
  if (setupError) throw setupError;
  const s = loaded.get(name);
  if (!s) throw new Error(`no page for ${name}`);
  return s;
}

beforeAll(async () => {
  try {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: this test renders the HTML report in a real browser. Install it with ` +
          '`apt-get update && apt-get install -y chromium` (CI does this in .ci/run).',
      );
    }
    dir = mkdtempSync(join(tmpdir(), 'report-browser-'));
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: VIEWPORT,
      offline: true,
    });
    for (const name of FIXTURES) loaded.set(name, await open(context, name, renderHtml(fixture(name))));
  } catch (error) {
    setupError = error instanceof Error ? error : new Error(String(error));
  }
});

afterAll(async () => {
  await context?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The charts a report should show: the overview, then the detail windows, with their time windows. */
function expectedCharts(report: Report): { id: string; t0: number; t1: number }[] {
  const failure = failureTime(report);
  return [{ id: 'overview', t0: 0, t1: runEnd(report) || 60 }, ...detailWindows(report, failure).map((w, i) => ({ id: `detail-${i + 1}`, ...w }))];
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
const inside = (inner: Box, outer: Box, slack = 1) =>
  inner.x >= outer.x - slack &&
  inner.y >= outer.y - slack &&
  inner.x + inner.width <= outer.x + outer.width + slack &&
  inner.y + inner.height <= outer.y + outer.height + slack;

describe.each(FIXTURES)('the %s report in headless Chromium', (name) => {
  const report = fixture(name);

  it('loads with no console message, no page error, no request but the file itself and no CSP violation', async () => {
    const { page, log, url } = session(name);
    expect(log.console).toEqual([]);
    expect(log.pageErrors).toEqual([]);
    expect(log.failedRequests).toEqual([]);
    expect(log.requests).toEqual([url]);
    expect(await page.evaluate(() => window.__csp)).toEqual([]);
    // The policy is in force (it came from the page's meta element).
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-/);
  });

  it('applies its own style sheet: computed styles differ from the browser defaults', async () => {
    const { page } = session(name);
    const styles = await page.evaluate(() => {
      const css = (selector: string) => getComputedStyle(document.querySelector(selector)!);
      return {
        sheets: document.styleSheets.length,
        rules: document.styleSheets[0]?.cssRules.length ?? 0,
        bodyFont: css('body').fontFamily,
        bodyMargin: css('body').marginTop,
        mainMaxWidth: css('main').maxWidth,
        resultColor: css('.result').color,
        resultBorder: css('.result').borderTopStyle,
        h2Border: `${css('h2').borderBottomWidth} ${css('h2').borderBottomStyle}`,
        thBackground: css('th').backgroundColor,
        laneFill: css('svg.chart .lane-bg').fill,
      };
    });
    expect(styles.sheets).toBe(1);
    expect(styles.rules).toBeGreaterThan(50);
    expect(styles.bodyFont).toMatch(/^system-ui/); // the default is a serif font
    expect(styles.bodyMargin).toBe('0px'); // the default is 8px
    expect(styles.mainMaxWidth).toBe('1180px');
    expect(styles.resultColor).toBe(passed(report) ? RGB.pass : RGB.fault);
    expect(styles.resultBorder).toBe('solid');
    expect(styles.h2Border).toBe('1px solid');
    expect(styles.thBackground).toBe(RGB.headerCell);
    expect(styles.laneFill).toBe('rgb(246, 248, 250)'); // the default SVG fill is black
  });

  it('lays out every chart with lanes, labelled bands and coloured markers inside it', async () => {
    const { page } = session(name);
    const charts = expectedCharts(report);
    const rendered = await page.evaluate(() =>
      [...document.querySelectorAll('svg.chart')].map((svg) => {
        svg.scrollIntoView({ block: 'center' }); // the whole chart in the viewport, for elementFromPoint
        const box = (el: Element) => {
          const r = el.getBoundingClientRect();
          return { x: r.x, y: r.y, width: r.width, height: r.height };
        };
        const visible = (el: Element) => el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
        return {
          id: svg
            .getAttribute('aria-labelledby')!
            .split(' ')[0]!
            .replace(/-title$/, ''),
          box: box(svg),
          lanes: [...svg.querySelectorAll('rect.lane-bg')].map((el) => ({ box: box(el), visible: visible(el) })),
          laneLabels: [...svg.querySelectorAll('text.lane-label')].map((el) => ({ text: el.textContent, box: box(el) })),
          markers: [...svg.querySelectorAll('.ev')].map((el) => ({
            source: el.getAttribute('class')!.split(' ')[1]!,
            box: box(el),
            visible: visible(el),
            fill: getComputedStyle(el).fill,
          })),
          texts: [...svg.querySelectorAll('text')].map((el) => ({ text: el.textContent, cls: el.getAttribute('class'), box: box(el) })),
          // A band label is drawn over its own band: at its centre, the label is what a click hits.
          bandLabels: [...svg.querySelectorAll('text.band-label')].map((el) => {
            const r = el.getBoundingClientRect();
            const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
            return { text: el.textContent, onTop: hit === el };
          }),
        };
      }),
    );
    expect(rendered.map((c) => c.id)).toEqual(charts.map((c) => c.id));
    for (const [i, chart] of rendered.entries()) {
      const { t0, t1 } = charts[i]!;
      expect(chart.box.width, chart.id).toBeGreaterThan(700);
      expect(chart.box.height, chart.id).toBeGreaterThan(200);
      expect(chart.lanes).toHaveLength(TIMELINE_SOURCES.length);
      for (const lane of chart.lanes) {
        expect(lane.visible).toBe(true);
        expect(lane.box.width).toBeGreaterThan(600);
        expect(lane.box.height).toBeGreaterThan(20);
      }
      expect(chart.laneLabels.map((l) => l.text)).toEqual([...TIMELINE_SOURCES]);
      // One marker per entry in the window, in its source's colour, inside the chart.
      const entries = report.timeline.filter((e) => e.t >= t0 && e.t <= t1);
      expect(chart.markers.map((m) => m.source).sort(), chart.id).toEqual(entries.map((e) => e.source).sort());
      for (const m of chart.markers) {
        expect(m.visible).toBe(true);
        expect(m.box.width * m.box.height).toBeGreaterThan(20);
        expect(inside(m.box, chart.box), `${chart.id} ${m.source} marker inside`).toBe(true);
        expect(m.fill).toBe(RGB[m.source as keyof typeof RGB]);
      }
      // No label runs off the chart, and no two labels overlap.
      for (const t of chart.texts) expect(inside(t.box, chart.box), `${chart.id}: "${t.text}" inside the chart`).toBe(true);
      for (const [j, a] of chart.texts.entries()) {
        for (const b of chart.texts.slice(j + 1)) {
          const overlap =
            Math.min(a.box.x + a.box.width, b.box.x + b.box.width) - Math.max(a.box.x, b.box.x) > 1 &&
            Math.min(a.box.y + a.box.height, b.box.y + b.box.height) - Math.max(a.box.y, b.box.y) > 1;
          expect(overlap, `${chart.id}: "${a.text}" overlaps "${b.text}"`).toBe(false);
        }
      }
      for (const label of chart.bandLabels) expect(label.onTop, `${chart.id}: band label "${label.text}" is covered`).toBe(true);
    }
    // Some chart labels a phase band (in a long run the overview may have no room for one).
    expect(rendered.flatMap((c) => c.bandLabels).length).toBeGreaterThan(0);
  });

  it('shows one visible row per invariant, broken and unchecked ones highlighted', async () => {
    const { page } = session(name);
    const rows = await page.evaluate(() =>
      [...document.querySelectorAll('section[aria-labelledby="h-invariants"] tbody tr')].map((tr) => {
        const r = tr.getBoundingClientRect();
        return {
          cells: [...tr.querySelectorAll('td')].map((td) => td.textContent),
          visible: tr.checkVisibility(),
          height: r.height,
          width: r.width,
          background: getComputedStyle(tr.querySelector('td')!).backgroundColor,
          resultColor: getComputedStyle(tr.querySelectorAll('td')[1]!.firstElementChild!).color,
        };
      }),
    );
    const missing = missingInvariants(report);
    expect(rows.map((r) => r.cells[0])).toEqual([...report.invariants.map((i) => i.name), ...missing]);
    const held = [...report.invariants.map((i) => i.held), ...missing.map(() => false)];
    for (const [i, row] of rows.entries()) {
      expect(row.visible).toBe(true);
      expect(row.height).toBeGreaterThan(15);
      expect(row.width).toBeGreaterThan(700);
      expect(row.background).toBe(held[i] ? 'rgba(0, 0, 0, 0)' : RGB.badRow);
      expect(row.resultColor).toBe(held[i] ? RGB.pass : RGB.fault);
    }
  });

  it('takes a screenshot in which the chart shows its colours', async () => {
    const { page } = session(name);
    // The first screen: the verdict, the figures and the overview chart.
    await page.evaluate(() => window.scrollTo(0, 0));
    const full = await page.screenshot({ type: 'png' });
    expect(full.length).toBeGreaterThan(50_000);
    const chartShot = await page.locator('svg.chart').first().screenshot({ type: 'png' });
    if (process.env.REPORT_SCREENSHOT_DIR) {
      writeFileSync(join(process.env.REPORT_SCREENSHOT_DIR, `${name}.png`), full);
      writeFileSync(join(process.env.REPORT_SCREENSHOT_DIR, `${name}-chart.png`), chartShot);
    }
    // Decode the chart's pixels in a blank tab (the report's CSP rightly forbids images).
    const pixels = await pixelCounts(chartShot);
    expect(pixels.width).toBeGreaterThan(700);
    expect(pixels.height).toBeGreaterThan(200);
    const total = pixels.width * pixels.height;
    const top = Math.max(...Object.values(pixels.counts));
    expect(Object.keys(pixels.counts).length).toBeGreaterThan(50); // not a blank or flat image
    expect(top / total).toBeLessThan(0.9);
    // Every source with an entry in the overview shows up in its colour (markers are solid).
    for (const source of new Set(report.timeline.map((e) => e.source))) {
      expect(pixels.counts[RGB[source]] ?? 0, `${source} pixels`).toBeGreaterThan(20);
    }
  });
});

/** The colours of a PNG, decoded in a blank tab (the report's CSP rightly forbids images). */
async function pixelCounts(png: Buffer): Promise<{ width: number; height: number; counts: Record<string, number> }> {
  const blank = await context!.newPage();
  try {
    return await blank.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const g = canvas.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const data = g.getImageData(0, 0, img.width, img.height).data;
      const counts: Record<string, number> = {};
      for (let i = 0; i < data.length; i += 4) {
        const key = `rgb(${data[i]}, ${data[i + 1]}, ${data[i + 2]})`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return { width: img.width, height: img.height, counts };
    }, png.toString('base64'));
  } finally {
    await blank.close();
  }
}

/** Screenshots one element (kept in REPORT_SCREENSHOT_DIR when set) and returns its decoded colours. */
async function shoot(page: Page, selector: string, file: string): Promise<{ width: number; height: number; counts: Record<string, number> }> {
  const png = await page.locator(selector).first().screenshot({ type: 'png' });
  if (process.env.REPORT_SCREENSHOT_DIR) writeFileSync(join(process.env.REPORT_SCREENSHOT_DIR, `${file}.png`), png);
  const pixels = await pixelCounts(png);
  expect(Object.keys(pixels.counts).length, `${file}: not a blank image`).toBeGreaterThan(10);
  return pixels;
}

/** The failback's stage labels (phases.ts PHASE_LABELS of the `failback-*` bands). */
const FAILBACK_LABELS = Object.entries(PHASE_LABELS)
  .filter(([k]) => k.startsWith('failback'))
  .map(([, v]) => v);
const SWITCHOVER_RGB = 'rgb(143, 209, 196)';
const LOSS_RGB = 'rgb(255, 129, 130)';

describe("the report's fixed parts, checked in Chromium and screenshotted", () => {
  it('failback stages are bands of their own, labelled with their own names (none "promote" or "fence"), in their own colours', async () => {
    const { page } = session('failed-back');
    const bands = (await page.evaluate(`[...document.querySelectorAll('svg.chart')].map((svg, i) => ({
      chart: i,
      bands: [...svg.querySelectorAll('rect.band')].map((r) => ({ cls: r.getAttribute('class'), label: (r.textContent || '').split(':')[0], fill: getComputedStyle(r).fill })),
      labels: [...svg.querySelectorAll('text.band-label')].map((t) => t.textContent),
    }))`)) as { chart: number; bands: { cls: string; label: string; fill: string }[]; labels: string[] }[];
    const failback = bands.flatMap((c) => c.bands.filter((b) => /ph-(failback|switchover)/.test(b.cls)));
    expect(failback.length).toBeGreaterThan(0);
    for (const b of failback) expect(FAILBACK_LABELS, b.label).toContain(b.label);
    expect(new Set(failback.map((b) => b.label))).toContain('switchover');
    const drawn = bands.flatMap((c) => c.labels).filter((l) => FAILBACK_LABELS.includes(l));
    expect(drawn.length, 'some failback stage is labelled on its band').toBeGreaterThan(0);
    const chart = bands.find((c) => c.bands.some((b) => b.cls.includes('ph-switchover')))!.chart;
    const pixels = await shoot(page, `svg.chart >> nth=${chart}`, 'failed-back-failback-bands');
    expect(pixels.counts[SWITCHOVER_RGB] ?? 0, 'switchover band pixels').toBeGreaterThan(50);
  });

  it.each(FIXTURES)('%s: the summary cards show the verdict with its reason', async (name) => {
    const { page } = session(name);
    const cards = (await page.evaluate(
      `[...document.querySelectorAll('dl.figures > div')].map((d) => ({ k: d.querySelector('dt').textContent, v: d.querySelector('dd').textContent, visible: d.checkVisibility() }))`,
    )) as { k: string; v: string; visible: boolean }[];
    const verdict = cards.find((c) => c.k === 'verdict');
    const expected = verdictText(lastVerdict(fixture(name)));
    expect(verdict).toEqual({ k: 'verdict', v: expected, visible: true });
    if (lastVerdict(fixture(name))?.reason) expect(verdict!.v).toMatch(/^(confirmed-down|healthy|ambiguous): \S/);
    await shoot(page, 'dl.figures', `${name}-summary-cards`);
  });

  it('time axes past an hour read as hours and minutes; within the hour, minutes', async () => {
    const ticks = async (name: (typeof FIXTURES)[number], chart = 0) =>
      (await session(name).page.evaluate(
        `(() => { const svg = document.querySelectorAll('svg.chart')[${chart}]; return { ticks: [...svg.querySelectorAll('text.tick-label')].map((t) => t.textContent), title: svg.querySelector('text.axis-title').textContent }; })()`,
      )) as { ticks: string[]; title: string };
    const long = await ticks('failed-back'); // the overview: 2 h 32 min of virtual time
    expect(long.title).toMatch(/\(h:mm(:ss)?\)/);
    expect(long.ticks.length).toBeGreaterThan(2);
    for (const t of long.ticks) expect(t).toMatch(/^\d+:\d\d(:\d\d)?$/);
    expect(long.ticks).toContain('1:00');
    const detail = detailWindows(fixture('failed-over'), failureTime(fixture('failed-over')))[0]!;
    expect(detail.t1).toBeLessThan(3600);
    const short = await ticks('failed-over', 1); // its first detail chart, within the first hour
    expect(short.title).toMatch(/^virtual minutes/);
    for (const t of short.ticks) expect(t).toMatch(/^\d+(:\d\d)?$/);
    await shoot(session('failed-back').page, 'svg.chart', 'failed-back-hour-axis');
  });

  it('the switchover band and the data loss have distinct colours (neither is the fault red)', async () => {
    const { page } = session('failed-back');
    const fills = (await page.evaluate(
      `({ switchover: getComputedStyle(document.querySelector('rect.band.ph-switchover')).fill, loss: getComputedStyle(document.querySelector('.legend .sw.loss')).backgroundColor, lossRect: document.querySelector('rect.loss') ? getComputedStyle(document.querySelector('rect.loss')).fill : null })`,
    )) as { switchover: string; loss: string; lossRect: string | null };
    expect(fills.switchover).toBe(SWITCHOVER_RGB);
    expect(fills.loss).toBe(LOSS_RGB);
    if (fills.lossRect) expect(fills.lossRect).toBe(LOSS_RGB);
    expect(new Set([fills.switchover, fills.loss, RGB.fault]).size).toBe(3);
    const legend = await shoot(page, '.legend', 'failed-back-legend');
    expect(legend.counts[LOSS_RGB] ?? 0, 'data-loss swatch pixels').toBeGreaterThan(20);
    expect(legend.counts[SWITCHOVER_RGB] ?? 0).toBe(0);
  });

  it('an operator action that was a no-op is labelled "no-op", never as if it happened', async () => {
    if (setupError) throw setupError;
    const base = fixture('failed-back');
    const noop = {
      t: 9060,
      source: 'operator' as const,
      event: 'operator approve the failback: nothing is pending (no-op)',
      detail: { operator: 'approve', step: 'failback', noop: true },
    };
    const report = { ...base, timeline: [...base.timeline.filter((e) => e.t <= noop.t), noop, ...base.timeline.filter((e) => e.t > noop.t)] };
    const { page } = await open(context!, 'noop', renderHtml(report));
    try {
      const labels = (await page.evaluate(`[...document.querySelectorAll('text.marker-label.operator')].map((t) => t.textContent)`)) as string[];
      expect(labels).toContain('no-op: approve the failback');
      expect(labels.filter((l) => /approve the failback/.test(l) && !l.startsWith('no-op: '))).toEqual([]);
      const pixels = await shoot(page, 'svg.chart', 'failed-back-noop-operator');
      expect(pixels.counts[RGB.operator] ?? 0, 'operator marker pixels').toBeGreaterThan(20);
    } finally {
      await page.close();
    }
  });
});

describe('the rendering checks themselves', () => {
  it('see a style sheet the CSP blocks: an edited style no longer matches its hash', async () => {
    if (setupError) throw setupError;
    const html = renderHtml(fixture('failed-over')).replace('<style>', '<style>/* edited */');
    const { page, log } = await open(context!, 'tampered', html);
    try {
      expect(log.console.join('\n')).toMatch(/inline style violates the following Content Security Policy directive 'style-src/);
      expect(await page.evaluate(() => window.__csp)).toEqual(['style-src-elem inline']);
      expect(await page.evaluate(() => getComputedStyle(document.body).marginTop)).toBe('8px');
    } finally {
      await page.close();
    }
  });
});
