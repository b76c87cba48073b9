/**
 * One handler shape for every function: {@link defineHandler} takes the function's own contract
 * (its input and output schemas, the ones lambdas/shared/contracts.ts `CONTRACTS` lists for it:
 * the types say so), parses the input (a malformed input is
 * an {@link InvalidInputError} naming each bad path and its value, and nothing is done), runs the
 * function, and parses what it returns (an output that breaks the contract is a bug of the
 * function: an {@link InvalidOutputError}, never passed on to the workflow). Output defaults are
 * applied by the parse, so a function returns only what it decided.
 */
import type * as z from 'zod/mini';
import type { Contracts, FunctionContract, FunctionName } from './contracts.js';
import { InvalidInputError, InvalidOutputError } from './errors.js';
import { lazy } from './lazy.js';

/** The Lambda context, as far as the functions use it (the twin passes the same fields). */
export interface HandlerContext {
  functionName?: string;
  awsRequestId?: string;
  getRemainingTimeInMillis?: () => number;
}

/**
 * The logger, loaded only when a contract is broken (rare): functions that log nothing else (the
 * pure ones: accept-trigger, evaluate-verdict, plan-failback) do not load Powertools at a cold start.
 */
const loggerModule = lazy(() => import('./logger.js'));
/** What describes a broken contract's issues, loaded only then too (about 2 KB no valid input needs). */
const issuesModule = lazy(() => import('./issues.js'));

type Parser = { safeParse(data: unknown): { success: true; data: unknown } | { success: false; error: { issues: z.core.$ZodIssue[] } } };
const parse = (schema: unknown, data: unknown) => (schema as Parser).safeParse(data);

/** The function's own work: the parsed input in, the output it decided out (before output defaults). */
export type HandlerBody<C extends FunctionContract> = (
  input: z.output<C['input']>,
  context: HandlerContext | undefined,
) => Promise<z.input<C['output']>> | z.input<C['output']>;
/** What Lambda (and the twin) invokes. */
export type Handler<C extends FunctionContract> = (event: unknown, context?: HandlerContext) => Promise<z.output<C['output']>>;

function wrap<C extends FunctionContract>(label: string, contract: C, body: HandlerBody<C>): Handler<C> {
  return async (event, context) => {
    const input = parse(contract.input, event);
    if (!input.success) {
      const problems = (await issuesModule()).describeIssues(input.error.issues, event);
      (await loggerModule()).logger.error('invalid input: nothing was done', { function: label, problems });
      throw new InvalidInputError(`${label}: invalid input: ${problems}`, { function: label });
    }
    const result = await body(input.data as z.output<C['input']>, context);
    const output = parse(contract.output, result);
    if (!output.success) {
      const problems = (await issuesModule()).describeIssues(output.error.issues, result);
      (await loggerModule()).logger.error('the output breaks the contract (a bug): it is not returned', { function: label, problems });
      throw new InvalidOutputError(`${label}: invalid output: ${problems}`, { function: label });
    }
    return output.data as z.output<C['output']>;
  };
}

/** A function's own input and output schemas, as `CONTRACTS[name]` lists them. */
type OwnContract<N extends FunctionName> = Pick<Contracts[N], 'input' | 'output'> & FunctionContract;

/**
 * The Lambda handler of function `name`: its input parsed with `contract.input` before `body`
 * runs, and what `body` returns parsed with `contract.output`. The contract is passed in, the
 * schemas imported by name, never looked up in the registry: a handler that reached `CONTRACTS`
 * would bundle every function's schemas into its cold start (docs/scale.md, "Function bundles and
 * the AWS SDK").
 */
export function defineHandler<N extends FunctionName>(name: N, contract: OwnContract<N>, body: HandlerBody<OwnContract<N>>): Handler<OwnContract<N>> {
  return wrap(name, contract, body);
}

type Actions<N extends FunctionName> = Contracts[N] extends { actions: infer A } ? A : never;

/**
 * The handler of one `action` of function `name` (`contract`: the one `CONTRACTS[name].actions[action]`
 * lists), for functions that take inputs told apart by their `action` (request-approval).
 */
export function defineActionHandler<N extends FunctionName, A extends keyof Actions<N> & string>(
  name: N,
  action: A,
  contract: Actions<N>[A] & FunctionContract,
  body: HandlerBody<Actions<N>[A] & FunctionContract>,
): Handler<Actions<N>[A] & FunctionContract> {
  return wrap(`${name} (${action})`, contract, body);
}
