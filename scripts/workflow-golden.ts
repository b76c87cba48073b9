/**
 * Writes the golden failover and failback definitions (test/fixtures/workflow-golden/) from the
 * current lib/workflow/: only when a definition changes on purpose, in a commit that says why
 * (test/lib/workflow/golden-cases.ts). Identical definitions are written once; index.json says
 * which file holds each case's.
 *
 *   node --import tsx scripts/workflow-golden.ts
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GOLDEN_CASES, GOLDEN_DIR, GOLDEN_INDEX, goldenDefinitions, type GoldenIndex, type Workflow } from '../test/lib/workflow/golden-cases.js';

mkdirSync(GOLDEN_DIR, { recursive: true });
for (const f of readdirSync(GOLDEN_DIR)) if (f.endsWith('.json')) rmSync(join(GOLDEN_DIR, f));
const index: GoldenIndex = {};
const written = new Map<string, string>();
for (const c of GOLDEN_CASES) {
  const defs = goldenDefinitions(c);
  const files = {} as Record<Workflow, string>;
  for (const workflow of ['failover', 'failback'] as const) {
    const text = defs[workflow];
    let file = written.get(text);
    if (!file) {
      file = `${c.name}.${workflow}.json`;
      writeFileSync(join(GOLDEN_DIR, file), text);
      written.set(text, file);
    }
    files[workflow] = file;
  }
  index[c.name] = files;
  process.stdout.write(`${c.name}: failover → ${files.failover}, failback → ${files.failback}\n`);
}
writeFileSync(GOLDEN_INDEX, `${JSON.stringify(index, null, 2)}\n`);
