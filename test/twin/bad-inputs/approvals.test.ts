/**
 * Approval abuse against the deployed app in the cloud twin: the REAL approval-page function (its
 * function URL events run by the twin's Lambda runtime, as its role, with the stack's signing
 * secret) and the CLI's path (lambdas/shared/approvals.ts `decideApproval`, what `failover approve`
 * and `failover reject` call), on a real pending approval of a failover run in manual mode. Each
 * abuse is refused with a clear message and the right status, and the approval record (task token
 * included), the run's open task tokens and the run itself are compared before and after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageResponse } from '../../../lambdas/approval-page/core.js';
import { approvalLink, signApprovalLink } from '../../../lambdas/shared/approval-links.js';
import { decideApproval, listPendingApprovals, type ApprovalSummary } from '../../../lambdas/shared/approvals.js';
import type { FailoverConfig } from '../../../lambdas/shared/config-schema.js';
import type { DeployedFunction } from '../../../twin/drill/lambda-runtime.js';
import type { ExecutionRecord } from '../../../twin/drill/sfn-runtime.js';
import { resolveConfig } from '../../../twin/scenario/index.js';
import { TwinApp } from './world.js';

const PAGE_URL = 'https://approve.example.test/';

/** The example config with failover mode manual: a confirmed failure waits for a human. */
function manualConfig(): FailoverConfig {
  const config = structuredClone(resolveConfig().config);
  config.databases[0]!.failover.mode = 'manual';
  return config;
}

interface Req {
  method?: string;
  query?: string;
  headers?: Record<string, string>;
  cookies?: string[];
  body?: string;
}

