/**
 * State transitions of a hot crash's failover, per seed: the entered states of the run that told
 * the operators it failed over (FAILOVER_STATES.tellOperators), up to and including that state, as
 * bench/run.ts counts them (bench/transitions.ts). Target (issue #13): ≤ 100 on every seed.
 *
 *   node --import tsx scripts/count-transitions.ts                 # scenarios/crash-hot.json, seeds 1..10
 *   node --import tsx scripts/count-transitions.ts --seeds 3 --scenario scenarios/crash-hot.json --states
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../lib/paths.js';
import { statesToFailedOver } from '../bench/transitions.js';
import { runDrill } from '../twin/drill/index.js';
import { loadScenarioFile } from '../twin/scenario/index.js';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: join(PROJECT_ROOT, 'scenarios', 'crash-hot.json') },
    seeds: { type: 'string', default: '10' },
    states: { type: 'boolean', default: false },
  },
});
const scenario = loadScenarioFile(values.scenario);
const counts: Array<number | null> = [];
for (let seed = 1; seed <= Number(values.seeds); seed++) {
  let entered: string[] | undefined;
  await runDrill(scenario, {
    seed,
    onFinish: (_world, _deployment, facts) => {
      entered = statesToFailedOver(facts);
    },
  });
  counts.push(entered ? entered.length : null);
  process.stdout.write(`seed ${seed}: ${entered ? entered.length : '-'}\n`);
  if (values.states && entered) {
    const tally = new Map<string, number>();
    for (const s of entered) tally.set(s, (tally.get(s) ?? 0) + 1);
    for (const [s, n] of tally) process.stdout.write(`    ${n} × ${s}\n`);
  }
}
const known = counts.filter((c): c is number => c !== null).sort((a, b) => a - b);
const middle = (known.length - 1) / 2;
const median = known.length ? (known[Math.floor(middle)]! + known[Math.ceil(middle)]!) / 2 : null;
process.stdout.write(
  `counts: ${counts.map((c) => c ?? '-').join(' ')}; min ${known[0] ?? '-'}, median ${median ?? '-'}, max ${known.at(-1) ?? '-'} (target ≤ 100)\n`,
);
