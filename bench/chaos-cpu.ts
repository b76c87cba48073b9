/**
 * `npx tsx bench/chaos-cpu.ts [--seed S] [--runs N] [--from I] [--json FILE]`: the CPU time of chaos
 * drills, measured in one process on the cases a campaign would run (twin/chaos/generate.ts, the
 * same validation and `runDrill` call as twin/chaos/worker.ts). Reports the process CPU time
 * (`process.cpuUsage`, user + system) per drill and in total, which, unlike wall time, means
 * something on a shared machine, and writes every run's verdict and a digest of its whole report
 * (minus `wallMs`): two versions of the twin that give the same digests ran the same drills.
 *
 *   npx tsx bench/chaos-cpu.ts --seed 5 --runs 30 --json /tmp/cpu.json
 *   node --expose-gc --import tsx bench/chaos-cpu.ts --runs 100    # and the heap after each drill
 *
 * The config palette is synthesized (or read from the synthesis cache) before any drill is timed.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { validateConfig } from '../lib/config/index.js';
import { generateCampaign } from '../twin/chaos/generate.js';
import { runDrill, synthesizeApp } from '../twin/drill/index.js';
import { validateScenario } from '../twin/scenario/load.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '5' },
    runs: { type: 'string', default: '20' },
    from: { type: 'string', default: '0' },
    json: { type: 'string' },
  },
});
const seed = Number(values.seed);
const from = Number(values.from);
const runs = Number(values.runs);
const plan = generateCampaign({ seed, runs: from + runs });
const cases = plan.cases.slice(from);

// Synthesize (or read from the cache) every config used before timing anything.
for (const id of new Set(cases.map((c) => c.configId))) {
  const entry = plan.palette.find((p) => p.id === id)!;
  await synthesizeApp(validateConfig(entry.config, 'chaos palette').config);
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
interface Row {
  index: number;
  configId: string;
  runFor: number;
  cpuMs: number;
  outcome?: string;
  violations?: string[];
  liveness?: string[];
  threw?: string;
  digest?: string;
  /** Heap in use after the drill (MB; after a full GC when node runs with --expose-gc). */
  heapMb?: number;
}
const rows: Row[] = [];
const total0 = process.cpuUsage();
for (const c of cases) {
  const scenario = validateScenario(c.file, { source: `${c.file.name}.json` });
  const t0 = process.cpuUsage();
  const row: Row = { index: c.index, configId: c.configId, runFor: c.file.runFor, cpuMs: 0 };
  try {
    const report = await runDrill(scenario, { seed: c.drillSeed });
    row.cpuMs = cpuMs(process.cpuUsage(t0));
    row.outcome = report.outcome;
    row.violations = report.invariants.filter((i) => !i.held).map((i) => i.name);
    row.liveness = (report.liveness ?? []).filter((l) => !l.held).map((l) => l.name);
    const { wallMs: _wall, ...rest } = report;
    row.digest = createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
  } catch (err) {
    row.cpuMs = cpuMs(process.cpuUsage(t0));
    row.threw = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  (globalThis as { gc?: () => void }).gc?.();
  row.heapMb = Math.round(process.memoryUsage().heapUsed / 1e6);
  rows.push(row);
  process.stderr.write(`  run ${c.index} (${c.configId}, ${(c.file.runFor / 3600).toFixed(1)} h): ${row.outcome ?? 'threw'} ${Math.round(row.cpuMs)} ms CPU, heap ${row.heapMb} MB\n`);
}
const totalMs = cpuMs(process.cpuUsage(total0));
const virtualHours = cases.reduce((n, c) => n + c.file.runFor, 0) / 3600;
const summary = {
  seed,
  from,
  runs: cases.length,
  cpuMsTotal: Math.round(totalMs),
  cpuMsPerDrill: Math.round(totalMs / cases.length),
  cpuMsPerVirtualHour: Math.round(totalMs / virtualHours),
  rows,
};
console.log(`${cases.length} drills (seed ${seed}, runs ${from}..${from + cases.length - 1}, ${virtualHours.toFixed(1)} virtual hours): ${summary.cpuMsTotal} ms CPU, ${summary.cpuMsPerDrill} ms per drill, ${summary.cpuMsPerVirtualHour} ms per virtual hour`);
if (values.json) writeFileSync(values.json, `${JSON.stringify(summary, null, 2)}\n`);
