/**
 * Durations in scenario files (docs/scenarios.md): a number of seconds, or a string with units in
 * descending order, `"90s"`, `"5m"`, `"2h"`, `"1h30m"`, `"1d"`, `"1.5h"`. A bare numeric string
 * (`"90"`) is not a duration: the unit would be a guess.
 */

const DURATION = /^(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/;
const UNIT_SECONDS = [86_400, 3_600, 60, 1] as const;

/** How a duration may be written, for error messages. */
export const DURATION_HINT = 'a number of seconds or a string such as "90s", "5m", "2h" or "1h30m"';

/**
 * Parses a scenario duration into seconds. Returns `undefined` when the value is not a duration
 * (wrong type, negative, not finite, unknown unit, empty string).
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string' || value === '') return undefined;
  const match = DURATION.exec(value);
  if (!match) return undefined;
  let seconds = 0;
  UNIT_SECONDS.forEach((unit, i) => {
    const amount = match[i + 1];
    if (amount !== undefined) seconds += Number(amount) * unit;
  });
  // Round away binary noise such as 0.1h = 360.00000000000006 s.
  return Math.round(seconds * 1000) / 1000;
}

/**
 * Formats seconds as a compact duration that {@link parseDuration} reads back:
 * `0s`, `45s`, `1m10s`, `2h`, `1h30m`, `0.4s`, `3m32.5s`.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const sign = seconds < 0 ? '-' : '';
  const tenths = Math.round(Math.abs(seconds) * 10);
  const hours = Math.floor(tenths / 36_000);
  const minutes = Math.floor((tenths % 36_000) / 600);
  const rest = (tenths % 600) / 10;
  let out = '';
  if (hours) out += `${hours}h`;
  if (minutes) out += `${minutes}m`;
  if (rest || !out) out += `${rest}s`;
  return sign + out;
}

/** Virtual time since the start of the run as `+HH:MM:SS` (whole seconds, hours not capped). */
export function formatClock(t: number): string {
  const total = Math.max(0, Math.floor(t));
  const hh = Math.floor(total / 3600);
  const mm = Math.floor((total % 3600) / 60);
  const ss = total % 60;
  return `+${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}`;
}
