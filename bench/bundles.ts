/**
 * Bundle size and module-init time of every function, bundled exactly as `cdk deploy` bundles
 * them (lib/bundling.ts: split, so what a handler imports lazily sits in chunks beside
 * `index.mjs`). Sizes are byte counts (exact): `entryBytes` is `index.mjs`, what every cold start
 * loads; `lazyBytes` the chunks, loaded only by the invocations that import them. Init time is the
 * median of several cold imports of `index.mjs` in fresh Node processes started as Lambda starts
 * them (`--enable-source-maps`, the source map beside the bundle), reported with its ratio to the
 * fastest function so the numbers survive a noisy machine. Functions on the failover's critical
 * path are held to {@link BUNDLE_LIMITS}.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_ENTRY_FILE, BUNDLE_LIMITS, CRITICAL_PATH_FUNCTIONS, functionBuildOptions } from '../lib/bundling.js';
import { PROJECT_ROOT } from '../lib/paths.js';

export interface BundleSize {
  function: string;
  /** Bytes of index.mjs. */
  entryBytes: number;
  /** Bytes of the chunks loaded on demand (source maps excluded). */
  lazyBytes: number;
}

export interface BundleRow extends BundleSize {
  criticalPath: boolean;
  initMsMedian: number;
  initRatio: number;
  /** Within {@link BUNDLE_LIMITS} (checked for critical-path functions only; `null` for the others). */
  withinTarget: boolean | null;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** The functions under lambdas/ (folders with a handler.ts). */
export const functionFolders = (): string[] =>
  readdirSync(join(PROJECT_ROOT, 'lambdas'))
    .filter((f) => f !== 'shared' && existsSync(join(PROJECT_ROOT, 'lambdas', f, 'handler.ts')))
    .sort();

/** Bundles one function into `outdir` (as deployed) and returns its sizes. */
export async function bundleFunction(name: string, outdir: string): Promise<BundleSize> {
  await build({ ...functionBuildOptions(join(PROJECT_ROOT, 'lambdas', name, 'handler.ts'), outdir), logLevel: 'silent' });
  const files = readdirSync(outdir).filter((f) => f.endsWith('.mjs'));
  const size = (f: string) => statSync(join(outdir, f)).size;
  return {
    function: name,
    entryBytes: size(BUNDLE_ENTRY_FILE),
    lazyBytes: files.filter((f) => f !== BUNDLE_ENTRY_FILE).reduce((n, f) => n + size(f), 0),
  };
}

/** Wall milliseconds to import the bundle in a fresh process (the module-init part of a cold start). */
function initMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const out = spawnSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, AWS_REGION: 'us-east-1', TABLE_NAME: 'bench', TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:bench', EVENT_BUS_NAME: 'bench' },
  });
  if (out.status !== 0) throw new Error(`importing ${file} failed: ${out.stderr}`);
  return Number(out.stdout);
}

export async function benchBundles(runs = 5): Promise<BundleRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rds-failover-bundles-'));
  try {
    const rows: Omit<BundleRow, 'initRatio'>[] = [];
    for (const name of functionFolders()) {
      const outdir = join(dir, name);
      const sizes = await bundleFunction(name, outdir);
      const times = Array.from({ length: runs }, () => initMs(join(outdir, BUNDLE_ENTRY_FILE)));
      const initMsMedian = Math.round(median(times) * 10) / 10;
      const criticalPath = (CRITICAL_PATH_FUNCTIONS as readonly string[]).includes(name);
      rows.push({
        ...sizes,
        criticalPath,
        initMsMedian,
        withinTarget: criticalPath ? sizes.entryBytes <= BUNDLE_LIMITS.entryBytes && initMsMedian <= BUNDLE_LIMITS.initMs : null,
      });
    }
    const fastest = Math.min(...rows.map((r) => r.initMsMedian));
    return rows.map((r) => ({ ...r, initRatio: Math.round((r.initMsMedian / fastest) * 100) / 100 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
