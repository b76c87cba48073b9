/**
 * The tree is formatted (`npm run format:check`): Prettier with .prettierrc.json finds nothing to
 * change in what .prettierignore and .gitignore leave it. Fix with `npm run format`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PRETTIER = fileURLToPath(new URL('../../node_modules/prettier/bin/prettier.cjs', import.meta.url));

describe('format', () => {
  it('Prettier lists no file it would change (run `npm run format`)', () => {
    const run = spawnSync(process.execPath, [PRETTIER, '--list-different', '--no-color', '.'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout, 'files Prettier would reformat').toBe('');
    expect(run.status).toBe(0);
  }, 300_000);

  it('applies .prettierrc.json to the sources (a config or ignore list that skips them would pass the check above)', () => {
    const run = spawnSync(process.execPath, [PRETTIER, '--stdin-filepath', 'lib/unformatted.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      input: 'const  a = "x"\n',
    });
    expect(run.stdout).toBe("const a = 'x';\n");
  });
});
