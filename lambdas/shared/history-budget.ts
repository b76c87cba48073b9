/**
 * The failback's share of Step Functions' 25,000-event execution history (docs/aws-behaviour.md
 * §6: an execution that reaches it fails). A failback waits in loops whose length the config sets
 * (`maxWaitHours`, `rebuildTimeoutMinutes`, `stabilityMinutes`, the drain), so the number of
 * checks each loop may make is fixed here and the interval between checks grows with the
 * configured time instead: the worst case the config allows stays under the limit with a margin,
 * whatever the settings.
 *
 * Events per check are what the synthesized loops write (a Task is 5 events: entered, scheduled,
 * started, succeeded, exited; a Wait, Pass or Choice 2); `test/twin/drill/history-budget.test.ts`
 * measures them on the twin, which fails an execution at the limit as Step Functions does.
 */

/** Step Functions fails an execution whose history reaches this many events. */
export const HISTORY_EVENT_LIMIT = 25_000;
/** The worst case a failback is planned for: 20% below the limit. */
export const FAILBACK_HISTORY_BUDGET = 20_000;

/** Most checks of each failback loop over a whole run. */
export const MAX_CHECKS = {
  /** Waiting for the original site to answer (over `maxWaitHours`). */
  site: 400,
  /** Each of the 4 rebuild waits (2 rebuilds × parameter group and catch-up), per wait. */
  rebuildPerWait: 75,
  /** The stability phase, relapses included. */
  stability: 360,
  /** The traffic drain, all steps together. */
  drain: 240,
} as const;

/** History events one check of each loop writes (measured on the twin: test/twin/drill/history-budget.test.ts). */
export const EVENTS_PER_CHECK = { site: 9, rebuild: 11, stability: 11, drain: 11 } as const;

/**
 * Everything else a failback writes at most: its steps (lease, fence, promotion, records, about
 * 600 events), the drain's step changes (about 30 each, 10 at most), its waits with fixed
 * bounds (lib/workflow/failback.ts FAILBACK_TIMING: 2 preservations of 120 checks, 30 lag checks,
 * 60 writability checks, 30 Route 53 checks, 11 events each), and the two rebuilds' retries while
 * the current primary is busy (`busySourceRetry`: 75 each, 3 events per retry). A test adds them up.
 */
export const FAILBACK_FIXED_EVENTS = 5_400;

/** The first wait of the original-site backoff, and its shortest cap. */
export const SITE_FIRST_WAIT_SECONDS = 300;
export const SITE_MIN_CAP_SECONDS = 900;

/**
 * The longest wait between two checks of the original site: 15 minutes, or longer when
 * `maxWaitHours` would otherwise take more than {@link MAX_CHECKS.site} checks
 * (up to 100 hours: 15 minutes; 168 hours: 25.2 minutes; 8,760 hours: 21.9 hours).
 */
export const siteCapSeconds = (maxWaitHours: number): number => Math.max(SITE_MIN_CAP_SECONDS, Math.ceil((maxWaitHours * 3600) / MAX_CHECKS.site));

/** Seconds between two checks of a rebuilt replica: a minute, or longer for long timeouts. */
export const rebuildIntervalSeconds = (rebuildTimeoutMinutes: number): number =>
  Math.max(60, Math.ceil((rebuildTimeoutMinutes * 60) / MAX_CHECKS.rebuildPerWait));

/** Seconds between two alarm checks of a drain step: a minute, or longer for long drains. */
export const drainIntervalSeconds = (steps: number, stepObservationMinutes: number): number =>
  Math.max(60, Math.ceil((steps * stepObservationMinutes * 60) / MAX_CHECKS.drain));

export interface HistoryWorstCase {
  events: number;
  parts: Array<{ what: string; checks: number; events: number }>;
}

/** The most events a failback of these settings can write, loop by loop. */
export function failbackWorstCase(o: { maxWaitHours: number; rebuildTimeoutMinutes: number; stabilityChecks: number; drainChecks: number }): HistoryWorstCase {
  const site = siteChecks(o.maxWaitHours);
  const rebuild = 4 * Math.ceil((o.rebuildTimeoutMinutes * 60) / rebuildIntervalSeconds(o.rebuildTimeoutMinutes));
  const parts = [
    { what: 'waiting for the original site', checks: site, events: site * EVENTS_PER_CHECK.site },
    { what: '2 rebuilds (parameter group, catch-up)', checks: rebuild, events: rebuild * EVENTS_PER_CHECK.rebuild },
    { what: 'the stability phase', checks: o.stabilityChecks, events: o.stabilityChecks * EVENTS_PER_CHECK.stability },
    { what: 'the traffic drain', checks: o.drainChecks, events: o.drainChecks * EVENTS_PER_CHECK.drain },
    { what: 'the fixed steps and bounded waits', checks: 0, events: FAILBACK_FIXED_EVENTS },
  ];
  return { events: parts.reduce((n, p) => n + p.events, 0), parts };
}

/** Checks of the original site before `maxWaitHours` have passed: 5, 10, 20 … minutes, then the cap. */
export function siteChecks(maxWaitHours: number): number {
  const cap = siteCapSeconds(maxWaitHours);
  const total = maxWaitHours * 3600;
  let waited = 0;
  let checks = 1;
  for (let wait = SITE_FIRST_WAIT_SECONDS; waited < total; wait = Math.min(cap, wait * 2)) {
    waited += Math.min(wait, cap);
    checks++;
  }
  return checks;
}

// ------------------------------------------------------------------ the failover's watch

/**
 * A failover's watch while a verdict question waits (lib/workflow/failover.ts): one probe round
 * from every vantage point per check. One check writes about
 * {@link WATCH_EVENTS_FIXED} + {@link WATCH_EVENTS_PER_VANTAGE} × vantage points events (the wait,
 * the "still waiting?" call, the Map with one probe per vantage point, the verdict, the call that
 * withdraws or keeps the question, two choices; measured on the twin). One question's watch stays
 * within {@link WATCH_EVENT_BUDGET}: a run asks at most 5 verdict questions (the first, 3 withdrawn
 * by new triggers or its own probes, and one more withdrawn by its own probes), about 15,000
 * events with the rest of the run well under the limit. The watch beside an unfenced-promotion
 * question shares the interval and the count of withdrawals (one `reverify.count` per run, so at
 * most 5 watched questions of either kind) and writes less per check: the wait, the "still
 * waiting?" call, one fence attempt and two choices, 16 events, at most 40 checks a question.
 */
export const WATCH_EVENTS_FIXED = 21;
export const WATCH_EVENTS_PER_VANTAGE = 8;
export const WATCH_EVENT_BUDGET = 3_000;
/** Fewest seconds between two checks, and most checks while one question waits. */
export const MIN_WATCH_INTERVAL_SECONDS = 30;
export const MAX_WATCH_CHECKS = 40;

/** How many checks the watch makes at most while one question waits, for this many vantage points (the control plane's included). */
export const watchChecks = (vantagePoints: number): number =>
  Math.max(1, Math.min(MAX_WATCH_CHECKS, Math.floor(WATCH_EVENT_BUDGET / (WATCH_EVENTS_FIXED + WATCH_EVENTS_PER_VANTAGE * vantagePoints))));

/** Seconds between two checks of the watch: 30 s, or slower so that {@link watchChecks} fit in the approval timeout. */
export const watchIntervalSeconds = (approvalTimeoutSeconds: number, vantagePoints: number): number =>
  Math.max(MIN_WATCH_INTERVAL_SECONDS, Math.ceil(approvalTimeoutSeconds / watchChecks(vantagePoints)));
