/**
 * The runtime import graph has no cycles. A cycle makes module initialisation order matter (a
 * class or constant read before its module has run is `undefined`), so none is allowed.
 * Type-only imports are left out (`import type` and imports TypeScript elides: they do not exist at
 * run time). The same check from the command line: `npm run cycles` (dpdm -T).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCircular, parseDependencyTree } from 'dpdm';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCES = ['bin/**/*.ts', 'lib/**/*.ts', 'lambdas/**/*.ts', 'twin/**/*.ts', 'scripts/*.ts', 'bench/*.ts'];

describe('import cycles', () => {
  it('no module imports itself at run time, through any chain', async () => {
    const tree = await parseDependencyTree(SOURCES, { cwd: ROOT, context: ROOT, transform: true, tsconfig: `${ROOT}tsconfig.json` });
    // It did read the tree (a glob that matches nothing would find no cycle either).
    expect(Object.keys(tree).filter((f) => f.startsWith('twin/')).length).toBeGreaterThan(50);
    expect(parseCircular(tree).map((cycle) => cycle.join(' -> '))).toEqual([]);
  }, 300_000);

  it('sees a run-time cycle, and not a type-only one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cycles-'));
    writeFileSync(join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = (): number => b + 1;\n");
    writeFileSync(join(dir, 'b.ts'), "import { c } from './c.js';\nexport const b = c;\n");
    writeFileSync(join(dir, 'c.ts'), "import type { a } from './a.js';\nimport { d } from './d.js';\nexport const c: number = d;\nexport type A = typeof a;\n");
    writeFileSync(join(dir, 'd.ts'), "import { b } from './b.js';\nexport const d = 1;\nexport const e = (): number => b;\n");
    writeFileSync(join(dir, 'tsconfig.json'), '{ "compilerOptions": { "module": "NodeNext", "moduleResolution": "NodeNext" } }\n');
    const cycles = (transform: boolean) =>
      parseDependencyTree(['*.ts'], { cwd: dir, context: dir, transform, tsconfig: join(dir, 'tsconfig.json') }).then((t) =>
        parseCircular(t).map((c) => [...c].sort()),
      );
    // a -> b -> c -> a only through c's `import type`: gone once types are elided; b -> c -> d -> b stays.
    expect(await cycles(true)).toEqual([['b.ts', 'c.ts', 'd.ts']]);
    expect(await cycles(false)).toHaveLength(2);
  });
});
