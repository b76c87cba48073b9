import { describe, expect, it } from 'vitest';
import { evaluateVerdict } from '../../../lambdas/evaluate-verdict/core.js';
import type { ProbeVantageOutput } from '../../../lambdas/shared/contracts.js';

type S = 'u' | 'd' | '?' | 'w';
const VANTAGES = ['use1-a', 'use1-b', 'usw2', 'euw1', 'rds-api'];

/** One round from a compact string, one letter per vantage: u up, d down, ? unknown, w up + wrote. */
function round(n: number, states: string, names = VANTAGES): ProbeVantageOutput[] {
  return [...states].map((s, i) => {
    const status = ({ u: 'up', w: 'up', d: 'down', '?': 'unknown' } as const)[s as S];
    return { vantage: names[i]!, region: 'us-east-1', round: n, status, wrote: s === 'w', tcp: s !== '?', latencyMs: 5 };
  });
}
const rounds = (...states: string[]) => states.map((s, i) => round(i + 1, s));

describe('evaluateVerdict', () => {
  const table: [string, ProbeVantageOutput[][], number, string, RegExp][] = [
    [
      'all down in every round',
      rounds('ddddd', 'ddddd', 'ddddd'),
      3,
      'confirmed-down',
      /^All 5 vantage points saw the primary down in every one of 3 rounds \(quorum 3\); none reached it or wrote to it\.$/,
    ],
    [
      'crash seen by exactly a quorum, the rest unknown',
      rounds('ddd??', 'ddd??', 'ddd??'),
      3,
      'confirmed-down',
      /^3 of 5 vantage points saw the primary down in every one of 3 rounds \(quorum 3\); none reached it or wrote to it \(2 vantage points could not tell\)\.$/,
    ],
    ['a quorum with varying members', rounds('dddd?', 'ddd??', 'ddddd'), 3, 'confirmed-down', /^At least 3 of 5 vantage points/],
    [
      'region outage: 2 down, 3 unknown, quorum 3',
      rounds('??dd?', '??dd?', '??dd?'),
      3,
      'ambiguous',
      /Not confirmed down: in round 1 only 2 of 5 vantage points saw the primary down \(quorum 3\); 3 could not tell \(use1-a, use1-b, rds-api\)\./,
    ],
    [
      'region outage: 2 down, 3 unknown, quorum 2',
      rounds('??dd?', '??dd?', '??dd?'),
      2,
      'confirmed-down',
      /^2 of 5 vantage points saw the primary down in every one of 3 rounds \(quorum 2\)/,
    ],
    [
      'one vantage partitioned',
      rounds('uuudu', 'uuudu', 'uuudu'),
      3,
      'healthy',
      /^In the last round \(3\) 4 of 5 vantage points reached the primary and only 1 saw it down \(quorum 3\)/,
    ],
    [
      'primary cut off from a quorum but rds-api says available',
      rounds('?dddu', '?dddu', '?dddu'),
      3,
      'ambiguous',
      /in round 1 3 of 5 vantage points saw the primary down but rds-api still reached it: a partition/,
    ],
    [
      'a write seen while a quorum says down',
      rounds('wdddd', 'dddd?', 'dddd?'),
      3,
      'ambiguous',
      /in round 1 the primary took a heartbeat write from use1-a while 4 of 5 saw it down/,
    ],
    ['a write in the last round only', rounds('ddddd', 'ddddd', 'wdddd'), 3, 'ambiguous', /round 3 the primary took a heartbeat write from use1-a/],
    [
      'recovery in the last round',
      rounds('ddddd', 'ddddd', 'uuuuu'),
      3,
      'healthy',
      /^In the last round \(3\) 5 of 5 vantage points reached the primary and none saw it down/,
    ],
    [
      'flapping down-up-down',
      rounds('ddddd', 'uuuuu', 'ddddd'),
      3,
      'ambiguous',
      /in round 2 only 0 of 5 vantage points saw the primary down \(quorum 3\); 5 reached it/,
    ],
    ['flapping up-down-up', rounds('uuuuu', 'ddddd', 'uuuuu'), 3, 'healthy', /^In the last round \(3\)/],
    [
      'last round: nobody down, one reached it, the rest unknown',
      rounds('?????', '????u'),
      3,
      'healthy',
      /1 of 5 vantage points reached the primary and none saw it down/,
    ],
    [
      'last round: one up, one down, below quorum both ways',
      rounds('ud???', 'ud???'),
      3,
      'ambiguous',
      /only 1 of 5 .* saw the primary down \(quorum 3\); 1 reached it \(use1-a\), 3 could not tell/,
    ],
    ['everyone unknown', rounds('?????', '?????'), 3, 'ambiguous', /only 0 of 5 vantage points saw the primary down \(quorum 3\); 5 could not tell/],
    [
      'a single round, a single vantage, quorum 1',
      [round(1, 'd', ['solo'])],
      1,
      'confirmed-down',
      /^The only vantage point saw the primary down in every one of 1 round \(quorum 1\)/,
    ],
    ['no rounds at all', [], 3, 'ambiguous', /Not confirmed down: no probe rounds ran\. A human must decide\.$/],
  ];

  it.each(table)('%s', (_label, input, quorum, verdict, reason) => {
    const out = evaluateVerdict(input, quorum);
    expect(out.verdict).toBe(verdict);
    expect(out.reason).toMatch(reason);
  });

  it('counts up, down, unknown and wrote per round', () => {
    expect(evaluateVerdict(rounds('wud?d', 'ddd??'), 3).perRound).toEqual([
      { round: 1, up: 2, down: 2, unknown: 1, wrote: 1 },
      { round: 2, up: 0, down: 3, unknown: 2, wrote: 0 },
    ]);
  });

  it('a vantage point reported twice in one round counts once, at its most alive', () => {
    const dup = [...round(1, 'dd?'), ...round(1, 'd', ['use1-a']), ...round(1, 'u', ['use1-b'])];
    const out = evaluateVerdict([dup], 2);
    expect(out.perRound).toEqual([{ round: 1, up: 1, down: 1, unknown: 1, wrote: 0 }]);
    expect(out.verdict).toBe('ambiguous');
  });

  it('duplicates cannot manufacture a quorum', () => {
    const dup = [...round(1, 'd', ['use1-a']), ...round(1, 'd', ['use1-a']), ...round(1, 'd', ['use1-a'])];
    expect(evaluateVerdict([dup], 2).verdict).toBe('ambiguous');
  });

  it('a successful write blocks confirmation even from an observation that also says down', () => {
    const odd = round(1, 'dddd').map((o, i) => (i === 0 ? { ...o, wrote: true } : o));
    const out = evaluateVerdict([odd], 3);
    expect(out.verdict).toBe('ambiguous');
    expect(out.reason).toMatch(/took a heartbeat write from use1-a/);
  });

  it('takes the round number from the observations', () => {
    expect(evaluateVerdict([round(4, 'ddd')], 3).perRound[0]!.round).toBe(4);
  });
});
