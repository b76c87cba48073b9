/**
 * The approval page served by a running drill (`runDrill(..., { approvals: { serve: true } })`),
 * answered in a real headless Chromium (Debian's `chromium` through `playwright-core`).
 *
 * The drill is the default game day without its scripted failback approval: virtual time stops
 * when the failback asks for approval, and only the page can answer it. While it waits, the test
 * proves that a GET, a forged signature, an unknown (foreign) id and an expired link change
 * nothing; then the browser opens the link, reads what will happen, types a name and a reason and
 * clicks Approve; a replay of that same POST is refused and changes nothing; the drill ends
 * failed-back with the approver's name in the approval record and the incident's timeline.
 *
 * No skip: without /usr/bin/chromium the test fails and says how to install it (.ci/run does).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalView } from '../../../lambdas/shared/approvals.js';
import { runDrill, type ServedApprovalLink } from '../../../twin/drill/run.js';
import type { Report } from '../../../twin/report/types.js';
import { gameDayFile, resolveConfig } from '../../../twin/scenario/index.js';
import { scenarioOf } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
/** The launch flags of test/twin/report/browser.test.ts. */
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
const APPROVER = 'Ada Lovelace';
const REASON = 'rehearsal: the original Region has been stable';

let dir: string | undefined;
let context: BrowserContext | undefined;
let setupError: Error | undefined;

