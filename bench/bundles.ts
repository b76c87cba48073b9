/**
 * Bundle size and module-init time of every function, bundled exactly as `cdk deploy` bundles
 * them (lib/bundling.ts). Sizes are byte counts (exact); init time is the median of several cold
 * imports in fresh Node processes, reported with its ratio to the fastest function so the numbers
 * survive a noisy machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_BANNER, BUNDLE_EXTERNALS, BUNDLE_MAIN_FIELDS, BUNDLE_TARGET } from '../lib/bundling.js';
import { PROJECT_ROOT } from '../lib/paths.js';

export interface BundleRow {
  function: string;
  bytes: number;
  initMsMedian: number;
  initRatio: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** Wall milliseconds to import the bundle in a fresh process (the module-init part of a cold start). */
function initMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, AWS_REGION: 'us-east-1', TABLE_NAME: 'bench', TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:bench', EVENT_BUS_NAME: 'bench' },
  });
  if (out.status !== 0) throw new Error(`importing ${file} failed: ${out.stderr}`);
  return Number(out.stdout);
}

export async function benchBundles(runs = 5): Promise<BundleRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rds-failover-bundles-'));
  try {
    const folders = readdirSync(join(PROJECT_ROOT, 'lambdas')).filter((f) => f !== 'shared' && existsSync(join(PROJECT_ROOT, 'lambdas', f, 'handler.ts')));
    const rows: Omit<BundleRow, 'initRatio'>[] = [];
    for (const folder of folders.sort()) {
      const outfile = join(dir, folder, 'index.mjs');
      await build({
        entryPoints: [join(PROJECT_ROOT, 'lambdas', folder, 'handler.ts')],
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: BUNDLE_TARGET,
        minify: true,
        mainFields: BUNDLE_MAIN_FIELDS,
        banner: { js: BUNDLE_BANNER },
        external: BUNDLE_EXTERNALS,
        outfile,
        logLevel: 'silent',
      });
      const times = Array.from({ length: runs }, () => initMs(outfile));
      rows.push({ function: folder, bytes: statSync(outfile).size, initMsMedian: Math.round(median(times) * 10) / 10 });
    }
    const fastest = Math.min(...rows.map((r) => r.initMsMedian));
    return rows.map((r) => ({ ...r, initRatio: Math.round((r.initMsMedian / fastest) * 100) / 100 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
