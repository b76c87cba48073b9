/**
 * The CPU time of chaos drills (issue: a 1000-run campaign within minutes on 2 cores), measured in
 * one process on the cases a campaign would run (twin/chaos/generate.ts; the same validation and
 * `runDrill` call as twin/chaos/worker.ts). It counts the process CPU time (`process.cpuUsage`,
 * user + system, which includes the garbage collector's threads) per drill and in total: unlike
 * wall time, a figure that means something on a shared machine. Each run also gets a digest of
 * its whole report (minus `wallMs`): two versions of the twin that give the same digests ran the
 * same drills, so a speed-up that changes a result shows here.
 *
 * Used by `npm run bench -- --chaos N` (bench/run.ts) and `npx tsx bench/chaos-cpu.ts`.
 */
import { createHash } from 'node:crypto';
import { validateConfig } from '../lib/config/index.js';
import { generateCampaign } from '../twin/chaos/generate.js';
import { runDrill, synthesizeApp } from '../twin/drill/index.js';
import { validateScenario } from '../twin/scenario/load.js';

/** One chaos drill, measured. */
export interface ChaosCpuRow {
  index: number;
  configId: string;
  /** Virtual seconds the drill ran. */
  runFor: number;
  cpuMs: number;
  outcome?: string;
  violations?: string[];
  liveness?: string[];
  threw?: string;
  /** First 16 hex digits of the SHA-256 of the report's JSON without `wallMs`. */
  digest?: string;
  /** Heap in use after the drill (MB; after a full GC when node runs with --expose-gc). */
  heapMb?: number;
}

export interface ChaosCpuResult {
  seed: number;
  from: number;
  runs: number;
  virtualHours: number;
  cpuMsTotal: number;
  cpuMsPerDrill: number;
  cpuMsPerVirtualHour: number;
  rows: ChaosCpuRow[];
}

const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

/**
 * Runs cases `from` .. `from + runs - 1` of the campaign of `seed` one after the other. The
 * palette's configs are synthesized (or read from the synthesis cache) before anything is timed.
 */
export async function benchChaosCpu(options: { seed: number; runs: number; from?: number; onRow?: (row: ChaosCpuRow) => void }): Promise<ChaosCpuResult> {
  const from = options.from ?? 0;
  const plan = generateCampaign({ seed: options.seed, runs: from + options.runs });
  const cases = plan.cases.slice(from);
  for (const id of new Set(cases.map((c) => c.configId))) {
    const entry = plan.palette.find((p) => p.id === id)!;
    await synthesizeApp(validateConfig(entry.config, 'chaos palette').config);
  }
  const rows: ChaosCpuRow[] = [];
  const total0 = process.cpuUsage();
  for (const c of cases) {
    const scenario = validateScenario(c.file, { source: `${c.file.name}.json` });
    const t0 = process.cpuUsage();
    const row: ChaosCpuRow = { index: c.index, configId: c.configId, runFor: c.file.runFor, cpuMs: 0 };
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
    options.onRow?.(row);
  }
  const totalMs = cpuMs(process.cpuUsage(total0));
  const virtualHours = cases.reduce((n, c) => n + c.file.runFor, 0) / 3600;
  return {
    seed: options.seed,
    from,
    runs: cases.length,
    virtualHours: Math.round(virtualHours * 10) / 10,
    cpuMsTotal: Math.round(totalMs),
    cpuMsPerDrill: Math.round(totalMs / Math.max(1, cases.length)),
    cpuMsPerVirtualHour: Math.round(totalMs / Math.max(virtualHours, 1e-9)),
    rows,
  };
}
