/** The real loss of a drill from the canary's acknowledgements and what the new primary holds (twin/real/bridge.ts measureLoss). */
import { describe, expect, it } from 'vitest';
import { measureLoss } from '../../../twin/real/bridge.js';

/** Acknowledgements every 50 ms from t=1000, numbered 1..n. */
const acks = (n: number) => Array.from({ length: n }, (_, i) => ({ seq: i + 1, at: 1000 + i * 50, port: 5432 }));
const holding = (...ranges: Array<[number, number]>) => new Set(ranges.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i)));

describe('measureLoss', () => {
  it.each([
    { name: 'nothing lost', held: holding([1, 10]), expected: { commits: 0, atMostMs: 0, atLeastMs: 0 } },
    {
      name: 'the last commit (in flight at the crash): at least 0, at most one interval',
      held: holding([1, 9]),
      expected: { commits: 1, atMostMs: 50, atLeastMs: 0 },
    },
    { name: 'the last 4 commits', held: holding([1, 6]), expected: { commits: 4, atMostMs: 200, atLeastMs: 150 } },
    { name: 'two runs: the longer counts', held: holding([1, 2], [4, 5], [9, 9]), expected: { commits: 5, atMostMs: 150, atLeastMs: 100 } },
    { name: 'nothing held: from the first acknowledgement', held: holding(), expected: { commits: 10, atMostMs: 450, atLeastMs: 450 } },
  ])('$name', ({ held, expected }) => {
    expect(measureLoss(acks(10), held)).toEqual(expected);
  });

  it('takes acknowledgements in time order, whatever order they come in', () => {
    expect(measureLoss([...acks(10)].reverse(), holding([1, 6]))).toEqual({ commits: 4, atMostMs: 200, atLeastMs: 150 });
  });
});
