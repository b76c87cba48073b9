/**
 * The HTML report's tables in a real headless Chromium (as test/twin/report/browser.test.ts opens
 * it): no word in a table cell is broken across lines, even on a narrow window (the table scrolls
 * sideways instead), and a screenshot of the tables is taken for a person to look at.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../../twin/report/html.js';
import { FIXTURES, fixture } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
let dir = '';
let context: BrowserContext | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with \`apt-get update && apt-get install -y chromium\``);
  dir = mkdtempSync(join(tmpdir(), 'report-words-'));
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    viewport: { width: 480, height: 900 },
    offline: true,
  });
});

afterAll(async () => {
  await context?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Every word of a table cell (a run of letters and digits) whose characters sit on more than one
 * line (runs in the page). A line may still break at a space or after a hyphen of an identifier
 * (orders-replica), as text does; never inside a word.
 */
const SPLIT_WORDS = `(() => {
  const split = [];
  for (const cell of document.querySelectorAll('td, th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      const text = node.textContent || '';
      const re = /[A-Za-z0-9_]+/g;
      let m;
      while ((m = re.exec(text))) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (lines.size > 1) split.push(m[0]);
      }
    }
  }
  return split;
})()`;

describe('report tables', () => {
  it.each(FIXTURES.map((f) => [f]))(
    '%s: no word of a table cell is broken across lines on a 480 px window',
    async (name) => {
      const file = join(dir, `${name}.html`);
      writeFileSync(file, renderHtml(fixture(name)));
      const page = await context!.newPage();
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      const split = (await page.evaluate(SPLIT_WORDS)) as string[];
      expect(split).toEqual([]);
      const tables = await page.locator('.table-wrap').count();
      expect(tables).toBeGreaterThan(0);
      const shot = await page
        .locator('.table-wrap')
        .first()
        .screenshot({ path: join(process.env.REPORT_SCREENSHOTS ?? dir, `${name}-table.png`) });
      expect(shot.length).toBeGreaterThan(1000);
      await page.close();
    },
    60_000,
  );
});
