import { describe, expect, it } from 'vitest';
import { formatClock, formatDuration, parseDuration } from '../../../twin/scenario/duration.js';

describe('parseDuration', () => {
  it.each([
    [0, 0],
    [45, 45],
    [1.5, 1.5],
    ['90s', 90],
    ['5m', 300],
    ['2h', 7200],
    ['1h30m', 5400],
    ['1h30m15s', 5415],
    ['2m30s', 150],
    ['1d', 86_400],
    ['1d2h', 93_600],
    ['1.5h', 5400],
    ['0.1h', 360],
    ['0s', 0],
  ])('reads %j as %d seconds', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it.each([
    ['', 'empty'],
    ['90', 'no unit'],
    ['5 m', 'space'],
    ['5min', 'unknown unit'],
    ['500ms', 'milliseconds'],
    ['30m1h', 'units out of order'],
    ['-5m', 'negative string'],
    ['h', 'unit without amount'],
    ['1e3s', 'exponent'],
    [-1, 'negative number'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'infinity'],
    [true, 'boolean'],
    [null, 'null'],
    [{ minutes: 5 }, 'object'],
  ] as [unknown, string][])('rejects %j (%s)', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [0.4, '0.4s'],
    [45, '45s'],
    [70, '1m10s'],
    [212, '3m32s'],
    [3600, '1h'],
    [5400, '1h30m'],
    [5415.5, '1h30m15.5s'],
    [59.96, '1m'],
  ])('formats %d as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('is read back by parseDuration', () => {
    for (const s of [1, 59, 61, 3599, 3601, 86_399, 12.5]) expect(parseDuration(formatDuration(s))).toBe(s);
  });
});

describe('formatClock', () => {
  it.each([
    [0, '+00:00:00'],
    [70, '+00:01:10'],
    [70.9, '+00:01:10'],
    [3661, '+01:01:01'],
    [100 * 3600, '+100:00:00'],
    [-3, '+00:00:00'],
  ])('formats %d as %s', (t, text) => {
    expect(formatClock(t)).toBe(text);
  });
});
