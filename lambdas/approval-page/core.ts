/**
 * The approval page, as a pure core: request validation, rendering and the decision flow, with
 * every outside effect injected ({@link PageDeps}), so the Lambda function URL handler and the
 * cloud twin (serving it on localhost for a browser test) run exactly this code.
 *
 * Rules (docs/design.md safety rule 8):
 * - GET never acts. It checks the signed link (HMAC over id and expiry), shows what happened and
 *   what each answer does, and renders a form with a per-render nonce: the nonce goes into a
 *   `SameSite=Strict` cookie and the form carries HMAC(id, nonce) as its anti-forgery token.
 * - Only a POST acts, and only when the link's signature, the expiry, the cookie, the token, the
 *   decision and the approver's name all check out. The answer then goes through
 *   `decideApproval` (single use: a conditional write), which refuses expired, answered and
 *   unknown approvals without changing anything.
 * - Every refusal is a clear page with the right status and changes nothing. Every response has
 *   strict security headers; no script runs (the CSP allows one hashed inline style and nothing
 *   else).
 */
import { createHash } from 'node:crypto';
import type { ApprovalView } from '../shared/approvals.js';
import { APPROVAL_ID_PATTERN, formToken, MAC_PATTERN, NONCE_PATTERN, sameMac, verifyApprovalLink, verifyFormToken } from '../shared/approval-links.js';
import type { ApprovalRefusal } from '../shared/errors.js';

/** The request as the page sees it (built from a function URL event, or by the twin's server). */
export interface PageRequest {
  method: string;
  /** Query string parameters; a parameter given twice is an array. */
  query: Record<string, string | string[] | undefined>;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /** `name=value` pairs from the Cookie header(s). */
  cookies: string[];
  /** The body, decoded (undefined: none). */
  body?: string;
  sourceIp: string;
  userAgent: string;
}

export interface PageResponse {
  statusCode: number;
  headers: Record<string, string>;
  /** Set-Cookie values. */
  cookies: string[];
  body: string;
}

/** What the page needs from the world. */
export interface PageDeps {
  /** The approval signing key (Secrets Manager). */
  key: Uint8Array;
  now: Date;
  /** 16 random bytes, base64url (22 characters). */
  newNonce(): string;
  /** The approval, never its task token; null when unknown. */
  getApproval(id: string): Promise<ApprovalView | null>;
  /**
   * Answers the approval once (decideApproval). Throws an error with `why` (ApprovalRefusedError)
   * when refused; any other error means nothing was decided.
   */
  decide(request: { approvalId: string; decision: 'approve' | 'reject'; approver: string; reason: string }): Promise<{ decidedAt: string }>;
}

/** Largest POST body accepted (the form is a few hundred bytes). */
export const MAX_BODY_BYTES = 4096;
export const MAX_NAME_LENGTH = 100;
export const MAX_REASON_LENGTH = 1000;
/** The anti-forgery cookie (`__Host-`: Secure, Path=/, no Domain). */
export const CSRF_COOKIE = '__Host-rds-failover-approval';
/** The form stays valid at most this long after it was rendered (and never past the approval's expiry). */
export const FORM_MAX_AGE_SECONDS = 3600;

const STYLE = [
  'body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1b1f24;line-height:1.45}',
  'h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}',
  'table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}th{width:30%;font-weight:600}',
  '.box{border:1px solid #d0d7de;border-radius:6px;padding:.8rem 1rem;margin:1rem 0}.warn{background:#fff8c5}.ok{background:#dafbe1}.bad{background:#ffebe9}',
  'label{display:block;margin-top:.8rem;font-weight:600}input[type=text],textarea{width:100%;box-sizing:border-box;padding:.4rem;font:inherit}',
  'button{margin:1rem .6rem 0 0;padding:.5rem 1.2rem;font:inherit;border-radius:6px;border:1px solid #1b1f24;cursor:pointer}',
  '.approve{background:#1a7f37;color:#fff}.reject{background:#cf222e;color:#fff}code{font-size:.9em}',
].join('');

/** The CSP source of the one inline style. */
export const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/** Headers on every response. */
export function securityHeaders(): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': `default-src 'none'; style-src ${STYLE_HASH}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
  };
}

