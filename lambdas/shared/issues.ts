/**
 * A failed parse in words: each issue's path, what is wrong and the value found there. The
 * wording does not depend on zod's locale (zod/mini, which the functions bundle, loads none).
 * Values under a key named like a token, a secret or a password are never shown.
 */
import type * as z from 'zod/mini';
import { isSensitiveKey } from './redact.js';

type Issue = z.core.$ZodIssue;
/** Issue fields some codes carry (read without narrowing on every code). */
type IssueFields = {
  expected?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  origin?: string;
  values?: unknown[];
  keys?: string[];
  format?: string;
  divisor?: number;
};

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
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out || '(input)';
}

/** The value as JSON, cut short; secrets (a key named like a token, secret or password) are never shown. */
function formatValue(value: unknown, path: readonly PropertyKey[] = []): string {
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
    const custom =
      issue.message &&
      issue.message !== 'Invalid input' &&
      !issue.message.startsWith('Invalid input:') &&
      !/^(Too (small|big)|Invalid (option|string|element|key|value)|Unrecognized key)/.test(issue.message)
        ? issue.message
        : undefined;
    const value = valueAt(input, issue.path);
    return `${formatPath(issue.path)}: ${custom ?? describe(issue, value)} (got ${formatValue(value, issue.path)})`;
  });
  if (issues.length > MAX_ISSUES) lines.push(`... and ${issues.length - MAX_ISSUES} more`);
  return lines.join('; ');
}
