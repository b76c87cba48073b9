/**
 * The whole tree type-checks (`npm run typecheck`): vitest strips types without checking them, so
 * without this a type error in a test, a script or an unused local would reach main unseen.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('typecheck', () => {
  it('tsc --noEmit reports no error', () => {
    const run = spawnSync(process.execPath, [fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url)), '--noEmit', '-p', ROOT], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  }, 300_000);
});
