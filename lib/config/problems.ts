/**
 * Config problems: what is wrong, where (a path inside the file), the bad value, and how they are
 * printed. Shared by the schema check, the cross-field rules and the warnings.
 */

/** One thing wrong (or risky) in a config. */
export interface ConfigProblem {
  /** Dotted path inside the file, e.g. `databases[0].detection.quorum`; empty for the whole file. */
  path: string;
  /** What is wrong and what is allowed, written to follow the path: `must be <= 5 vantage points (…)`. */
  message: string;
  /** The offending value, when there is one. */
  value?: unknown;
}

/** Thrown when a config has problems; lists every one of them. `message` starts with the source. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    /** Where the config came from: a file name, or a label such as `props`. */
    readonly source: string,
    /** Every problem found, in file order. */
    readonly problems: ConfigProblem[],
  ) {
    super(`${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`);
  }
}

/** `['databases', 0, 'name']` -> `databases[0].name`. */
export const formatPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');

const MAX_VALUE_CHARS = 80;

/** A value as it is shown after "got": JSON, cut short when long. */
export function formatValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/** One line: `databases[0].detection.quorum must be <= 5 vantage points (…), got 6`. */
export const formatProblem = (problem: ConfigProblem): string =>
  `${problem.path || 'the config'} ${problem.message}${problem.value === undefined ? '' : `, got ${formatValue(problem.value)}`}`;

/** The value at `path` inside `root`, or undefined. */
export const valueAt = (root: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined), root);

/** `databases[0].dns` -> `['databases', 0, 'dns']` (the inverse of {@link formatPath}). */
export const parsePath = (path: string): PropertyKey[] =>
  path === '' ? [] : [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] === undefined ? (m[1] as string) : Number(m[2])));

/**
 * Sort key that follows the file: each step of the path becomes the position of that key in its
 * object (keys absent from the file sort after the present ones), or the array index.
 */
function documentOrder(raw: unknown, path: readonly PropertyKey[]): number[] {
  const order: number[] = [];
  let node: unknown = raw;
  for (const key of path) {
    if (typeof key === 'number') {
      order.push(key);
    } else if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
      const index = Object.keys(node).indexOf(String(key));
      order.push(index === -1 ? Number.MAX_SAFE_INTEGER : index);
    } else {
      order.push(Number.MAX_SAFE_INTEGER);
    }
    node = node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return order;
}

/** Problems in the order their paths appear in the file (stable for problems at the same path). */
export function sortByDocument(raw: unknown, problems: ConfigProblem[]): ConfigProblem[] {
  const keyed = problems.map((problem, index) => ({ problem, index, order: documentOrder(raw, parsePath(problem.path)) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < Math.min(a.order.length, b.order.length); i += 1) {
      const diff = (a.order[i] as number) - (b.order[i] as number);
      if (diff !== 0) return diff;
    }
    return a.order.length - b.order.length || a.index - b.index;
  });
  return keyed.map((k) => k.problem);
}
