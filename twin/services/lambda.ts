/**
 * Lambda: Invoke routed to in-process handlers registered by (Region, function name). A handler
 * that throws gives `FunctionError: 'Unhandled'` with the error as payload, as Lambda does;
 * injected failures (`world.lambdaError`) do the same. The handler runs inside the twin call
 * context of the function (its Region, IAM principal and vantage point).
 *
 * Concurrency (docs/aws-behaviour.md "API request quotas"): each Region has the account's
 * concurrency (1,000 by default); a function with reserved concurrency runs at most that many
 * invocations at once, and the others share what is left unreserved. A synchronous invocation
 * past its limit fails with `TooManyRequestsException` (429), which Step Functions reports as
 * `Lambda.TooManyRequestsException`. Asynchronous invocations are queued by Lambda and retried,
 * so they are never refused here.
 */
import { awsError } from '../errors.js';
import { twinContext } from '../context.js';
import type { Authorization, Principal } from '../iam.js';
import type { TwinCore } from '../ports.js';
import { arn, parseArn, supportOnly, type CallCtx, type OpHandler, type ServiceModel } from './base.js';

export type LambdaHandler = (
  event: unknown,
  context: { functionName: string; awsRequestId: string; invokedFunctionArn: string; getRemainingTimeInMillis(): number },
) => unknown;

export interface FunctionRegistration {
  readonly region: string;
  readonly functionName: string;
  readonly handler: LambdaHandler;
  /** The function's execution role session (IAM checks of its own SDK calls). */
  readonly principal?: Principal;
  /** The vantage point the function probes from (network model). @default the function name */
  readonly vantage?: string;
  /** @default 30000 */
  readonly timeoutMs?: number;
  /** The function's reserved concurrency (`ReservedConcurrentExecutions`); none: it shares the unreserved pool. */
  readonly reservedConcurrency?: number;
}

/** Lambda's default concurrency quota per account and Region. */
export const ACCOUNT_CONCURRENCY = 1000;

/** One invocation, for reports and tests. */
export interface InvocationRecord {
  t: number;
  region: string;
  functionName: string;
  type: string;
  ok: boolean;
  error?: string;
}

/** What the lambda model needs of the world (twin/ports.ts). */
export type LambdaWorld = TwinCore;

export class LambdaService implements ServiceModel {
  readonly key = 'lambda' as const;
  readonly invocations: InvocationRecord[] = [];
  private readonly functions = new Map<string, FunctionRegistration>();
  private readonly failures = new Map<string, number>();
  /** The account's concurrency per Region. */
  accountConcurrency = ACCOUNT_CONCURRENCY;
  /** Invocations running now, by "<region>/<name>". */
  private readonly running = new Map<string, number>();
  /** The most invocations that ran at once in a Region (reports, tests). */
  readonly peakConcurrency: Record<string, number> = {};
  /** Synchronous invocations refused for concurrency, by function name. */
  readonly throttled: Record<string, number> = {};

  constructor(private readonly world: LambdaWorld) {}

  readonly operations: Record<string, OpHandler> = {
    Invoke: (i, c) => this.invoke(i, c),
  };

  authorization(_operation: string, input: { FunctionName?: string }, ctx: CallCtx): Authorization {
    const name = input.FunctionName ?? '*';
    return { action: 'lambda:InvokeFunction', resources: [name.startsWith('arn:') ? name : arn.fn(ctx.region, name)] };
  }

  register(reg: FunctionRegistration): string {
    this.functions.set(`${reg.region}/${reg.functionName}`, reg);
    return arn.fn(reg.region, reg.functionName);
  }

  /** Fault hook: the next `count` invocations of the function (any Region) fail. */
  injectFailures(functionName: string, count: number): void {
    this.failures.set(functionName, (this.failures.get(functionName) ?? 0) + count);
  }

  /** For runners that call handlers directly: consumes one injected failure if any is pending. */
  takeInjectedFailure(functionName: string): boolean {
    const n = this.failures.get(functionName) ?? 0;
    if (n <= 0) return false;
    this.failures.set(functionName, n - 1);
    return true;
  }

  private resolveName(fn: string, region: string): { region: string; name: string; qualifier?: string } {
    if (fn.startsWith('arn:')) {
      const p = parseArn(fn);
      const parts = p?.resource.split(':') ?? [];
      return { region: p?.region ?? region, name: parts[1] ?? '', qualifier: parts[2] };
    }
    const partial = /^\d{12}:function:([^:]+)(?::(.+))?$/.exec(fn);
    if (partial) return { region, name: partial[1]!, qualifier: partial[2] };
    const [name, qualifier] = fn.split(':');
    return { region, name: name!, qualifier };
  }

