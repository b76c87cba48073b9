/**
 * The tree lints clean (`npm run lint`): ESLint with eslint.config.js over every file it covers.
 * Runs ESLint's Node API in-process (no second Node start-up); on failure the message is ESLint's
 * own report, file by file.
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('lint', () => {
  it('ESLint reports no problem in the tree', async () => {
    const eslint = new ESLint({ cwd: ROOT });
    const results = await eslint.lintFiles(['.']);
    const problems = results.filter((r) => r.errorCount + r.warningCount > 0);
    const report = problems.length === 0 ? '' : await (await eslint.loadFormatter('stylish')).format(problems);
    expect(report).toBe('');
    // It did lint the tree (a broken config or ignore list must not pass by linting nothing).
    expect(results.length).toBeGreaterThan(300);
  }, 300_000);
});
