/**
 * Schema problems: zod issues rewritten as {@link ConfigProblem}s that read after their path
 * ("must be <= 10", "is required", "is not a known key (did you mean …)"), with the bad value.
 * Messages the schema itself sets (e.g. "must be an AWS Region code such as us-east-1") are kept.
 */
import type { z } from 'zod';
import { formatPath, valueAt, type ConfigProblem } from './problems.js';
import { keysAt } from './schema-walk.js';

type RawIssue = z.core.$ZodRawIssue;

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
};

const plural = (n: number | bigint, word: string): string => `${n} ${word}${Number(n) === 1 ? '' : 's'}`;

/** The per-parse zod error map: used only where the schema did not set its own message. */
export function issueMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'too_big': {
      const op = issue.inclusive === false ? '<' : '<=';
      if (issue.origin === 'array') return `must have at most ${plural(issue.maximum, 'item')}`;
      if (issue.origin === 'string') return `must be at most ${plural(issue.maximum, 'character')} long`;
      return `must be ${op} ${issue.maximum}`;
    }
    case 'too_small': {
      const op = issue.inclusive === false ? '>' : '>=';
      if (issue.origin === 'array') return `must have at least ${plural(issue.minimum, 'item')}`;
      if (issue.origin === 'string') return Number(issue.minimum) === 1 ? 'must not be empty' : `must be at least ${plural(issue.minimum, 'character')} long`;
      return `must be ${op} ${issue.minimum}`;
    }
    case 'invalid_format':
      if (issue.format === 'email') return 'must be an email address';
      if (issue.format === 'regex' && issue.pattern) return `must match ${issue.pattern}`;
      return `must be a valid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return undefined;
  }
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

/** The allowed key closest to a misspelt one, when it is close enough to be a typo. */
export function suggestKey(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = distance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}

/** Converts the issues of a failed parse of `raw` against `root` into problems (one per unknown key). */
export function issuesToProblems(root: z.ZodType, raw: unknown, issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const allowed = keysAt(root, issue.path).filter((k) => k !== '$schema');
      for (const key of issue.keys) {
        const suggestion = suggestKey(key, allowed);
        problems.push({
          path: formatPath([...issue.path, key]),
          message: `is not a known key (${suggestion ? `did you mean "${suggestion}"? ` : ''}allowed here: ${allowed.join(', ')})`,
        });
      }
      continue;
    }
    const path = formatPath(issue.path);
    // Two checks with one message (e.g. min(60) and multipleOf(60) for 30) make one problem.
    if (problems.some((p) => p.path === path && p.message === issue.message)) continue;
    const value = valueAt(raw, issue.path);
    problems.push({ path, message: issue.message, ...(value === undefined ? {} : { value }) });
  }
  return problems;
}
