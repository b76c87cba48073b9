/**
 * Judging a run: a scenario's `expect` against what happened, and the exit status of
 * `failover drill` (docs/scenarios.md "Command"). Pure functions.
 */
import type { Expectations } from '../scenario/schema.js';
import {
  EXIT,
  INVARIANT_NAMES,
  LIVENESS_NAMES,
  NO_PROMOTION_OUTCOMES,
  type ExpectationResult,
  type InvariantName,
  type InvariantResult,
  type LivenessName,
  type Outcome,
  type Report,
  type Roles,
} from './types.js';

/** What the judge compares `expect` with: the report's figures plus the roles at the start. */
export interface JudgeFacts {
  outcome: Outcome;
  /** Instance id that takes writes at the end (null when none does). */
  writer: string | null;
  /** Promotions that happened (a failback's switchover included). */
  failovers: number;
  rtoSeconds: number | null;
  dataLossSeconds: number | null;
  /** Instance ids in the primary and standby roles when the run started. */
  roles: Roles;
}

const num = (n: number) => String(Math.round(n * 10) / 10);

/**
 * A numeric bound. With nothing failed over (`actual` null) there is nothing to measure: the
 * bound holds only when the expected outcome itself says nothing was promoted
 * (`no-failover`, `aborted`); otherwise the scenario expected a failover that did not happen.
 */
function judgeBound(name: 'maxRtoSeconds' | 'maxDataLossSeconds', max: number, actual: number | null, expectedOutcome: Outcome | undefined): ExpectationResult {
  const what = name === 'maxRtoSeconds' ? 'RTO' : 'data loss';
  if (actual === null) {
    const noneExpected = expectedOutcome !== undefined && NO_PROMOTION_OUTCOMES.includes(expectedOutcome);
    return {
      name,
      held: noneExpected,
      expected: max,
      actual: null,
      detail: noneExpected
        ? `nothing failed over, as the expected outcome "${expectedOutcome}" says: no ${what} to measure`
        : `nothing failed over, so there is no ${what} to compare with ${num(max)} s`,
    };
  }
  const held = actual <= max;
  return { name, held, expected: max, actual, detail: `${what} ${num(actual)} s ${held ? '≤' : '>'} ${num(max)} s` };
}

/**
 * Judges each key present in `expect`, in the order outcome, writer, failovers, maxRtoSeconds,
 * maxDataLossSeconds. `writer: "primary"`/`"standby"` means the instance that held that role at
 * the start (`facts.roles`); any other value is compared as an instance id.
 */
export function judgeExpectations(expect: Expectations, facts: JudgeFacts): ExpectationResult[] {
  const results: ExpectationResult[] = [];
  if (expect.outcome !== undefined) {
    results.push({ name: 'outcome', held: facts.outcome === expect.outcome, expected: expect.outcome, actual: facts.outcome });
  }
  if (expect.writer !== undefined) {
    const role = expect.writer === 'primary' || expect.writer === 'standby' ? expect.writer : undefined;
    const id = role ? facts.roles[role] : expect.writer;
    results.push({
      name: 'writer',
      held: id !== null && facts.writer === id,
      expected: expect.writer,
      actual: facts.writer,
      detail: role
        ? id === null
          ? `the config names no ${role} instance`
          : `${role} = ${id} at the start; ${facts.writer === null ? 'no instance takes writes' : `${facts.writer} takes writes`} at the end`
        : `${facts.writer === null ? 'no instance takes writes' : `${facts.writer} takes writes`} at the end`,
    });
  }
  if (expect.failovers !== undefined) {
    results.push({
      name: 'failovers',
      held: facts.failovers === expect.failovers,
      expected: expect.failovers,
      actual: facts.failovers,
      detail: 'promotions, a failback switchover included',
    });
  }
  if (expect.maxRtoSeconds !== undefined) results.push(judgeBound('maxRtoSeconds', expect.maxRtoSeconds, facts.rtoSeconds, expect.outcome));
  if (expect.maxDataLossSeconds !== undefined) {
    results.push(judgeBound('maxDataLossSeconds', expect.maxDataLossSeconds, facts.dataLossSeconds, expect.outcome));
  }
  return results;
}

/** Invariants of the contract that the report does not mention (unchecked ones are not "held"). */
export function missingInvariants(report: Pick<Report, 'invariants'>): InvariantName[] {
  const present = new Set(report.invariants.map((i) => i.name));
  return INVARIANT_NAMES.filter((name) => !present.has(name));
}

/**
 * Liveness checks of the contract that the report does not mention. A report without the
 * `liveness` key (an older version's) has none to miss.
 */
export function missingLiveness(report: Pick<Report, 'liveness'>): LivenessName[] {
  if (report.liveness === undefined) return [];
  const present = new Set(report.liveness.map((l) => l.name));
  return LIVENESS_NAMES.filter((name) => !present.has(name));
}

/**
 * True when every contract invariant was checked and held, every liveness check (when the report
 * has them: every drill's does) was checked and held, every expectation was met, and (a real
 * drill) every measured check held.
 */
export function passed(report: Pick<Report, 'invariants' | 'expectations' | 'liveness'> & Partial<Pick<Report, 'measured'>>): boolean {
  return (
    (report.measured?.checks ?? []).every((c) => c.held) &&
    missingInvariants(report).length === 0 &&
    report.invariants.every((i) => i.held) &&
    missingLiveness(report).length === 0 &&
    (report.liveness ?? []).every((l) => l.held) &&
    report.expectations.every((e) => e.held)
  );
}

/**
 * Exit status of a finished drill: 0 when every invariant held (all seven checked), every
 * liveness check held (all three checked) and every expectation was met, else 1. (2, an invalid
 * scenario or config, is decided before a run.)
 */
export function exitStatus(report: Pick<Report, 'invariants' | 'expectations' | 'liveness'> & Partial<Pick<Report, 'measured'>>): 0 | 1 {
  return passed(report) ? EXIT.ok : EXIT.failed;
}

/** One database's invariant results (its own facts judged alone). */
export interface DatabaseInvariants {
  database: string;
  invariants: InvariantResult[];
}

/**
 * One result per invariant from each database's results (docs/scenarios.md: every invariant is judged
 * per database). An invariant holds when it held for every database. The detail names each
 * database, those where it broke first: `payments: <why it broke> | orders: <detail>`.
 * Invariants keep the contract's order; a name no database reported is left out (and is
 * reported missing by {@link missingInvariants}).
 */
export function judgePerDatabase(perDatabase: readonly DatabaseInvariants[]): InvariantResult[] {
  const names = INVARIANT_NAMES.filter((name) => perDatabase.some((d) => d.invariants.some((i) => i.name === name)));
  return names.map((name) => {
    const each = perDatabase.flatMap((d) => d.invariants.filter((i) => i.name === name).map((i) => ({ database: d.database, result: i })));
    const broken = each.filter((x) => !x.result.held);
    const ordered = [...broken, ...each.filter((x) => x.result.held)];
    return { name, held: broken.length === 0, detail: ordered.map((x) => `${x.database}: ${x.result.detail}`.trimEnd()).join(' | ') };
  });
}
