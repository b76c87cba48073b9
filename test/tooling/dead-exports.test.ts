/**
 * No dead code (`npm run deadcode`): knip with knip.json finds no unused file, export, exported type
 * or dependency, and no unlisted one. Remove what it lists (or un-export it); if something is used
 * in a way knip cannot see, say so in knip.json with the reason. A stale line in knip.json (an entry
 * that matches nothing, an ignore that is no longer needed) fails too.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const KNIP = fileURLToPath(new URL('../../node_modules/knip/bin/knip.js', import.meta.url));

describe('dead code', () => {
  it('knip finds nothing unused', () => {
    const run = spawnSync(process.execPath, [KNIP, '--no-progress', '--treat-config-hints-as-errors'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  }, 300_000);
});