/** HTML-escapes text for element content and attribute values. */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const page = (title: string, inner: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
  `<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex,nofollow"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>` +
  `<body>${inner}</body></html>`;

function respond(statusCode: number, body: string, extra: { headers?: Record<string, string>; cookies?: string[] } = {}): PageResponse {
  return { statusCode, headers: { ...securityHeaders(), ...extra.headers }, cookies: extra.cookies ?? [], body };
}

/** A refusal or outcome page: nothing else on it, nothing changed by it. */
export function messagePage(
  statusCode: number,
  title: string,
  text: string,
  tone: 'warn' | 'bad' | 'ok' = 'bad',
  extra: { headers?: Record<string, string>; cookies?: string[] } = {},
): PageResponse {
  const unchanged = tone === 'ok' ? '' : '<p>Nothing was changed.</p>';
  return respond(statusCode, page(title, `<h1>${escapeHtml(title)}</h1><div class="box ${tone}"><p>${escapeHtml(text)}</p>${unchanged}</div>`), extra);
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? undefined : v);

/** The signed link's parameters, checked (signature before anything is read). */
export type LinkCheck = { ok: true; id: string; exp: number } | { ok: false; response: PageResponse };

export function checkLink(query: PageRequest['query'], key: Uint8Array, now: Date): LinkCheck {
  const id = first(query.id);
  const exp = first(query.exp);
  const sig = first(query.sig);
  const refuse = (status: number, title: string, text: string): LinkCheck => ({ ok: false, response: messagePage(status, title, text) });
  if ([query.id, query.exp, query.sig].some(Array.isArray))
    return refuse(400, 'Malformed approval link', 'The link repeats a parameter. Open the link from the notification exactly as sent.');
  if (!id || !exp || !sig)
    return refuse(400, 'Incomplete approval link', 'The link lacks its id, expiry or signature. Open the link from the notification exactly as sent.');
  if (!APPROVAL_ID_PATTERN.test(id) || !/^\d{1,12}$/.test(exp) || !MAC_PATTERN.test(sig)) {
    return refuse(
      400,
      'Malformed approval link',
      'The link is damaged (some mail programs break long links). Open it from the notification again, or answer with the CLI.',
    );
  }
  const expSeconds = Number(exp);
  if (!verifyApprovalLink(key, id, expSeconds, sig)) {
    return refuse(403, 'This approval link is not valid', 'Its signature does not match: the link was altered, forged, or belongs to another deployment.');
  }
  if (expSeconds * 1000 <= now.getTime()) {
    return refuse(
      410,
      'This approval link has expired',
      `It expired at ${new Date(expSeconds * 1000).toISOString()}. The workflow no longer waits for this answer.`,
    );
  }
  return { ok: true, id, exp: expSeconds };
}

const why: Record<ApprovalRefusal, [number, string]> = {
  'not-found': [404, 'No such approval'],
  expired: [410, 'This approval has expired'],
  'already-decided': [409, 'This approval was already answered'],
};

/** The page for an approval that cannot be answered (or null when it is pending and matches the link). */
function stateRefusal(view: ApprovalView | null, exp: number, now: Date): PageResponse | null {
  if (!view)
    return messagePage(404, why['not-found'][1], 'This deployment has no approval with this id (it may belong to another deployment, or was removed).');
  if (Math.floor(Date.parse(view.expiresAt) / 1000) !== exp)
    return messagePage(403, 'This approval link is not valid', 'The link does not match this approval.');
  if (view.status === 'approved' || view.status === 'rejected') {
    return messagePage(
      409,
      why['already-decided'][1],
      `It was ${view.status}${view.approver ? ` by ${view.approver}` : ''}${view.decidedAt ? ` at ${view.decidedAt}` : ''}. An approval can be used once.`,
      'warn',
    );
  }
  if (view.status !== 'pending' || !(view.expiresAt > now.toISOString())) {
    return messagePage(410, why.expired[1], `The workflow no longer waits for it (deadline ${view.expiresAt}).`);
  }
  return null;
}

const DECISION_WORDS: Record<string, string> = {
  promote: 'fail over (promote the standby)',
  'promote-unfenced': 'fail over WITHOUT a confirmed fence of the old primary',
  'accept-data-loss': 'fail over accepting data loss',
  'fail-back': 'fail back to the original site',
};

const factValue = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** The approval page with its form (a fresh nonce each render). */
export function renderApproval(view: ApprovalView, token: string, nonce: string): string {
  const asked = DECISION_WORDS[view.decision] ?? view.decision;
  const rows = (pairs: Array<[string, string]>) => pairs.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');
  const facts = Object.entries(view.facts ?? {});
  const effects = view.effects;
  return page(
    `Approve or reject: ${view.database} ${view.step}`,
    [
      `<h1>${escapeHtml(view.database)}: a human decision is needed to ${escapeHtml(asked)}</h1>`,
      `<div class="box warn"><p>Opening this page changed nothing. Only the Approve or Reject button below acts, once.</p></div>`,
      '<h2>What happened</h2>',
      `<table>${rows([
        ['Database', view.database],
        ['Incident', view.incidentId],
        ['Workflow step', view.step],
        ['Who asks', `the ${view.step} workflow of incident ${view.incidentId}`],
        ['Asked at', view.createdAt],
        ['Answer before', view.expiresAt],
      ])}</table>`,
      '<h2>Why you are asked</h2>',
      `<ul>${view.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>`,
      ...(facts.length ? ['<h2>Facts (lag, stability, status)</h2>', `<table>${rows(facts.map(([k, v]) => [k, factValue(v)]))}</table>`] : []),
      '<h2>What will happen</h2>',
      effects
        ? `<table>${rows([
            ['If you approve', effects.approve],
            ['If you reject', effects.reject],
            ['If nobody answers', effects.timeout],
          ])}</table>`
        : `<p>Approve: the workflow goes on to ${escapeHtml(asked)}. Reject: it does not.</p>`,
      '<h2>Your answer</h2>',
      '<form method="post">',
      `<input type="hidden" name="nonce" value="${escapeHtml(nonce)}"><input type="hidden" name="token" value="${escapeHtml(token)}">`,
      `<label for="name">Your name (recorded in the incident)</label><input type="text" id="name" name="name" required maxlength="${MAX_NAME_LENGTH}" autocomplete="name">`,
      `<label for="reason">Reason (required to reject)</label><textarea id="reason" name="reason" rows="3" maxlength="${MAX_REASON_LENGTH}"></textarea>`,
      '<button type="submit" name="decision" value="approve" class="approve">Approve</button>',
      '<button type="submit" name="decision" value="reject" class="reject">Reject</button>',
      '</form>',
      `<p>Or with the CLI: <code>failover approve ${escapeHtml(view.id)}</code> / <code>failover reject ${escapeHtml(view.id)} --reason "…"</code></p>`,
    ].join(''),
  );
}

/** Parses an application/x-www-form-urlencoded body; null when a field repeats. */
export function parseForm(body: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    if (Object.prototype.hasOwnProperty.call(out, k)) return null;
    out[k] = v;
  }
  return out;
}

