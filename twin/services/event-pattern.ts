/**
 * EventBridge event-pattern matching (content filtering), as documented in the EventBridge user
 * guide "Event patterns" / "Content filtering":
 * - every key of the pattern must match; leaf values are arrays of alternatives;
 * - an event field that is an array matches when any of its elements matches;
 * - literal strings/numbers/booleans/null match exactly (numbers numerically);
 * - operators: prefix, suffix (both also with `equals-ignore-case`), equals-ignore-case,
 *   anything-but (value, list, prefix, suffix, equals-ignore-case), exists, numeric, wildcard;
 * - nested objects recurse; `$or` takes a list of sub-patterns.
 * `cidr` is not modelled and is rejected when the rule is created.
 */

export class EventPatternError extends Error {
  override readonly name = 'EventPatternError';
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'exists', 'numeric', 'wildcard']);
const NUMERIC_OPS = new Set(['<', '<=', '=', '>', '>=']);

/** Throws {@link EventPatternError} with EventBridge-style reasons for an invalid pattern. */
export function validatePattern(pattern: unknown, path = ''): void {
  if (pattern === null || typeof pattern !== 'object' || Array.isArray(pattern)) {
    throw new EventPatternError(`Filter is not an object${path ? ` at ${path}` : ''}`);
  }
  const entries = Object.entries(pattern as Record<string, unknown>);
  if (entries.length === 0 && path === '') throw new EventPatternError('Empty event pattern');
  for (const [key, value] of entries) {
    const here = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) throw new EventPatternError(`$or must be an array of at least two patterns at ${here}`);
      value.forEach((v, i) => validatePattern(v, `${here}[${i}]`));
      continue;
    }
    if (Array.isArray(value)) {
      if (value.length === 0) throw new EventPatternError(`Empty arrays are not allowed at ${here}`);
      value.forEach((v) => validateLeaf(v, here));
    } else if (value !== null && typeof value === 'object') {
      validatePattern(value, here);
    } else {
      throw new EventPatternError(`"${key}" must be an object or an array`);
    }
  }
}

function validateLeaf(v: unknown, where: string): void {
  if (v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) throw new EventPatternError(`Nested arrays are not allowed at ${where}`);
  const keys = Object.keys(v);
  if (keys.length !== 1) throw new EventPatternError(`Only one key allowed in match expression at ${where}`);
  const op = keys[0]!;
  const arg = (v as Record<string, unknown>)[op];
  if (op === 'cidr') throw new EventPatternError(`cidr matching is not modelled by the twin (at ${where})`);
  if (!OPERATORS.has(op)) throw new EventPatternError(`Unrecognized match type ${op} at ${where}`);
  switch (op) {
    case 'exists':
      if (typeof arg !== 'boolean') throw new EventPatternError(`exists match pattern must be either true or false at ${where}`);
      break;
    case 'numeric': {
      if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0)
        throw new EventPatternError(`Value of numeric must be an array of operator/number pairs at ${where}`);
      for (let i = 0; i < arg.length; i += 2) {
        if (!NUMERIC_OPS.has(arg[i] as string)) throw new EventPatternError(`Unrecognized numeric range operator: ${String(arg[i])} at ${where}`);
        if (typeof arg[i + 1] !== 'number') throw new EventPatternError(`Value of ${String(arg[i])} must be numeric at ${where}`);
      }
      break;
    }
    case 'prefix':
    case 'suffix':
      if (typeof arg !== 'string' && !(isObj(arg) && typeof arg['equals-ignore-case'] === 'string')) {
        throw new EventPatternError(`${op} match pattern must be a string at ${where}`);
      }
      break;
    case 'equals-ignore-case':
    case 'wildcard':
      if (typeof arg !== 'string') throw new EventPatternError(`${op} match pattern must be a string at ${where}`);
      break;
    case 'anything-but':
      if (isObj(arg)) {
        const k = Object.keys(arg);
        if (k.length !== 1 || !['prefix', 'suffix', 'equals-ignore-case'].includes(k[0]!)) {
          throw new EventPatternError(`Unsupported anything-but pattern at ${where}`);
        }
      } else if (Array.isArray(arg)) {
        if (arg.some((x) => x !== null && typeof x === 'object')) throw new EventPatternError(`anything-but list must hold plain values at ${where}`);
      }
      break;
    default:
      break;
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** True when the event matches the (valid) pattern. */
export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  const obj = isObj(event) ? event : {};
  for (const [key, pv] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(pv as Record<string, unknown>[]).some((sub) => matchesPattern(sub, event))) return false;
      continue;
    }
    const present = Object.prototype.hasOwnProperty.call(obj, key);
    const ev = obj[key];
    if (Array.isArray(pv)) {
      if (!leafMatches(pv, ev, present)) return false;
    } else {
      // nested object pattern
      if (Array.isArray(ev)) {
        if (!ev.some((el) => matchesPattern(pv as Record<string, unknown>, el))) return false;
      } else if (!matchesPattern(pv as Record<string, unknown>, isObj(ev) ? ev : {})) {
        return false;
      }
    }
  }
  return true;
}

