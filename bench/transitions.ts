/**
 * Issue #13's count of a failover's state transitions: the states entered by the first run that told
 * the operators it failed over, up to and including that state (the fence loop that may follow is
 * not counted). Shared by `npm run bench` and scripts/count-transitions.ts.
 */
import { FAILOVER_STATES } from '../lib/workflow/failover.js';
import type { DrillFacts } from '../twin/drill/measure.js';

export function statesToFailedOver(facts: Pick<DrillFacts, 'executions'>): string[] | undefined {
  const run = facts.executions.find((e) => e.entered.includes(FAILOVER_STATES.tellOperators));
  return run?.entered.slice(0, run.entered.indexOf(FAILOVER_STATES.tellOperators) + 1);
}
