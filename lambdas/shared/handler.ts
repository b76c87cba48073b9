/**
 * One handler shape for every function: {@link defineHandler} takes the function's contract from
 * the registry (lambdas/shared/contracts.ts `CONTRACTS`), parses the input (a malformed input is
 * an {@link InvalidInputError} naming each bad path and its value, and nothing is done), runs the
 * function, and parses what it returns (an output that breaks the contract is a bug of the
 * function: an {@link InvalidOutputError}, never passed on to the workflow). Output defaults are
 * applied by the parse, so a function returns only what it decided.
 */
import type * as z from 'zod/mini';
import { CONTRACTS, type Contracts, type FunctionContract, type FunctionName } from './contracts.js';
import { InvalidInputError, InvalidOutputError } from './errors.js';
import { logger } from './logger.js';
import { isSensitiveKey } from './redact.js';

/** The Lambda context, as far as the functions use it (the twin passes the same fields). */
export interface HandlerContext {
  functionName?: string;
  awsRequestId?: string;
  getRemainingTimeInMillis?: () => number;
}

type Issue = z.core.$ZodIssue;
/** Issue fields some codes carry (read without narrowing on every code). */
type IssueFields = { expected?: string; minimum?: number | bigint; maximum?: number | bigint; inclusive?: boolean; origin?: string; values?: unknown[]; keys?: string[]; format?: string; divisor?: number };

const MAX_VALUE_CHARS = 80;
const MAX_ISSUES = 10;

/** The value at `path` inside `root` (undefined where there is none). */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** `database.primary.region`, `rounds[0][1].status`; `(input)` for the whole input. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out || '(input)';
}

/** The value as JSON, cut short; secrets (a key named like a token, secret or password) are never shown. */
export function formatValue(value: unknown, path: readonly PropertyKey[] = []): string {
  if (path.some((key) => typeof key === 'string' && isSensitiveKey(key))) return '(not shown)';
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value, (key, v: unknown) => (key && isSensitiveKey(key) ? '(not shown)' : v)) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

const kindOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** What is wrong, in words that do not depend on zod's locale (zod/mini loads none). */
function describe(issue: Issue, value: unknown): string {
  const i = issue as Issue & IssueFields;
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined ? `is required (expected ${i.expected})` : `expected ${i.expected}, received ${kindOf(value)}`;
    case 'too_small':
      return `${i.origin === 'array' ? 'must have at least' : i.origin === 'string' ? 'must be at least' : i.inclusive === false ? 'must be >' : 'must be >='} ${i.minimum}${i.origin === 'array' ? ' item(s)' : i.origin === 'string' ? ' character(s) long' : ''}`;
    case 'too_big':
      return `${i.origin === 'array' ? 'must have at most' : i.origin === 'string' ? 'must be at most' : i.inclusive === false ? 'must be <' : 'must be <='} ${i.maximum}${i.origin === 'array' ? ' item(s)' : i.origin === 'string' ? ' character(s) long' : ''}`;
    case 'invalid_value':
      return `must be one of ${(i.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `has unknown key(s) ${(i.keys ?? []).join(', ')}`;
    case 'invalid_format':
      return `must be a valid ${i.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${i.divisor}`;
    case 'invalid_union':
      return 'matches none of the allowed shapes';
    default:
      // Custom messages set in the schema (e.g. "must be an AWS Region code such as us-east-1").
      return issue.message && issue.message !== 'Invalid input' ? issue.message : issue.code;
  }
}

/**
 * The issues of a failed parse, one per line: the path, what is wrong and the value found there
 * (at most {@link MAX_ISSUES}). A message the schema sets itself is used as it is.
 */
export function describeIssues(issues: readonly Issue[], input: unknown): string {
  const lines = issues.slice(0, MAX_ISSUES).map((issue) => {
    const custom = issue.message && issue.message !== 'Invalid input' && !issue.message.startsWith('Invalid input:') && !/^(Too (small|big)|Invalid (option|string|element|key|value)|Unrecognized key)/.test(issue.message) ? issue.message : undefined;
    const value = valueAt(input, issue.path);
    return `${formatPath(issue.path)}: ${custom ?? describe(issue, value)} (got ${formatValue(value, issue.path)})`;
  });
  if (issues.length > MAX_ISSUES) lines.push(`... and ${issues.length - MAX_ISSUES} more`);
  return lines.join('; ');
}

type Parser = { safeParse(data: unknown): { success: true; data: unknown } | { success: false; error: { issues: Issue[] } } };
const parse = (schema: unknown, data: unknown) => (schema as Parser).safeParse(data);

/** The contract of `name` (and of its `action`, for functions whose inputs are told apart by one). */
function contractOf(name: FunctionName, action?: string): FunctionContract {
  const entry: FunctionContract = CONTRACTS[name];
  const contract = action === undefined ? entry : entry.actions?.[action];
  if (!contract) throw new Error(`${name} has no contract for action ${action}`);
  return contract;
}

/** The function's own work: the parsed input in, the output it decided out (before output defaults). */
export type HandlerBody<C extends FunctionContract> = (input: z.output<C['input']>, context: HandlerContext | undefined) => Promise<z.input<C['output']>> | z.input<C['output']>;
/** What Lambda (and the twin) invokes. */
export type Handler<C extends FunctionContract> = (event: unknown, context?: HandlerContext) => Promise<z.output<C['output']>>;

function wrap<C extends FunctionContract>(label: string, contract: C, body: HandlerBody<C>): Handler<C> {
  return async (event, context) => {
    const input = parse(contract.input, event);
    if (!input.success) {
      const problems = describeIssues(input.error.issues, event);
      logger.error('invalid input: nothing was done', { function: label, problems });
      throw new InvalidInputError(`${label}: invalid input: ${problems}`, { function: label });
    }
    const result = await body(input.data as z.output<C['input']>, context);
    const output = parse(contract.output, result);
    if (!output.success) {
      const problems = describeIssues(output.error.issues, result);
      logger.error('the output breaks the contract (a bug): it is not returned', { function: label, problems });
      throw new InvalidOutputError(`${label}: invalid output: ${problems}`, { function: label });
    }
    return output.data as z.output<C['output']>;
  };
}

/**
 * The Lambda handler of function `name`: its input parsed with `CONTRACTS[name].input` before
 * `body` runs, and what `body` returns parsed with `CONTRACTS[name].output`.
 */
export function defineHandler<N extends FunctionName>(name: N, body: HandlerBody<Contracts[N]>): Handler<Contracts[N]> {
  return wrap(name, contractOf(name), body);
}

type Actions<N extends FunctionName> = Contracts[N] extends { actions: infer A } ? A : never;

/**
 * The handler of one `action` of function `name` (its contract `CONTRACTS[name].actions[action]`),
 * for functions that take inputs told apart by their `action` (request-approval).
 */
export function defineActionHandler<N extends FunctionName, A extends keyof Actions<N> & string>(
  name: N,
  action: A,
  body: HandlerBody<Actions<N>[A] & FunctionContract>,
): Handler<Actions<N>[A] & FunctionContract> {
  return wrap(`${name} (${action})`, contractOf(name, action) as Actions<N>[A] & FunctionContract, body);
}
