/**
 * `npx tsx bench/chaos-cpu.ts [--seed S] [--runs N] [--from I] [--json FILE]`: the CPU time per
 * chaos drill (bench/chaos.ts), with every run's outcome, failed checks and report digest.
 *
 *   npx tsx bench/chaos-cpu.ts --seed 5 --runs 20 --json /tmp/cpu.json
 *   node --expose-gc --import tsx bench/chaos-cpu.ts --runs 100    # and the heap after each drill
 *
 * Compare two versions of the twin on the same cases: the digests must be equal, and the CPU
 * figures are the speed-up (run them one after the other, or interleaved, on the same machine).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { benchChaosCpu } from './chaos.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '5' },
    runs: { type: 'string', default: '20' },
    from: { type: 'string', default: '0' },
    json: { type: 'string' },
  },
});
const result = await benchChaosCpu({
  seed: Number(values.seed),
  runs: Number(values.runs),
  from: Number(values.from),
  onRow: (row) =>
    process.stderr.write(
      `  run ${row.index} (${row.configId}, ${(row.runFor / 3600).toFixed(1)} h): ${row.outcome ?? 'threw'} ${Math.round(row.cpuMs)} ms CPU, heap ${row.heapMb} MB\n`,
    ),
});
console.log(
  `${result.runs} drills (seed ${result.seed}, runs ${result.from}..${result.from + result.runs - 1}, ${result.virtualHours.toFixed(1)} virtual hours): ${result.cpuMsTotal} ms CPU, ${result.cpuMsPerDrill} ms per drill, ${result.cpuMsPerVirtualHour} ms per virtual hour`,
);
if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
