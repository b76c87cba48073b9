/**
 * The quorum verdict over every round of probes. Pure.
 *
 * - `confirmed-down` iff EVERY round has down ≥ quorum, up = 0 and wrote = 0;
 * - else `healthy` iff the LAST round has down < quorum and (up ≥ quorum, or down = 0 and up ≥ 1);
 * - else `ambiguous` (never acted on automatically: a human decides).
 *
 * A vantage point reported twice in one round (a retried Map iteration) counts once, with its most
 * alive observation (wrote > up > down > unknown), so duplicates can never make a quorum.
 */
import type { EvaluateVerdictOutput, ProbeVantageOutput, Verdict } from '../shared/contracts.js';

export interface RoundCount {
  round: number;
  up: number;
  down: number;
  unknown: number;
  wrote: number;
  /** Vantage points seen in this round. */
  total: number;
  upVantages: string[];
  downVantages: string[];
  unknownVantages: string[];
  wroteVantages: string[];
}

const aliveness = (o: ProbeVantageOutput): number => (o.wrote ? 3 : o.status === 'up' ? 2 : o.status === 'down' ? 1 : 0);

/** One observation per vantage point (the most alive one when a vantage point appears twice). */
function dedupe(observations: ProbeVantageOutput[]): ProbeVantageOutput[] {
  const byVantage = new Map<string, ProbeVantageOutput>();
  for (const o of observations) {
    const seen = byVantage.get(o.vantage);
    if (!seen || aliveness(o) > aliveness(seen)) byVantage.set(o.vantage, o);
  }
  return [...byVantage.values()];
}

/** Counts of one round. */
export function countRound(observations: ProbeVantageOutput[], index: number): RoundCount {
  const unique = dedupe(observations);
  const names = (pred: (o: ProbeVantageOutput) => boolean) => unique.filter(pred).map((o) => o.vantage);
  const upVantages = names((o) => o.status === 'up');
  const downVantages = names((o) => o.status === 'down');
  const unknownVantages = names((o) => o.status === 'unknown');
  const wroteVantages = names((o) => o.wrote);
  return {
    round: observations[0]?.round ?? index + 1,
    up: upVantages.length,
    down: downVantages.length,
    unknown: unknownVantages.length,
    wrote: wroteVantages.length,
    total: unique.length,
    upVantages,
    downVantages,
    unknownVantages,
    wroteVantages,
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const list = (names: string[]) => names.join(', ');

/** Why the primary is not confirmed down (the first round that fails the rule), as a sentence. */
function notConfirmedBecause(counts: RoundCount[], quorum: number): string {
  if (counts.length === 0) return 'no probe rounds ran';
  const wrote = counts.find((c) => c.wrote > 0);
  if (wrote) {
    return `in round ${wrote.round} the primary took a heartbeat write from ${list(wrote.wroteVantages)} while ${wrote.down} of ${wrote.total} saw it down: it still takes writes (a partition, not a crash)`;
  }
  const split = counts.find((c) => c.up > 0 && c.down >= quorum);
  if (split) {
    return `in round ${split.round} ${split.down} of ${split.total} vantage points saw the primary down but ${list(split.upVantages)} still reached it: a partition, not a crash`;
  }
  const short = counts.find((c) => c.down < quorum);
  if (short) {
    const others = [
      short.up > 0 ? `${short.up} reached it (${list(short.upVantages)})` : '',
      short.unknown > 0 ? `${short.unknown} could not tell (${list(short.unknownVantages)})` : '',
    ].filter(Boolean);
    return `in round ${short.round} only ${short.down} of ${short.total} vantage points saw the primary down (quorum ${quorum})${others.length ? `; ${others.join(', ')}` : ''}`;
  }
  const upRound = counts.find((c) => c.up > 0)!;
  return `in round ${upRound.round} ${list(upRound.upVantages)} still reached the primary`;
}

/** The verdict, its reason (a sentence for the person on call), and the counts per round. */
export function evaluateVerdict(rounds: ProbeVantageOutput[][], quorum: number): EvaluateVerdictOutput {
  const counts = rounds.map((r, i) => countRound(r, i));
  const perRound = counts.map(({ round, up, down, unknown, wrote }) => ({ round, up, down, unknown, wrote }));
  const total = Math.max(0, ...counts.map((c) => c.total));
  let verdict: Verdict;
  let reason: string;

  const confirmed = counts.length > 0 && counts.every((c) => c.down >= quorum && c.up === 0 && c.wrote === 0);
  const last = counts[counts.length - 1];
  if (confirmed) {
    verdict = 'confirmed-down';
    const minDown = Math.min(...counts.map((c) => c.down));
    const unknowns = Math.max(...counts.map((c) => c.unknown));
    reason =
      `${minDown === total ? (total === 1 ? 'The only vantage point' : `All ${total} vantage points`) : `${counts.every((c) => c.down === minDown) ? '' : 'At least '}${minDown} of ${total} vantage points`} saw the primary down in every one of ${plural(counts.length, 'round')} ` +
      `(quorum ${quorum}); none reached it or wrote to it` +
      (unknowns > 0 ? ` (${plural(unknowns, 'vantage point')} could not tell)` : '') +
      '.';
  } else if (last && last.down < quorum && (last.up >= quorum || (last.down === 0 && last.up >= 1))) {
    verdict = 'healthy';
    reason =
      `In the last round (${last.round}) ${last.up} of ${last.total} vantage points reached the primary` +
      (last.down > 0 ? ` and only ${last.down} saw it down (quorum ${quorum})` : ' and none saw it down') +
      ': it is up, the alarm was a false alarm or the failure has passed.';
  } else {
    verdict = 'ambiguous';
    const lastNote = last
      ? ` In the last round ${last.up} reached it, ${last.down} saw it down and ${last.unknown} could not tell, which is not enough to call it healthy either.`
      : '';
    reason = `Not confirmed down: ${notConfirmedBecause(counts, quorum)}.${lastNote} A human must decide.`;
  }
  return { verdict, reason, perRound };
}