beforeAll(async () => {
  try {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: this test clicks Approve on the approval page in a real browser. Install it with ` +
          '`apt-get update && apt-get install -y chromium` (CI does this in .ci/run).',
      );
    }
    dir = mkdtempSync(join(tmpdir(), 'approval-browser-'));
    context = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, headless: true, args: ARGS });
  } catch (error) {
    setupError = error instanceof Error ? error : new Error(String(error));
  }
});

afterAll(async () => {
  await context?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What one plain HTTP request got back. */
interface Answer {
  status: number;
  text: string;
}

async function request(url: string, init: { method?: string; body?: string; cookie?: string } = {}): Promise<Answer> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    redirect: 'manual',
    headers: {
      ...(init.body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      ...(init.cookie ? { cookie: init.cookie } : {}),
    },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  return { status: res.status, text: (await res.text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ') };
}

/** What the test saw while the drill waited (asserted after the drill). */
interface Seen {
  link?: ServedApprovalLink;
  otherLinks: string[];
  pending?: ApprovalView | null;
  afterGet?: ApprovalView | null;
  get?: Answer;
  forged?: Answer;
  afterForged?: ApprovalView | null;
  foreign?: Answer;
  afterForeign?: ApprovalView | null;
  expired?: Answer;
  afterExpired?: ApprovalView | null;
  heading?: string;
  effects?: string;
  confirmation?: string;
  decided?: ApprovalView | null;
  replay?: Answer;
  afterReplay?: ApprovalView | null;
  error?: unknown;
}

/** The default game day without its scripted failback approval (only the page can answer it). */
function scenario() {
  const file = gameDayFile(resolveConfig().config);
  const all = file.events ?? [];
  const events = all.filter((e) => !('operator' in e && e.operator === 'approve' && e.step === 'failback'));
  expect(events.length).toBe(all.length - 1);
  return scenarioOf({ ...file, name: 'game-day-page-approval', events });
}

/** Everything the page must (and must not) do, done while the drill waits for the answer. */
async function answerOnThePage(link: ServedApprovalLink, seen: Seen): Promise<void> {
  seen.link = link;
  const url = new URL(link.url);
  seen.pending = await link.read();

  // A GET shows the page and acts on nothing.
  seen.get = await request(link.url);
  seen.afterGet = await link.read();

  // A forged signature (a well-formed MAC that is not this link's).
  const forged = new URL(url);
  const sig = forged.searchParams.get('sig')!;
  forged.searchParams.set('sig', `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`);
  seen.forged = await request(forged.href, { method: 'POST', body: 'decision=approve&name=Mallory' });
  seen.afterForged = await link.read();

  // A foreign id: well-formed, signed with this deployment's key, but no such approval here.
  const foreignId = `${link.approvalId.slice(0, 42)}${link.approvalId.endsWith('x') ? 'y' : 'x'}`;
  seen.foreign = await request(link.sign(foreignId, new Date(link.expiresAt)));
  seen.afterForeign = await link.read();

  // An expired link to the same approval (validly signed, expiry in the past).
  seen.expired = await request(link.sign(link.approvalId, new Date(Date.parse(link.expiresAt) - 48 * 3600_000)));
  seen.afterExpired = await link.read();

  // The browser: open the link, read what will happen, answer.
  const page = await context!.newPage();
  try {
    await page.goto(link.url);
    seen.heading = (await page.locator('h1').textContent()) ?? '';
    seen.effects = (await page.locator('body').textContent()) ?? '';
    const nonce = await page.locator('input[name=nonce]').inputValue();
    const token = await page.locator('input[name=token]').inputValue();
    const cookies = await context!.cookies(link.url);
    await page.fill('#name', APPROVER);
    await page.fill('#reason', REASON);
    await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button.approve')]);
    await page.waitForLoadState('load');
    seen.confirmation = (await page.locator('body').textContent()) ?? '';
    seen.decided = await link.read();

    // The same POST again (the cookie and token of that render): single use.
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const body = new URLSearchParams({ nonce, token, name: APPROVER, reason: REASON, decision: 'approve' }).toString();
    seen.replay = await request(link.url, { method: 'POST', body, cookie });
    seen.afterReplay = await link.read();
  } finally {
    await page.close();
  }
}

describe('the approval page served by a running drill, in Chromium', () => {
  let report: Report | undefined;
  const seen: Seen = { otherLinks: [] };

  beforeAll(async () => {
    if (setupError) return;
    report = await runDrill(scenario(), {
      seed: 1,
      approvals: {
        serve: true,
        port: 0,
        onLink: async (link) => {
          if (link.step !== 'failback' || seen.link) {
            seen.otherLinks.push(link.url);
            return;
          }
          try {
            await answerOnThePage(link, seen);
          } catch (err) {
            seen.error = err;
          }
        },
      },
    });
  }, 300_000);

  it('opens the link from the running drill, clicks Approve, and the drill ends failed-back with the approver recorded', () => {
    if (setupError) throw setupError;
    if (seen.error) throw seen.error;
    expect(seen.otherLinks).toEqual([]);
    const link = seen.link!;
    expect(link, 'the drill never served a failback approval').toBeDefined();
    expect(link.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?id=[A-Za-z0-9_-]{43}&exp=\d+&sig=[A-Za-z0-9_-]{43}$/);
    expect(seen.pending).toMatchObject({ id: link.approvalId, step: 'failback', decision: 'fail-back', status: 'pending' });

    // What the page says will happen.
    expect(seen.heading).toContain('fail back to the original site');
    expect(seen.effects).toContain('Opening this page changed nothing');
    expect(seen.effects).toContain('What will happen');
    expect(seen.effects).toContain('If you approve');

    // The answer.
    expect(seen.confirmation).toContain(`Approved by ${APPROVER}`);
    expect(seen.decided).toMatchObject({ status: 'approved', reason: REASON });
    // Virtual time stood still while the page was open: answered at the moment it was asked.
    expect(Date.parse(seen.decided!.decidedAt!) - Date.parse(seen.pending!.createdAt)).toBeLessThan(1000);
    expect(seen.decided!.approver).toMatch(new RegExp(`^${APPROVER} via signed link \\(source IP 127\\.0\\.0\\.1, user agent .*Chrom`));

    expect(report!.outcome).toBe('failed-back');
    expect(report!.writer).toBe(report!.roles?.primary);
    expect(report!.writer).toBe('orders-primary');
    expect(
      report!.invariants.every((i) => i.held),
      JSON.stringify(report!.invariants.filter((i) => !i.held)),
    ).toBe(true);
    expect(
      report!.expectations.every((x) => x.held),
      JSON.stringify(report!.expectations.filter((x) => !x.held)),
    ).toBe(true);
    const approvedLine = report!.timeline.find((e) => e.source === 'workflow' && e.event.includes(`approved by ${APPROVER}`));
    expect(approvedLine, 'the incident records who approved').toBeDefined();
    expect(report!.timeline.some((e) => e.source === 'operator' && e.event.includes('approval page serves the failback approval'))).toBe(true);
  });

  it('a GET shows the page and approves nothing', () => {
    if (setupError) throw setupError;
    expect(seen.get?.status).toBe(200);
    expect(seen.get?.text).toContain('Approve');
    expect(seen.afterGet).toEqual(seen.pending);
    expect(seen.afterGet?.status).toBe('pending');
  });

  it('refuses a forged signature, a foreign id and an expired link with a clear message, changing nothing', () => {
    if (setupError) throw setupError;
    expect(seen.forged).toMatchObject({ status: 403 });
    expect(seen.forged!.text).toContain('This approval link is not valid');
    expect(seen.afterForged).toEqual(seen.pending);

    expect(seen.foreign).toMatchObject({ status: 404 });
    expect(seen.foreign!.text).toContain('No such approval');
    expect(seen.afterForeign).toEqual(seen.pending);

    expect(seen.expired).toMatchObject({ status: 410 });
    expect(seen.expired!.text).toContain('This approval link has expired');
    expect(seen.afterExpired).toEqual(seen.pending);
    for (const a of [seen.forged, seen.foreign, seen.expired]) expect(a!.text).toContain('Nothing was changed');
  });

  it('refuses a replayed POST (the approval is single use), changing nothing', () => {
    if (setupError) throw setupError;
    expect(seen.replay).toMatchObject({ status: 409 });
    expect(seen.replay!.text).toContain('This approval was already answered');
    expect(seen.replay!.text).toContain(`approved by ${APPROVER}`);
    expect(seen.afterReplay).toEqual(seen.decided);
  });
});
