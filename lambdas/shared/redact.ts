/**
 * Removes secrets from facts before they are stored, published or logged: every key that looks
 * like a token, a secret or a password is dropped, at any depth (objects inside arrays too).
 * Task tokens must never leave the approval record; database passwords never leave the function.
 */
const SENSITIVE_KEY = /token|secret|password/i;

/** True when a key names something that must not be stored or published. */
export const isSensitiveKey = (key: string): boolean => SENSITIVE_KEY.test(key);

/** A deep copy of `value` without sensitive keys. Non-plain values (dates, numbers, ...) are kept as they are. */
export function stripSensitive<T>(value: T): T {
  return strip(value) as T;
}

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (!isSensitiveKey(key)) out[key] = strip(v);
    }
    return out;
  }
  return value;
}
