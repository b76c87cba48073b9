/**
 * Runs the REAL handlers of `lambdas/<folder>/handler.ts` in-process for the cloud twin.
 *
 * - Each deployed function gets its own instance of its handler module: the module is imported
 *   with a distinct URL (`handler.ts?fn=<region>/<name>&env=<hash>`) while `process.env` holds
 *   exactly the function's template `Environment` plus `AWS_REGION`, `AWS_DEFAULT_REGION` and
 *   `AWS_LAMBDA_FUNCTION_NAME`. Handlers read their environment at module load (docs/design.md), so the
 *   in-Region heartbeat (us-east-1) and the control Region's heartbeat (us-west-2), or the probe
 *   deployed in three Regions, each keep the settings they were deployed with. At each invocation
 *   the same variables are set again before the handler starts (invocations interleave in virtual
 *   time, so a handler that read `process.env` after an `await` could see another function's
 *   values: none of the product's handlers does, see the README).
 * - Invocations run inside the twin call context of the function (its role's principal, its
 *   Region, its name, and for the probe the vantage point named in its payload), so every SDK
 *   call and database connection the handler makes is checked by the twin's IAM and network.
 * - `world.lambdaError(<folder>, n)` makes the next n invocations of that function folder fail:
 *   an SDK/EventBridge invocation fails as an unhandled function error, a Step Functions task as
 *   `Lambda.ServiceException` (see sfn-runtime.ts).
 * - The function's timeout is enforced in virtual time (`Task timed out after N seconds`).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { currentCaller, twinContext } from '../context.js';
import type { Principal } from '../iam.js';
import type { LambdaHandler } from '../services/lambda.js';
import type { World } from '../world.js';
import type { SynthesizedFunction } from './synth.js';

/** What a handler module exports. */
export interface HandlerModule {
  handler: (event: unknown, context?: unknown) => unknown;
}

/** One function as deployed into the twin. */
export interface DeployedFunction {
  readonly fn: SynthesizedFunction;
  /** The twin role name of its execution role. */
  readonly roleName: string;
  readonly principal: Principal;
  /** The environment the function runs with (template Environment + Lambda's own variables). */
  readonly env: Record<string, string>;
  /** Its handler module instance (after {@link LambdaRuntime.load}). */
  module?: HandlerModule;
}

/** Name of the error thrown by an injected function failure. */
export const INJECTED_FAILURE = 'InjectedFunctionFailure';

/** The handler file of a function folder. */
export const handlerFile = (folder: string): string => join(PROJECT_ROOT, 'lambdas', folder, 'handler.ts');

/**
 * The environment Lambda gives a function: its template variables plus the runtime's own,
 * including the execution role's temporary credentials (placeholders here: the twin authorizes
 * calls by the call context, and checks what is signed with them, such as IAM database auth
 * tokens, without recomputing signatures).
 */
export function functionEnvironment(fn: SynthesizedFunction): Record<string, string> {
  return {
    ...fn.environment,
    AWS_REGION: fn.region,
    AWS_DEFAULT_REGION: fn.region,
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_ACCESS_KEY_ID: 'ASIATWINEXAMPLE00000',
    AWS_SECRET_ACCESS_KEY: 'twinSecretAccessKeyPlaceholder0000000000',
    AWS_SESSION_TOKEN: 'twin-session-token',
  };
}

/** An error with an explicit name (Step Functions matches Retry/Catch on it). */
export const namedError = (name: string, message: string): Error => Object.assign(new Error(message), { name });

export class LambdaRuntime {
  private readonly functions = new Map<string, DeployedFunction>();

  constructor(private readonly world: World) {}

  /** Every deployed function. */
  all(): DeployedFunction[] {
    return [...this.functions.values()];
  }

  /** The function `name` in `region`. */
  get(region: string, name: string): DeployedFunction | undefined {
    return this.functions.get(`${region}/${name}`);
  }

