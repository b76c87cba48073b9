/**
 * The import graph of the product and the twin has no cycle: not at run time, and not even
 * through type-only imports (twin/ports.ts holds the small interfaces that keep it so).
 * The same check from the command line (`npm run cycles`, twin/README.md):
 *   npx dpdm --no-warning --no-tree --tsconfig tsconfig.json 'bin/**\/*.ts' 'lib/**\/*.ts' 'lambdas/**\/*.ts' 'twin/**\/*.ts' 'scripts/*.ts' 'bench/*.ts'
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCircular, parseDependencyTree } from 'dpdm';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ENTRIES = ['twin/**/*.ts', 'lib/**/*.ts', 'lambdas/**/*.ts', 'bin/**/*.ts', 'scripts/*.ts', 'bench/*.ts'];

async function cycles(cwd: string, entries: string[], typeImports: boolean, minFiles = 2): Promise<string[]> {
  const tree = await parseDependencyTree(entries, {
    context: cwd,
    cwd,
    tsconfig: path.join(cwd, 'tsconfig.json'),
    // transform: drop type-only imports (what is left is the graph at run time).
    transform: !typeImports,
    skipDynamicImports: false,
    include: /\.ts$/,
    exclude: /node_modules/,
  });
  expect(Object.keys(tree).filter((f) => !f.includes('node_modules')).length).toBeGreaterThanOrEqual(minFiles);
  return parseCircular(tree).map((c) => c.join(' -> '));
}

describe('import cycles', () => {
  it.each([
    ['at run time', false],
    ['with type-only imports', true],
  ])(
    'bin/, lib/, lambdas/, twin/, scripts/ and bench/ have none %s',
    async (_, typeImports) => {
      expect(await cycles(ROOT, ENTRIES, typeImports, 200)).toEqual([]);
    },
    60_000,
  );

  it.each([
    ['a runtime cycle', "import { b } from './b.js';\nexport const a = () => b;\n", "import { a } from './a.js';\nexport const b = () => a;\n", false],
    [
      'a type-only cycle',
      "import type { B } from './b.js';\nexport interface A { b?: B }\n",
      "import type { A } from './a.js';\nexport interface B { a?: A }\n",
      true,
    ],
  ])('finds %s', async (_, a, b, typeImports) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cycles-'));
    try {
      writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
      writeFileSync(path.join(dir, 'a.ts'), a);
      writeFileSync(path.join(dir, 'b.ts'), b);
      expect(await cycles(dir, ['*.ts'], typeImports)).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
