/**
 * A chaos campaign worker: a child process (forked by twin/chaos/pool.ts with tsx) that runs the
 * drills it is sent, one after the other (`runDrill` takes process-wide globals: one drill per
 * process at a time), and answers each with a {@link DrillVerdict}.
 *
 * Messages in: {@link WorkerRequest}; out: {@link WorkerResponse}. A drill that throws is answered
 * with `threw` (a twin or app crash is a finding); the worker itself keeps going.
 */
import { validateConfig } from '../../lib/config/index.js';
import type { Report } from '../report/types.js';
import type { WorkerRequest, WorkerResponse, DrillVerdict } from './protocol.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const runner = import('../drill/run.js');
const synth = import('../drill/synth.js');
const load = import('../scenario/load.js');

/** Runs one request; never throws (errors become the answer). */
async function handle(request: WorkerRequest): Promise<WorkerResponse> {
  const started = performance.now();
  if (request.type === 'synth') {
    try {
      const { synthesizeApp } = await synth;
      const result = await synthesizeApp(validateConfig(request.config, 'chaos palette').config);
      return { type: 'synth', id: request.id, cache: result.cache, ms: result.ms };
    } catch (err) {
      return { type: 'synth', id: request.id, cache: 'error', ms: performance.now() - started, error: describe(err) };
    }
  }
  let verdict: DrillVerdict;
  try {
    const { validateScenario } = await load;
    const scenario = validateScenario(request.file, { source: `${request.file.name}.json` });
    const { runDrill } = await runner;
    const report = await runDrill(scenario, { seed: request.seed });
    verdict = {
      outcome: report.outcome,
      failovers: report.failovers,
      violations: report.invariants.filter((i) => !i.held).map((i) => ({ name: i.name, detail: i.detail })),
      liveness: (report.liveness ?? []).filter((l) => !l.held).map((l) => ({ name: l.name, detail: l.detail })),
      livenessChecked: (report.liveness ?? []).map((l) => l.name),
      escalations: (report.escalations ?? []).map((x) => ({ t: x.t, stateMachine: x.stateMachine, cause: x.cause, evidence: x.evidence })),
      ...(report.config ? { config: briefConfig(report.config) } : {}),
      // Drill runs (game days): those whose trigger was a Drill Requested, and those that stood down.
      drills: drillCounts(report.timeline),
      wallMs: performance.now() - started,
    };
  } catch (err) {
    verdict = { violations: [], wallMs: performance.now() - started, threw: describe(err) };
  }
  return { type: 'drill', id: request.id, verdict };
}

/** The config in brief, for the summary's list of failing runs. */
const briefConfig = (c: NonNullable<Report['config']>): string =>
  `${c.engine} ${c.standby.readiness}, ${c.failoverMode}, fencing ${c.fencing}, rpo ${c.rpoBudgetSeconds} s${c.rpoEstimate === 'strict' ? ' (strict)' : ''}, failback ${c.failbackPolicy}, ${c.vantagePoints.length} vantage point(s) quorum ${c.quorum}, ${c.primary.region} → ${c.standby.region}`;

const describe = (err: unknown): string => (err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err));

// Requests are handled strictly one after the other.
let queue: Promise<void> = Promise.resolve();
process.on('message', (request: WorkerRequest) => {
  queue = queue.then(async () => {
    const response = await handle(request);
    process.send?.(response);
  });
});
process.on('disconnect', () => process.exit(0));

/** Drill runs of a report's timeline: the runs whose trigger was a drill, and those of them that stood down. */
function drillCounts(timeline: ReadonlyArray<{ event: string; detail: Record<string, unknown> }>): { runs: number; stoodDown: number; failedOver: number } {
  const runs = new Set<string>();
  const down = new Set<string>();
  const over = new Set<string>();
  const run = (event: string): string => event.split(':')[0]!;
  for (const e of timeline) if (e.detail.trigger === 'drill') runs.add(run(e.event));
  for (const e of timeline) {
    if (!runs.has(run(e.event))) continue;
    if (/: stood down: /.test(e.event)) down.add(run(e.event));
    if (e.detail.phase === 'failed-over') over.add(run(e.event));
  }
  return { runs: runs.size, stoodDown: down.size, failedOver: over.size };
}