  /** The function with this ARN. */
  byArn(functionArn: string): DeployedFunction | undefined {
    const m = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):\d{12}:function:([^:]+)/.exec(functionArn);
    return m ? this.get(m[1]!, m[2]!) : undefined;
  }

  /**
   * Imports the function's handler (its own module instance, loaded with its environment) and
   * registers it with the twin's Lambda service. Imports one at a time: the environment is
   * process-wide while a module evaluates.
   */
  async deploy(fn: SynthesizedFunction, roleName: string, principal: Principal): Promise<DeployedFunction> {
    if (!fn.folder) throw new Error(`function ${fn.functionName} in ${fn.region} has no ${'rds-failover:function'} tag: its handler folder is unknown`);
    const env = functionEnvironment(fn);
    const deployed: DeployedFunction = { fn, roleName, principal, env };
    deployed.module = await importWithEnv(fn, env);
    if (typeof deployed.module.handler !== 'function') throw new Error(`lambdas/${fn.folder}/handler.ts does not export a handler function`);
    this.functions.set(`${fn.region}/${fn.functionName}`, deployed);
    this.world.lambda.register({
      region: fn.region,
      functionName: fn.functionName,
      principal,
      vantage: fn.functionName,
      timeoutMs: fn.timeoutSeconds * 1000,
      ...(fn.reservedConcurrency !== undefined ? { reservedConcurrency: fn.reservedConcurrency } : {}),
      handler: this.handlerFor(deployed),
    });
    return deployed;
  }

  /**
   * The handler the twin's Lambda service calls (it has already set the call context: principal,
   * Region, function name). Fails an injected failure, sets the environment, narrows the vantage
   * point for the probe, enforces the timeout.
   */
  handlerFor(d: DeployedFunction): LambdaHandler {
    return (event, context) => {
      if (this.world.lambda.takeInjectedFailure(d.fn.folder)) {
        this.world.log('cloud', `lambda ${d.fn.functionName} (${d.fn.region}) failed (injected)`, {
          functionName: d.fn.functionName,
          folder: d.fn.folder,
          region: d.fn.region,
        });
        throw namedError(INJECTED_FAILURE, `Injected failure of ${d.fn.functionName}`);
      }
      return this.run(d, event, context);
    };
  }

  /** Runs the handler as the function (no injected-failure check): for callers that did their own. */
  run(d: DeployedFunction, event: unknown, context?: unknown): Promise<unknown> {
    Object.assign(process.env, d.env);
    const outer = currentCaller();
    const payloadVantage =
      d.fn.folder === 'probe' && event && typeof (event as { vantage?: unknown }).vantage === 'string' ? (event as { vantage: string }).vantage : undefined;
    const ctx = {
      region: d.fn.region,
      principal: outer.principal ?? d.principal,
      functionName: d.fn.functionName,
      vantage: payloadVantage ?? outer.vantage ?? d.fn.functionName,
    };
    const invocation = twinContext.run(ctx, () => Promise.resolve().then(() => d.module!.handler(event, context ?? lambdaContext(d))));
    return withTimeout(invocation, d.fn.timeoutSeconds);
  }
}

/** A minimal Lambda context object. */
function lambdaContext(d: DeployedFunction): Record<string, unknown> {
  return {
    functionName: d.fn.functionName,
    invokedFunctionArn: d.fn.arn,
    awsRequestId: 'twin',
    getRemainingTimeInMillis: () => d.fn.timeoutSeconds * 1000,
  };
}

/** Lambda's timeout, in (virtual) time: the invocation fails with `Task timed out after N seconds`. */
function withTimeout<T>(p: Promise<T>, seconds: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    // Lambda reports a timeout without an error type; Step Functions shows it as Lambda.Unknown (docs/aws-behaviour.md §6).
    timer = setTimeout(() => reject(namedError('Lambda.Unknown', `Task timed out after ${seconds.toFixed(2)} seconds`)), seconds * 1000);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Imports the handler of `fn` as its own module instance, with `env` in process.env while it loads. */
async function importWithEnv(fn: SynthesizedFunction, env: Record<string, string>): Promise<HandlerModule> {
  const envHash = createHash('sha256')
    .update(JSON.stringify(Object.entries(env).sort()))
    .digest('hex')
    .slice(0, 12);
  const url = `${pathToFileURL(handlerFile(fn.folder)).href}?fn=${encodeURIComponent(`${fn.region}/${fn.functionName}`)}&env=${envHash}`;
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(env)) saved[k] = process.env[k];
  Object.assign(process.env, env);
  try {
    return (await import(url)) as HandlerModule;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