describe('approval abuse on a real pending approval (page function and CLI path)', () => {
  let twin: TwinApp;
  let page: DeployedFunction;
  let approval: ApprovalSummary;
  let run: ExecutionRecord;

  const call = async (r: Req): Promise<PageResponse> =>
    (await twin.deployment.lambdas.run(page, {
      requestContext: { http: { method: r.method ?? 'GET', sourceIp: '203.0.113.7', userAgent: 'abuse-test' } },
      rawQueryString: r.query ?? '',
      headers: r.headers ?? {},
      cookies: r.cookies ?? [],
      ...(r.body === undefined ? {} : { body: r.body, isBase64Encoded: false }),
    })) as PageResponse;
  const queryOf = (id: string, expiresAt: Date, key = twin.signingKey!) => new URL(approvalLink(PAGE_URL, key, id, expiresAt)).search.slice(1);
  const validQuery = () => queryOf(approval.id, new Date(approval.expiresAt));
  /** GET the page: the anti-forgery cookie and the form's hidden fields. */
  const form = async () => {
    const res = await call({ query: validQuery() });
    expect(res.statusCode).toBe(200);
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(res.body)![1]!;
    return { cookie: res.cookies[0]!.split(';')[0]!, nonce: field('nonce'), token: field('token') };
  };
  const post = async (fields: Record<string, string>, o: { type?: string; cookie?: string | null; body?: string } = {}) => {
    const f = await form();
    const body = o.body ?? new URLSearchParams({ nonce: f.nonce, token: f.token, ...fields }).toString();
    return call({
      method: 'POST',
      query: validQuery(),
      headers: { 'content-type': o.type ?? 'application/x-www-form-urlencoded' },
      cookies: o.cookie === null ? [] : [o.cookie ?? f.cookie],
      body,
    });
  };
  /** The approval as stored (token included), the run's open tokens, the run's status and the instances. */
  const snapshot = async () => {
    const s = await twin.state();
    return {
      record: s.items.find((i) => JSON.stringify(i.pk) === JSON.stringify({ S: `APPROVAL#${approval.id}` })),
      openTokens: twin.deployment.sfn.openTokensOf(run.arn),
      status: run.status,
      promotions: s.promotions,
      records: s.records,
      items: s.items.length,
    };
  };

  beforeAll(async () => {
    twin = await TwinApp.start(manualConfig(), { pageUrl: PAGE_URL });
    page = twin.deployment.lambdas.all().find((f) => f.fn.folder === 'approval-page' && f.fn.region === twin.controlRegion)!;
    await twin.runFor(120_000);
    twin.world.crashInstance('orders-primary', 'us-east-1');
    const deps = twin.approvalDeps();
    for (let i = 0; i < 90; i++) {
      await twin.runFor(10_000);
      const pending = await twin.asOperator(() => listPendingApprovals(deps, 'orders', { now: new Date(twin.world.clock.now()) }));
      if (pending.length) {
        approval = pending[0]!;
        break;
      }
    }
    expect(approval).toBeDefined();
    run = twin.deployment.sfn.executions.find((e) => e.status === 'RUNNING' && e.stateMachine === 'failover')!;
    expect(twin.deployment.sfn.openTokensOf(run.arn)).toHaveLength(1);
  }, 180_000);
  afterAll(() => twin?.close());

  const pageRefusals: Array<[string, () => Promise<PageResponse>, number, RegExp]> = [
    ['a link without its parameters (missing id)', () => call({ query: '' }), 400, /Incomplete/],
    ['a forged signature', () => call({ query: validQuery().replace(/sig=[^&]+/, `sig=${'A'.repeat(43)}`) }), 403, /not valid/],
    [
      'a link signed by another deployment (foreign key)',
      () => call({ query: queryOf(approval.id, new Date(approval.expiresAt), new Uint8Array(32).fill(7)) }),
      403,
      /another deployment|not valid/,
    ],
    ['an expired link', () => call({ query: queryOf(approval.id, new Date(twin.world.clock.now() - 60_000)) }), 410, /expired/],
    ['an unknown (foreign) id with a valid signature', () => call({ query: queryOf('Z'.repeat(43), new Date(approval.expiresAt)) }), 404, /No such approval/],
    [
      "a validly signed link whose expiry is not the approval's",
      () => call({ query: queryOf(approval.id, new Date(Date.parse(approval.expiresAt) + 86_400_000)) }),
      403,
      /does not match/,
    ],
    ['a malformed id', () => call({ query: `id=..%2F..&exp=1&sig=${signApprovalLink(twin.signingKey!, '../..', 1)}` }), 400, /Malformed/],
    ['PUT', () => call({ method: 'PUT', query: validQuery() }), 405, /Method not allowed/],
    ['POST without the anti-forgery cookie', () => post({ decision: 'approve', name: 'Mallory' }, { cookie: null }), 403, /could not be verified/],
    [
      'POST as JSON (wrong content type)',
      () => post({}, { type: 'application/json', body: JSON.stringify({ decision: 'approve', name: 'Mallory' }) }),
      415,
      /Unsupported/,
    ],
    ['POST as text/plain (not a form)', () => post({}, { type: 'text/plain', body: 'decision=approve&name=Mallory' }), 415, /Unsupported/],
    ['POST of 5 KB (oversized)', () => post({ decision: 'approve', name: 'Mallory', reason: 'x'.repeat(5000) }), 413, /too large/],
    ['POST without a decision', () => post({ decision: 'maybe', name: 'Mallory' }), 400, /Press Approve or Reject/],
  ];
  it.each(pageRefusals)('the page refuses %s: the right status, a clear page, nothing changed', async (_label, request, status, text) => {
    const before = await snapshot();
    const res = await request();
    expect(res.statusCode).toBe(status);
    expect(res.body).toMatch(text);
    expect(res.body).toContain('Nothing was changed.');
    expect(res.headers).toMatchObject({ 'Cache-Control': 'no-store', 'X-Frame-Options': 'DENY' });
    expect(await snapshot()).toEqual(before);
    expect(before.record).toMatchObject({ status: { S: 'pending' }, taskToken: { S: before.openTokens[0] } });
  });

  it('a GET carrying decision parameters (a mail scanner) shows the page and acts on nothing; the page never shows the token', async () => {
    const before = await snapshot();
    const res = await call({ query: `${validQuery()}&decision=approve&name=scanner` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Opening this page changed nothing');
    expect(res.body).not.toContain(before.openTokens[0]);
    expect(await snapshot()).toEqual(before);
  });

  it('the task token appears only in the approval record: not in notifications, product events or function logs of the run', async () => {
    const token = twin.deployment.sfn.openTokensOf(run.arn)[0]!;
    expect(token.length).toBeGreaterThan(10);
    const notifications = JSON.stringify(twin.world.sns.published);
    expect(notifications).toContain(approval.id); // the notification names the approval (and carries the signed link)
    expect(notifications).toContain(PAGE_URL);
    expect(notifications).not.toContain(token);
    expect(JSON.stringify(twin.world.events.log.map((e) => e.event))).not.toContain(token);
    // What the run's steps returned (kept in the execution history) never carries it either.
    expect(JSON.stringify(run.steps.map((s) => s.output ?? null))).not.toContain(token);
  });

  it.each([
    ['an unknown id', { approvalId: 'Z'.repeat(43), decision: 'approve' as const, approver: 'mallory' }, /does not exist/],
    ['an empty id', { approvalId: '  ', decision: 'approve' as const, approver: 'mallory' }, /does not exist/],
    ['no approver identity', { approvalId: '', decision: 'approve' as const, approver: ' ' }, /approver identity is required/],
    [
      'a decision that is neither approve nor reject',
      { approvalId: '', decision: 'maybe' as 'approve', approver: 'mallory' },
      /decision must be "approve" or "reject"/,
    ],
  ])('the CLI path refuses %s: nothing changed', async (_label, req, text) => {
    const before = await snapshot();
    const answer = twin.asOperator(() =>
      decideApproval(twin.approvalDeps(), { ...req, approvalId: req.approvalId || approval.id, now: new Date(twin.world.clock.now()) }),
    );
    await expect(answer).rejects.toThrow(text);
    expect(await snapshot()).toEqual(before);
  });

  it('one decision is taken; a replayed form, a replayed link and a second decision by the CLI are refused and change nothing', async () => {
    const f = await form();
    const approve: Req = {
      method: 'POST',
      query: validQuery(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      cookies: [f.cookie],
      body: new URLSearchParams({ nonce: f.nonce, token: f.token, decision: 'approve', name: 'Alice Ops', reason: 'confirmed down' }).toString(),
    };
    const res = await call(approve);
    expect(res.statusCode).toBe(200);
    const decided = await snapshot();
    expect(decided.record).toMatchObject({ status: { S: 'approved' } });
    expect(decided.record?.taskToken).toBeUndefined();
    expect(decided.openTokens).toEqual([]);
    expect(run.approvals[0]).toMatchObject({ answer: 'approve' });

    const replayedLink = await call({ query: validQuery() });
    expect(replayedLink.statusCode).toBe(409);
    expect(replayedLink.body).toMatch(/already answered[\s\S]*approved by Alice Ops via signed link/);
    // The very same POST again (cookie, nonce and token still valid), and the same form turned into a rejection.
    for (const replay of [approve, { ...approve, body: approve.body!.replace('decision=approve', 'decision=reject') }]) {
      const out = await call(replay);
      expect(out.statusCode).toBe(409);
      expect(out.body).toMatch(/already answered/);
      expect(out.body).toContain('Nothing was changed.');
    }
    const second = twin.asOperator(() =>
      decideApproval(twin.approvalDeps(), {
        approvalId: approval.id,
        decision: 'reject',
        approver: 'mallory',
        reason: 'undo',
        now: new Date(twin.world.clock.now()),
      }),
    );
    await expect(second).rejects.toMatchObject({
      name: 'ApprovalRefusedError',
      why: 'already-decided',
      message: expect.stringMatching(/already answered \(approved by Alice Ops via signed link/),
    });
    // The approved run goes on by itself (fence, promote...); the approval and its token stay as decided.
    const after = await snapshot();
    expect(after.record).toEqual(decided.record);
    expect(after.openTokens).toEqual([]);
    expect(run.approvals).toHaveLength(1);
    expect(run.approvals[0]).toMatchObject({ answer: 'approve', approver: expect.stringContaining('Alice Ops') });
  });
});
