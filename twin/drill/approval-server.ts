/**
 * The approval page served on loopback during a drill (`failover drill --serve-approvals`), so a
 * person, or a browser test, answers the twin's approval requests the way they would in the real
 * account: from a signed link, on the real page.
 *
 * Each HTTP request becomes a Lambda function URL event (payload 2.0) and runs the REAL deployed
 * `approval-page` handler through the twin's Lambda runtime: its execution role, its environment
 * from the template, the twin's DynamoDB, Step Functions and Secrets Manager through the SDK seam,
 * the drill's virtual clock. The server listens on 127.0.0.1 only.
 *
 * The template's signing key is an `AWS::SecretsManager::Secret` the twin's deployment does not
 * create; {@link prepareServedApp} gives it a CloudFormation-style ARN in the resolved app (the
 * functions' environment and the policies that name it) and points request-approval's
 * `APPROVAL_URL` at this server, and {@link createSigningSecret} stores a seeded key in the twin.
 * Nothing of this happens without `--serve-approvals`, so drills without it are unchanged.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FunctionUrlEvent, PageResponse } from '../../lambdas/approval-page/core.js';
import type { World } from '../world.js';
import type { DeployedFunction, LambdaRuntime } from './lambda-runtime.js';
import type { ResolvedApp } from './synth.js';

/** Only loopback: the twin's page is for the person at this machine. */
export const APPROVAL_SERVER_HOST = '127.0.0.1';
/** Largest request body read (the page itself refuses anything over 4 KiB). */
const MAX_READ_BYTES = 64 * 1024;

/** The approval page on loopback; requests run the deployed approval-page function. */
export class ApprovalServer {
  private server?: Server;
  private lambdas?: LambdaRuntime;
  private fn?: DeployedFunction;
  private port = 0;

  /** Starts listening on 127.0.0.1:`port` (0: any free port). */
  async listen(port: number): Promise<void> {
    const server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, APPROVAL_SERVER_HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** The page's address, e.g. `http://127.0.0.1:8787/`. */
  get url(): string {
    return `http://${APPROVAL_SERVER_HOST}:${this.port}/`;
  }

  /** Serves `fn` (the deployed approval-page function) from now on. */
  attach(lambdas: LambdaRuntime, fn: DeployedFunction): void {
    this.lambdas = lambdas;
    this.fn = fn;
  }

  /** Stops listening and drops open connections. Safe to call twice. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (!this.fn || !this.lambdas) return send(res, unavailable('The drill has not deployed the approval page yet.'));
      const body = await readBody(req);
      if (body === null)
        return send(res, { statusCode: 413, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, cookies: [], body: 'Request too large.' });
      const out = (await this.lambdas.run(this.fn, toFunctionUrlEvent(req, body))) as PageResponse;
      send(res, out);
    } catch (err) {
      send(res, unavailable(`The approval page failed: ${(err as Error)?.name ?? 'Error'}. Nothing was changed.`));
    }
  }
}

const unavailable = (text: string): PageResponse => ({
  statusCode: 503,
  headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
  cookies: [],
  body: text,
});

function send(res: ServerResponse, out: PageResponse): void {
  if (res.headersSent) return;
  res.writeHead(out.statusCode, { ...out.headers, ...(out.cookies.length ? { 'Set-Cookie': out.cookies } : {}) });
  res.end(out.body);
}

/** The body as text, or null when it is larger than {@link MAX_READ_BYTES}. */
async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_READ_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A node:http request as the function URL event Lambda would pass (payload 2.0). */
export function toFunctionUrlEvent(req: IncomingMessage, body: string): FunctionUrlEvent {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && k !== 'cookie') headers[k] = Array.isArray(v) ? v.join(',') : v;
  const cookies = (req.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim())
    .filter(Boolean);
  const sourceIp = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  return {
    requestContext: { http: { method: req.method ?? 'GET', sourceIp, userAgent: req.headers['user-agent'] ?? '' } },
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    cookies,
    ...(body ? { body, isBase64Encoded: false } : {}),
  };
}

/**
 * Prepares a copy of the resolved app for serving (see the module comment): the signing secret's
 * logical id becomes a CloudFormation-style ARN wherever the control stack's functions and policies
 * name it, and request-approval's `APPROVAL_URL` becomes `pageUrl`. Returns the secret's ARN.
 */
export function prepareServedApp(app: ResolvedApp, pageUrl: string, suffix: string): { app: ResolvedApp; secretArn: string } {
  const copy = structuredClone(app);
  const control = copy.stacks[copy.controlStack]!;
  const page = copy.functions.find((f) => f.folder === 'approval-page' && f.stack === copy.controlStack);
  if (!page) throw new Error('serve approvals: the app has no approval-page function in its control stack');
  const ref = page.environment.APPROVAL_SIGNING_SECRET_ARN;
  if (!ref) throw new Error('serve approvals: the approval-page function has no APPROVAL_SIGNING_SECRET_ARN (the stack has no signing secret)');
  const secretArn = ref.startsWith('arn:') ? ref : `arn:aws:secretsmanager:${control.region}:${control.account}:secret:${ref}-${suffix}`;
  const swap = (value: unknown): unknown => {
    if (value === ref) return secretArn;
    if (Array.isArray(value)) return value.map(swap);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, swap(v)]));
    return value;
  };
  for (const r of Object.values(control.resolved.Resources)) {
    if (r.Type === 'AWS::IAM::Policy' && r.Properties) r.Properties.PolicyDocument = swap(r.Properties.PolicyDocument);
    if (r.Type === 'AWS::IAM::Role' && r.Properties?.Policies) r.Properties.Policies = swap(r.Properties.Policies);
  }
  for (const fn of copy.functions) {
    if (fn.stack !== copy.controlStack) continue;
    if (fn.environment.APPROVAL_SIGNING_SECRET_ARN === ref) fn.environment.APPROVAL_SIGNING_SECRET_ARN = secretArn;
    if (fn.folder === 'request-approval') fn.environment.APPROVAL_URL = pageUrl;
  }
  return { app: copy, secretArn };
}

/** Stores the twin's signing key (64 seeded letters and digits, as the template generates). */
export function createSigningSecret(world: World, secretArn: string): string {
  const key = world.rng.stream('drill.approval-signing-key').chars(64, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');
  world.secretsmanager.createSecret(secretArn.split(':')[3]!, secretArn, key);
  return key;
}
