/**
 * Bundle size and module-init time of every function, bundled exactly as `cdk deploy` bundles
 * them (lib/bundling.ts: split, so what a handler imports lazily sits in chunks beside
 * `index.mjs`). Sizes are byte counts (exact): `entryBytes` is `index.mjs` with the chunks it
 * imports statically, what every cold start loads; `lazyBytes` the chunks reached only through
 * dynamic import(), loaded only by the invocations that need them. Init time is the
 * median of several cold imports of `index.mjs` in fresh Node processes started as Lambda starts
 * them (`--enable-source-maps`, the source map beside the bundle), reported with its ratio to the
 * fastest function so the numbers survive a noisy machine. Functions on the failover's critical
 * path are held to {@link BUNDLE_LIMITS}.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_ENTRY_FILE, BUNDLE_LIMITS, CRITICAL_PATH_FUNCTIONS, functionBuildOptions } from '../lib/bundling.js';
import { PROJECT_ROOT } from '../lib/paths.js';

export interface BundleSize {
  function: string;
  /** Bytes of index.mjs and the chunks it imports statically. */
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

/**
 * Bundles one function into `outdir` (as deployed) and returns its sizes: `entryBytes` counts
 * index.mjs and every chunk it imports statically (all of it is loaded by a cold start),
 * `lazyBytes` the chunks reached only through dynamic import().
 */
/** The output files a cold start loads: the entry and every chunk it imports statically, transitively (absolute paths). */
export function staticallyLoaded(outputs: Record<string, { imports: ReadonlyArray<{ path: string; kind: string; external?: boolean }> }>, outdir: string): Set<string> {
  const loaded = new Set<string>();
  const visit = (file: string) => {
    if (loaded.has(file)) return;
    loaded.add(file);
    for (const dep of outputs[file]!.imports) if (dep.kind === 'import-statement' && !dep.external) visit(resolve(dep.path));
  };
  visit(resolve(outdir, BUNDLE_ENTRY_FILE));
  return loaded;
}

export async function bundleFunction(name: string, outdir: string): Promise<BundleSize> {
  const result = await build({ ...functionBuildOptions(join(PROJECT_ROOT, 'lambdas', name, 'handler.ts'), outdir), metafile: true, logLevel: 'silent' });
  const outputs = Object.fromEntries(Object.entries(result.metafile.outputs).map(([file, meta]) => [resolve(file), meta]));
  const code = Object.keys(outputs).filter((f) => f.endsWith('.mjs'));
  const loaded = staticallyLoaded(outputs, outdir);
  const size = (f: string) => statSync(f).size;
  return {
    function: name,
    entryBytes: [...loaded].reduce((n, f) => n + size(f), 0),
    lazyBytes: code.filter((f) => !loaded.has(f)).reduce((n, f) => n + size(f), 0),
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
