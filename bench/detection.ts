/**
 * Detection time per failure kind (issue: "detection in under a minute for every failure kind"):
 * from the failure's onset to the first verdict of the run it started, in the twin's virtual time,
 * over several seeds, p50 against its target.
 *
 * The heartbeat schedules fire once a minute from the deployment, and the scenarios put their
 * faults on whole minutes: run as written, every failure would start just as a heartbeat runs (the
 * best case). Each seed therefore moves the scenario's events later by its own share of the
 * heartbeat period (seed k of N: (k + 0.5) / N × period), so the N runs sample the phase between
 * the failure and the next heartbeat evenly. The drill runs only until a few minutes after the
 * fault (the verdict is all this measures).
 *
 * Not in the figures (the twin charges no virtual time inside a call: twin/README.md, "No real time
 * passes inside a call"): a heartbeat's connection timeout before it counts as failed (the
 * heartbeat input's `timeoutMs`, 3 s by default) and the probes' timeouts in each round. The table
 * states that allowance next to the p50.
 *
 * Used by `npm run bench` (bench/run.ts) and `npx tsx bench/detection.ts [--seeds N]`.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../lib/paths.js';
import { runDrill } from '../twin/drill/index.js';
import { loadScenarioFile } from '../twin/scenario/index.js';
import type { Scenario } from '../twin/scenario/schema.js';

/** One failure kind: the scenario that shows it, and its target (seconds, p50), if the issue sets one. */
export interface DetectionKind {
  kind: string;
  scenario: string;
  targetSeconds?: number;
}

export const DETECTION_KINDS: readonly DetectionKind[] = [
  { kind: 'crash with an RDS event', scenario: 'crash-hot', targetSeconds: 30 },
  { kind: 'Region outage (no RDS event)', scenario: 'region-outage', targetSeconds: 60 },
  { kind: 'Aurora writer crash (no RDS event)', scenario: 'crash-aurora-global' },
];

export interface DetectionRow {
  kind: string;
  scenario: string;
  seeds: number;
  /** Onset → verdict per seed (s), in seed order; null: no verdict within the window. */
  perSeed: (number | null)[];
  /** What started the run that reached the verdict, per seed. */
  triggers: string[];
  p50Seconds: number | null;
  maxSeconds: number | null;
  targetSeconds: number | null;
  met: boolean | null;
}

/** Seconds the drill runs after the (shifted) fault: enough for a verdict reached by the alarm path too. */
const WINDOW_SECONDS = 300;

/** The scenario with every event `offset` seconds later, cut `WINDOW_SECONDS` after its first fault. */
export function shifted(scenario: Scenario, offset: number): Scenario {
  const first = scenario.events.find((e) => 'fault' in e);
  const end = (first?.at ?? 0) + offset + WINDOW_SECONDS;
  return {
    ...scenario,
    events: scenario.events.map((e) => ({ ...e, at: e.at + offset })).filter((e) => e.at < end),
    runFor: Math.min(scenario.runFor + offset, end),
  };
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Math.round(((s[m - 1]! + s[m]!) / 2) * 10) / 10;
};

/** Measures every kind over `seeds` seeds. */
export async function benchDetection(options: { seeds?: number; kinds?: readonly DetectionKind[] } = {}): Promise<DetectionRow[]> {
  const seeds = Math.max(1, options.seeds ?? 5);
  const rows: DetectionRow[] = [];
  for (const k of options.kinds ?? DETECTION_KINDS) {
    const scenario = loadScenarioFile(join(PROJECT_ROOT, 'scenarios', `${k.scenario}.json`));
    const period = scenario.databaseConfig.detection.heartbeat.periodSeconds;
    const perSeed: (number | null)[] = [];
    const triggers: string[] = [];
    for (let i = 0; i < seeds; i++) {
      const offset = Math.round(((i + 0.5) / seeds) * period * 10) / 10;
      const report = await runDrill(shifted(scenario, offset), { seed: i + 1 });
      const fault = report.timeline.find((e) => e.source === 'fault');
      const verdict = fault && report.timeline.find((e) => e.t >= fault.t && e.source === 'workflow' && (e.detail as { phase?: string }).phase === 'verdict');
      const trigger =
        fault && report.timeline.find((e) => e.t >= fault.t && e.source === 'workflow' && typeof (e.detail as { trigger?: unknown }).trigger === 'string');
      perSeed.push(fault && verdict ? Math.round((verdict.t - fault.t) * 10) / 10 : null);
      triggers.push(String((trigger?.detail as { trigger?: string } | undefined)?.trigger ?? '-'));
      process.stderr.write(`  detection ${k.scenario} seed ${i + 1} (+${offset} s): ${perSeed.at(-1) ?? 'no verdict'} s\n`);
    }
    const measured = perSeed.filter((x): x is number => x !== null);
    const p50 = measured.length === seeds ? median(measured) : null;
    rows.push({
      kind: k.kind,
      scenario: k.scenario,
      seeds,
      perSeed,
      triggers: [...new Set(triggers)],
      p50Seconds: p50,
      maxSeconds: measured.length ? Math.max(...measured) : null,
      targetSeconds: k.targetSeconds ?? null,
      met: k.targetSeconds === undefined ? null : p50 !== null && p50 <= k.targetSeconds,
    });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { seeds: { type: 'string', default: '5' }, only: { type: 'string', multiple: true } } });
  const kinds = DETECTION_KINDS.filter((k) => !values.only || values.only.includes(k.scenario));
  const rows = await benchDetection({ seeds: Number(values.seeds), kinds });
  console.table(rows.map((r) => ({ ...r, perSeed: r.perSeed.join(' '), triggers: r.triggers.join(',') })));
}
