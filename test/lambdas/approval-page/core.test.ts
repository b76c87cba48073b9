/**
 * The approval page's security, on the pure core with injected dependencies: GET never acts; only
 * a POST with a valid link, a matching cookie and anti-forgery token, a decision and a name acts,
 * once; forged, altered, foreign, expired and replayed links and forms are refused with a clear
 * page and change nothing; every response carries the security headers.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import {
  approverIdentity,
  cookieValue,
  CSRF_COOKIE,
  escapeHtml,
  fromFunctionUrlEvent,
  serveApproval,
  STYLE_HASH,
  type PageDeps,
  type PageRequest,
} from '../../../lambdas/approval-page/core.js';
import { formToken, signApprovalLink } from '../../../lambdas/shared/approval-links.js';
import type { ApprovalView } from '../../../lambdas/shared/approvals.js';
import { ApprovalRefusedError } from '../../../lambdas/shared/errors.js';

const KEY = new Uint8Array(32).fill(9);
const OTHER_KEY = new Uint8Array(32).fill(8);
const ID = 'Q'.repeat(43);
const NOW = new Date('2026-04-02T08:00:00.000Z');
const EXPIRES = '2026-04-03T08:00:00.000Z';
const EXP = Date.parse(EXPIRES) / 1000;
const NONCE = 'n'.repeat(22);

const view = (over: Partial<ApprovalView> = {}): ApprovalView => ({
  id: ID,
  database: 'orders',
  incidentId: 'inc-1-failback',
  step: 'failback',
  decision: 'fail-back',
  reasons: ['The original site caught up and stayed healthy'],
  createdAt: '2026-04-02T07:00:00.000Z',
  expiresAt: EXPIRES,
  status: 'pending',
  facts: { lagSeconds: 1, healthySince: '2026-04-02T06:00:00.000Z', note: '<script>alert(1)</script>' },
  effects: { approve: 'writes move back to orders-primary', reject: 'orders-replica keeps serving', timeout: 'nothing changes' },
  ...over,
});

function deps(over: Partial<PageDeps> & { record?: ApprovalView | null } = {}) {
  const record = over.record === undefined ? view() : over.record;
  const decide = vi.fn(async () => ({ decidedAt: NOW.toISOString() }));
  const getApproval = vi.fn(async () => record);
  return { key: KEY, now: NOW, newNonce: () => NONCE, getApproval, decide, ...over } as PageDeps & { decide: typeof decide; getApproval: typeof getApproval };
}

const link = (o: { id?: string; exp?: number; key?: Uint8Array } = {}) => {
  const id = o.id ?? ID;
  const exp = o.exp ?? EXP;
  return { id, exp: String(exp), sig: signApprovalLink(o.key ?? KEY, id, exp) };
};
const get = (query: PageRequest['query'] = link()): PageRequest => ({
  method: 'GET',
  query,
  headers: {},
  cookies: [],
  sourceIp: '203.0.113.9',
  userAgent: 'Mozilla/5.0 test',
});
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const post = (
  fields: Record<string, string> = {},
  o: { cookie?: string | null; type?: string; query?: PageRequest['query']; body?: string } = {},
): PageRequest => ({
  method: 'POST',
  query: o.query ?? link(),
  headers: { 'content-type': o.type ?? 'application/x-www-form-urlencoded' },
  cookies: o.cookie === null ? [] : [`${CSRF_COOKIE}=${o.cookie ?? NONCE}`],
  body: o.body ?? form({ nonce: NONCE, token: formToken(KEY, ID, NONCE), decision: 'approve', name: 'Alice Ops', reason: 'window is clean', ...fields }),
  sourceIp: '203.0.113.9',
  userAgent: 'Mozilla/5.0 test',
});

const HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
};

describe('GET shows and never acts', () => {
  it('renders what happened, what will happen, lag and stability, who asks, and a form with a fresh anti-forgery token and a SameSite=Strict cookie', async () => {
    const d = deps();
    const res = await serveApproval(get(), d);
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject(HEADERS);
    expect(res.body).toContain('a human decision is needed to fail back to the original site');
    for (const text of [
      'inc-1-failback',
      'the failback workflow of incident inc-1-failback',
      'lagSeconds',
      'healthySince',
      'writes move back to orders-primary',
      'orders-replica keeps serving',
      'Opening this page changed nothing',
    ]) {
      expect(res.body).toContain(text);
    }
    expect(res.body).toContain(`name="token" value="${formToken(KEY, ID, NONCE)}"`);
    expect(res.body).toContain('<form method="post">');
    expect(res.body).not.toMatch(/<script/i);
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.cookies).toEqual([`${CSRF_COOKIE}=${NONCE}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=3600`]);
    expect(d.decide).not.toHaveBeenCalled();
  });

  it('a GET carrying decision parameters (a mail scanner, a crafted link) still acts on nothing', async () => {
    const d = deps();
    const res = await serveApproval(get({ ...link(), decision: 'approve', name: 'scanner' }), d);
    expect(res.statusCode).toBe(200);
    expect(d.decide).not.toHaveBeenCalled();
  });

  it('the CSP allows one hashed inline style and nothing else (no scripts, no framing, form posts only to itself)', async () => {
    const res = await serveApproval(get(), deps());
    const csp = res.headers['Content-Security-Policy']!;
    expect(csp).toBe(`default-src 'none'; style-src ${STYLE_HASH}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`);
    const style = /<style>([\s\S]*?)<\/style>/.exec(res.body)![1]!;
    expect(STYLE_HASH).toBe(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  });
});

describe('refusals change nothing and say why', () => {
  const cases: Array<[string, () => PageRequest, Partial<PageDeps> & { record?: ApprovalView | null }, number, RegExp]> = [
    ['a forged signature', () => get({ ...link(), sig: 'A'.repeat(43) }), {}, 403, /not valid/],
    ['an altered expiry (longer life)', () => get({ ...link(), exp: String(EXP + 86400) }), {}, 403, /not valid/],
    ['a link of another deployment (another key): foreign', () => get(link({ key: OTHER_KEY })), {}, 403, /another deployment/],
    ['an unknown id with a valid signature', () => get(link({ id: 'Z'.repeat(43) })), { record: null }, 404, /No such approval/],
    ['an expired link', () => get(link({ exp: Date.parse('2026-04-01T00:00:00Z') / 1000 })), {}, 410, /expired/],
    ['a link whose expiry does not match the approval', () => get(link({ exp: EXP - 60 })), {}, 403, /does not match/],
    [
      'an approval already answered (replay)',
      () => get(),
      { record: view({ status: 'approved', approver: 'Bob via signed link', decidedAt: '2026-04-02T07:30:00.000Z' }) },
      409,
      /already answered[\s\S]*approved by Bob via signed link/,
    ],
    ['an approval expired server-side', () => get(), { record: view({ status: 'expired' }) }, 410, /expired/],
    ['a missing parameter', () => get({ id: ID, exp: String(EXP) }), {}, 400, /Incomplete/],
    ['a malformed id', () => get({ ...link(), id: 'bad id' }), {}, 400, /Malformed/],
    ['a repeated parameter', () => get({ ...link(), id: [ID, ID] }), {}, 400, /repeats/],
    ['PUT', () => ({ ...get(), method: 'PUT' }), {}, 405, /Method not allowed/],
    ['DELETE', () => ({ ...get(), method: 'DELETE' }), {}, 405, /Method not allowed/],
    ['POST without the cookie', () => post({}, { cookie: null }), {}, 403, /could not be verified/],
    ['POST whose cookie is from another render', () => post({}, { cookie: 'm'.repeat(22) }), {}, 403, /could not be verified/],
    ['POST with a forged token', () => post({ token: formToken(OTHER_KEY, ID, NONCE) }), {}, 403, /could not be verified/],
    ['POST with a token for another approval', () => post({ token: formToken(KEY, 'R'.repeat(43), NONCE) }), {}, 403, /could not be verified/],
    ['POST with a forged link', () => post({}, { query: { ...link(), sig: 'B'.repeat(43) } }), {}, 403, /not valid/],
    ['POST as JSON', () => post({}, { type: 'application/json', body: '{"decision":"approve"}' }), {}, 415, /Unsupported/],
    ['POST of 5 KB', () => post({ reason: 'x'.repeat(5000) }), {}, 413, /too large/],
    [
      'POST with a field twice',
      () => post({}, { body: `${form({ nonce: NONCE, token: formToken(KEY, ID, NONCE), decision: 'approve', name: 'A' })}&decision=reject` }),
      {},
      400,
      /sent twice/,
    ],
    ['POST without a decision', () => post({ decision: 'maybe' }), {}, 400, /Press Approve or Reject/],
    ['POST without a name', () => post({ name: '   ' }), {}, 400, /name is required/],
    ['a rejection without a reason', () => post({ decision: 'reject', reason: '' }), {}, 400, /reason is required to reject/],
    [
      'POST after the approval was answered (replay of the form)',
      () => post(),
      { record: view({ status: 'rejected', approver: 'Carol' }) },
      409,
      /already answered/,
    ],
  ];
  it.each(cases)('%s: %i', async (_label, req, over, status, text) => {
    const d = deps(over);
    const res = await serveApproval(req(), d);
    expect(res.statusCode).toBe(status);
    expect(res.body).toMatch(text);
    expect(res.body).toContain('Nothing was changed.');
    expect(res.headers).toMatchObject(HEADERS);
    expect(d.decide).not.toHaveBeenCalled();
    if (status === 405) expect(res.headers.Allow).toBe('GET, POST');
  });

  it('a forged or foreign link is refused before anything is read', async () => {
    const d = deps();
    await serveApproval(get(link({ key: OTHER_KEY })), d);
    expect(d.getApproval).not.toHaveBeenCalled();
  });
});

describe('POST acts once', () => {
  it('approves with the typed name, "via signed link", the source IP and user agent, then clears the cookie', async () => {
    const d = deps();
    const res = await serveApproval(post(), d);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Approved by Alice Ops');
    expect(d.decide).toHaveBeenCalledExactlyOnceWith({
      approvalId: ID,
      decision: 'approve',
      approver: 'Alice Ops via signed link (source IP 203.0.113.9, user agent Mozilla/5.0 test)',
      reason: 'window is clean',
    });
    expect(res.cookies[0]).toMatch(new RegExp(`^${CSRF_COOKIE}=; .*Max-Age=0$`));
  });

  it('rejects with the reason', async () => {
    const d = deps();
    await serveApproval(post({ decision: 'reject', reason: 'not tonight' }), d);
    expect(d.decide).toHaveBeenCalledWith(expect.objectContaining({ decision: 'reject', reason: 'not tonight' }));
  });

  it('a second answer losing the race is refused by decideApproval and shown as already answered', async () => {
    const d = deps({
      decide: vi.fn(async () => {
        throw new ApprovalRefusedError('already-decided', 'Approval x was already answered (approved by Bob).');
      }),
    });
    const res = await serveApproval(post(), d);
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('already answered (approved by Bob)');
  });

  it('a failure of the approval service decides nothing and says to try again', async () => {
    const d = deps({ decide: vi.fn(async () => Promise.reject(new Error('SendTaskSuccess failed'))) });
    const res = await serveApproval(post(), d);
    expect(res.statusCode).toBe(503);
    expect(res.body).toMatch(/Nothing was decided/);
  });
});

describe('helpers', () => {
  it('escapes HTML', () => expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;'));
  it('reads one cookie (a cookie given twice counts as missing)', () => {
    expect(cookieValue(['a=1; b=2'], 'b')).toBe('2');
    expect(cookieValue(['b=1', 'b=2'], 'b')).toBeUndefined();
  });
  it('the approver identity has no control characters and a bounded user agent', () => {
    expect(approverIdentity('Eve\nAdmin', { sourceIp: '198.51.100.1', userAgent: 'x'.repeat(500) })).toBe(
      `Eve Admin via signed link (source IP 198.51.100.1, user agent ${'x'.repeat(200)})`,
    );
  });
  it('reads a function URL event: method, repeated query parameters, cookies, a base64 body', () => {
    const req = fromFunctionUrlEvent({
      requestContext: { http: { method: 'POST', sourceIp: '203.0.113.1', userAgent: 'ua' } },
      rawQueryString: 'id=a&id=b&exp=1',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      cookies: ['k=v'],
      body: Buffer.from('name=A').toString('base64'),
      isBase64Encoded: true,
    });
    expect(req).toEqual({
      method: 'POST',
      query: { id: ['a', 'b'], exp: '1' },
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      cookies: ['k=v'],
      body: 'name=A',
      sourceIp: '203.0.113.1',
      userAgent: 'ua',
    });
  });
});