function leafMatches(alternatives: readonly unknown[], ev: unknown, present: boolean): boolean {
  const values: unknown[] = present ? (Array.isArray(ev) ? ev : [ev]) : [];
  return alternatives.some((alt) => {
    if (alt !== null && typeof alt === 'object') return operatorMatches(alt as Record<string, unknown>, values, present, ev);
    return values.some((v) => literalEquals(alt as Json, v));
  });
}

function literalEquals(p: Json, v: unknown): boolean {
  if (p === null) return v === null;
  if (typeof p === 'number') return typeof v === 'number' && v === p;
  return v === p;
}

function operatorMatches(expr: Record<string, unknown>, values: unknown[], present: boolean, raw: unknown): boolean {
  const [op, arg] = Object.entries(expr)[0]!;
  const strings = values.filter((v): v is string => typeof v === 'string');
  switch (op) {
    case 'exists':
      return arg === true ? present && raw !== undefined && !(Array.isArray(raw) && raw.length === 0) : !present;
    case 'prefix':
      return typeof arg === 'string'
        ? strings.some((s) => s.startsWith(arg))
        : strings.some((s) => s.toLowerCase().startsWith(String((arg as Record<string, unknown>)['equals-ignore-case']).toLowerCase()));
    case 'suffix':
      return typeof arg === 'string'
        ? strings.some((s) => s.endsWith(arg))
        : strings.some((s) => s.toLowerCase().endsWith(String((arg as Record<string, unknown>)['equals-ignore-case']).toLowerCase()));
    case 'equals-ignore-case':
      return strings.some((s) => s.toLowerCase() === String(arg).toLowerCase());
    case 'wildcard':
      return strings.some((s) => wildcard(String(arg), s));
    case 'numeric':
      return values.some((v) => typeof v === 'number' && numericHolds(arg as unknown[], v));
    case 'anything-but': {
      if (!present || values.length === 0) return false;
      if (isObj(arg)) {
        const [k, a] = Object.entries(arg)[0]!;
        const s = String(a);
        return values.some((v) => {
          if (typeof v !== 'string') return true;
          if (k === 'prefix') return !v.startsWith(s);
          if (k === 'suffix') return !v.endsWith(s);
          return v.toLowerCase() !== s.toLowerCase();
        });
      }
      const excluded = Array.isArray(arg) ? arg : [arg];
      return values.some((v) => !excluded.some((x) => literalEquals(x as Json, v)));
    }
    default:
      return false;
  }
}

function numericHolds(conds: unknown[], v: number): boolean {
  for (let i = 0; i < conds.length; i += 2) {
    const n = conds[i + 1] as number;
    switch (conds[i]) {
      case '<':
        if (!(v < n)) return false;
        break;
      case '<=':
        if (!(v <= n)) return false;
        break;
      case '=':
        if (!(v === n)) return false;
        break;
      case '>':
        if (!(v > n)) return false;
        break;
      case '>=':
        if (!(v >= n)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function wildcard(pattern: string, s: string): boolean {
  const re = pattern
    .split('*')
    .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${re}$`, 's').test(s);
}