  async invoke(
    input: { FunctionName?: string; InvocationType?: string; Payload?: Uint8Array | string; Qualifier?: string; LogType?: string; ClientContext?: string },
    ctx: CallCtx,
  ) {
    supportOnly('lambda', 'Invoke', input, ['FunctionName', 'InvocationType', 'Payload', 'Qualifier', 'LogType', 'ClientContext']);
    const target = this.resolveName(input.FunctionName ?? '', ctx.region);
    const full = arn.fn(ctx.region, target.name);
    if (target.region !== ctx.region || !this.functions.has(`${ctx.region}/${target.name}`)) {
      throw awsError('lambda', 'ResourceNotFoundException', `Function not found: ${full}`);
    }
    const raw = input.Payload === undefined ? '{}' : typeof input.Payload === 'string' ? input.Payload : Buffer.from(input.Payload).toString('utf8');
    let event: unknown;
    try {
      event = raw === '' ? {} : JSON.parse(raw);
    } catch {
      throw awsError('lambda', 'InvalidRequestContentException', 'Could not parse request body into json: Could not parse payload into json');
    }
    const type = input.InvocationType ?? 'RequestResponse';
    if (type === 'DryRun') return { StatusCode: 204 };
    if (type === 'Event') {
      await this.invokeInternal(ctx.region, target.name, event, 'Event');
      return { StatusCode: 202, Payload: new Uint8Array() };
    }
    this.checkConcurrency(ctx.region, target.name);
    const r = await this.run(ctx.region, target.name, event, type);
    return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: new Uint8Array(Buffer.from(r.payload)), ...(r.error ? { FunctionError: 'Unhandled' } : {}) };
  }

  /**
   * Invocation on behalf of an AWS service (EventBridge target, SNS). `Event` invocations are
   * queued on the clock; failures of async invocations are recorded (Lambda's own async retries
   * are not modelled).
   */
  async invokeInternal(region: string, functionName: string, event: unknown, type: 'Event' | 'RequestResponse'): Promise<unknown> {
    if (!this.functions.has(`${region}/${functionName}`)) {
      throw awsError('lambda', 'ResourceNotFoundException', `Function not found: ${arn.fn(region, functionName)}`);
    }
    if (type === 'Event') {
      this.world.clock.schedule(
        Math.round(this.world.rng.stream('lambda.async').uniform(10, 100)),
        () => this.run(region, functionName, event, 'Event'),
        `lambda ${functionName} (async)`,
      );
      return undefined;
    }
    this.checkConcurrency(region, functionName);
    const r = await this.run(region, functionName, event, type);
    if (r.error) throw r.error;
    return JSON.parse(r.payload);
  }

  /** Invocations of the Region running now (all functions), or of one function. */
  concurrency(region: string, functionName?: string): number {
    if (functionName !== undefined) return this.running.get(`${region}/${functionName}`) ?? 0;
    let n = 0;
    for (const [k, v] of this.running) if (k.startsWith(`${region}/`)) n += v;
    return n;
  }

  /** Refuses a synchronous invocation past the function's reserved concurrency or the Region's unreserved pool. */
  private checkConcurrency(region: string, name: string): void {
    const reg = this.functions.get(`${region}/${name}`);
    const reserved = reg?.reservedConcurrency;
    let reason: string | undefined;
    if (reserved !== undefined) {
      if (this.concurrency(region, name) >= reserved) reason = 'ReservedFunctionConcurrentInvocationLimitExceeded';
    } else {
      let reservedTotal = 0;
      let unreservedRunning = 0;
      for (const f of this.functions.values()) {
        if (f.region !== region) continue;
        if (f.reservedConcurrency !== undefined) reservedTotal += f.reservedConcurrency;
        else unreservedRunning += this.concurrency(region, f.functionName);
      }
      if (unreservedRunning >= this.accountConcurrency - reservedTotal) reason = 'ConcurrentInvocationLimitExceeded';
    }
    if (!reason) return;
    this.throttled[name] = (this.throttled[name] ?? 0) + 1;
    this.world.log('cloud', `lambda ${name} throttled (${reason})`, { functionName: name, region, reason });
    throw awsError('lambda', 'TooManyRequestsException', 'Rate Exceeded.', { members: { Reason: reason, Type: 'User' } });
  }

  private async run(region: string, name: string, event: unknown, type: string): Promise<{ payload: string; error?: Error }> {
    const key = `${region}/${name}`;
    this.running.set(key, (this.running.get(key) ?? 0) + 1);
    this.peakConcurrency[region] = Math.max(this.peakConcurrency[region] ?? 0, this.concurrency(region));
    try {
      return await this.runOnce(region, name, event, type);
    } finally {
      const left = (this.running.get(key) ?? 1) - 1;
      if (left > 0) this.running.set(key, left);
      else this.running.delete(key);
    }
  }

  private async runOnce(region: string, name: string, event: unknown, type: string): Promise<{ payload: string; error?: Error }> {
    const reg = this.functions.get(`${region}/${name}`)!;
    const t = (this.world.clock.now() - this.world.startMs) / 1000;
    const requestId = this.world.rng.stream('lambda.ids').uuid();
    let error: Error | undefined;
    let result: unknown;
    if (this.world.isRegionOut(region)) {
      error = Object.assign(new Error(`Lambda in ${region} does not answer`), { name: 'TimeoutError' });
    } else if (this.takeInjectedFailure(name)) {
      error = Object.assign(new Error(`Injected failure of ${name}`), { name: 'Error' });
      this.world.log('cloud', `lambda ${name} failed (injected)`, { functionName: name, region });
    } else {
      try {
        result = await twinContext.run({ region, principal: reg.principal, vantage: reg.vantage ?? name, functionName: name }, () =>
          reg.handler(structuredClone(event), {
            functionName: name,
            awsRequestId: requestId,
            invokedFunctionArn: arn.fn(region, name),
            getRemainingTimeInMillis: () => reg.timeoutMs ?? 30_000,
          }),
        );
      } catch (e) {
        error = e instanceof Error ? e : new Error(String(e));
      }
    }
    this.invocations.push({ t, region, functionName: name, type, ok: !error, ...(error ? { error: `${error.name}: ${error.message}` } : {}) });
    if (error) return { payload: JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: [] }), error };
    return { payload: result === undefined ? 'null' : JSON.stringify(result) };
  }
}