/** The value of a cookie, or undefined (a cookie given twice counts as missing). */
export function cookieValue(cookies: readonly string[], name: string): string | undefined {
  const values = cookies
    .flatMap((c) => c.split(';'))
    .map((c) => c.trim())
    .filter((c) => c.startsWith(`${name}=`))
    .map((c) => c.slice(name.length + 1));
  return values.length === 1 ? values[0] : undefined;
}

/** A printable, single-line name: no control characters. */
const cleanText = (text: string): string =>
  text
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** The approver as recorded: the typed name, how, and from where. */
export const approverIdentity = (name: string, req: Pick<PageRequest, 'sourceIp' | 'userAgent'>): string =>
  `${cleanText(name)} via signed link (source IP ${cleanText(req.sourceIp) || 'unknown'}, user agent ${cleanText(req.userAgent).slice(0, 200) || 'unknown'})`;

/** Serves one request of the approval page. */
export async function serveApproval(req: PageRequest, deps: PageDeps): Promise<PageResponse> {
  const method = req.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST') {
    return messagePage(405, 'Method not allowed', 'This page answers GET (to show an approval) and POST (its form) only.', 'bad', {
      headers: { Allow: 'GET, POST' },
    });
  }
  const link = checkLink(req.query, deps.key, deps.now);
  if (!link.ok) return link.response;

  if (method === 'GET') {
    const view = await deps.getApproval(link.id);
    const refused = stateRefusal(view, link.exp, deps.now);
    if (refused) return refused;
    const nonce = deps.newNonce();
    const maxAge = Math.max(1, Math.min(FORM_MAX_AGE_SECONDS, link.exp - Math.floor(deps.now.getTime() / 1000)));
    return respond(200, renderApproval(view!, formToken(deps.key, link.id, nonce), nonce), {
      cookies: [`${CSRF_COOKIE}=${nonce}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`],
    });
  }

  // POST: the form, and nothing else.
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return messagePage(415, 'Unsupported request', 'Answer with the form on the approval page.');
  const body = req.body ?? '';
  if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) return messagePage(413, 'Request too large', `The form is limited to ${MAX_BODY_BYTES} bytes.`);
  const form = parseForm(body);
  if (!form) return messagePage(400, 'Malformed form', 'A field was sent twice.');
  const nonce = form.nonce ?? '';
  const token = form.token ?? '';
  const cookie = cookieValue(req.cookies, CSRF_COOKIE);
  if (!NONCE_PATTERN.test(nonce) || !MAC_PATTERN.test(token) || !cookie || !sameMac(cookie, nonce) || !verifyFormToken(deps.key, link.id, nonce, token)) {
    return messagePage(
      403,
      'The form could not be verified',
      'The answer did not come from this approval page (or the page is too old, or cookies are blocked). Open the link from the notification again.',
    );
  }
  const decision = form.decision;
  if (decision !== 'approve' && decision !== 'reject') return messagePage(400, 'No decision', 'Press Approve or Reject.', 'warn');
  const name = cleanText(form.name ?? '');
  const reason = (form.reason ?? '').replace(/\r\n/g, '\n').trim();
  if (!name) return messagePage(400, 'Your name is required', 'Type your name: it is recorded in the incident with your answer.', 'warn');
  if (name.length > MAX_NAME_LENGTH) return messagePage(400, 'Name too long', `At most ${MAX_NAME_LENGTH} characters.`, 'warn');
  if (reason.length > MAX_REASON_LENGTH) return messagePage(400, 'Reason too long', `At most ${MAX_REASON_LENGTH} characters.`, 'warn');
  if (decision === 'reject' && !reason) return messagePage(400, 'A reason is required to reject', 'Say why, so the next person on call knows.', 'warn');

  const view = await deps.getApproval(link.id);
  const refused = stateRefusal(view, link.exp, deps.now);
  if (refused) return refused;
  const clear = [`${CSRF_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0`];
  try {
    const out = await deps.decide({ approvalId: link.id, decision, approver: approverIdentity(name, req), reason });
    const done = decision === 'approve' ? 'Approved' : 'Rejected';
    return messagePage(
      200,
      `${done}: thank you`,
      `${done} by ${name} at ${out.decidedAt}. The workflow goes on with your answer; the operators are told.`,
      'ok',
      { cookies: clear },
    );
  } catch (err) {
    const refusal = (err as { why?: ApprovalRefusal }).why;
    if (refusal && why[refusal])
      return messagePage(why[refusal][0], why[refusal][1], (err as Error).message, refusal === 'already-decided' ? 'warn' : 'bad', { cookies: clear });
    return messagePage(
      503,
      'The answer could not be recorded',
      'The approval service did not answer. Nothing was decided: try again in a minute, or use the CLI.',
    );
  }
}

/** A Lambda function URL event (payload 2.0), the parts used here. */
export interface FunctionUrlEvent {
  requestContext?: { http?: { method?: string; sourceIp?: string; userAgent?: string } };
  queryStringParameters?: Record<string, string | undefined>;
  rawQueryString?: string;
  headers?: Record<string, string | undefined>;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
}

/** The page's view of a function URL event (repeated query parameters kept as arrays). */
export function fromFunctionUrlEvent(event: FunctionUrlEvent): PageRequest {
  const query: PageRequest['query'] = {};
  for (const [k, v] of new URLSearchParams(event.rawQueryString ?? '')) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  if (!event.rawQueryString) Object.assign(query, event.queryStringParameters ?? {});
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const body = event.body === undefined ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return {
    method: event.requestContext?.http?.method ?? 'GET',
    query,
    headers,
    cookies: event.cookies ?? (headers.cookie ? [headers.cookie] : []),
    ...(body !== undefined ? { body } : {}),
    sourceIp: event.requestContext?.http?.sourceIp ?? '',
    userAgent: event.requestContext?.http?.userAgent ?? headers['user-agent'] ?? '',
  };
}
