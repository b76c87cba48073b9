/**
 * Bundle size and module-init time of every function, bundled exactly as `cdk deploy` bundles
 * them (lib/bundling.ts: split, so what a handler imports lazily sits in chunks beside
 * `index.mjs`). Sizes are byte counts (exact): `entryBytes` is `index.mjs` with the chunks it
 * imports statically, what every cold start loads; `lazyBytes` the chunks reached only through
 * dynamic import(), loaded only by the invocations that need them. Init time is the
 * median of several cold imports of `index.mjs` in fresh Node processes started as Lambda starts
 * them (`--enable-source-maps`, the source map beside the bundle). Wall times move with the
 * machine's load, so each is also given as a ratio to importing an empty module the same way
 * (`initVsEmpty`, measured in the same pass): a figure that holds on a busy machine. Functions on
 * the failover's critical path are held to {@link BUNDLE_LIMITS}.
 *
 * For the critical path the same is measured with the AWS SDK's clients left to the Lambda
 * runtime ({@link RUNTIME_SDK_EXTERNALS}): the bundle is imported from a folder whose
 * `node_modules` holds the project's installed SDK, loaded as the runtime loads its own (CommonJS,
 * one file per package, not minified). `--no-runtime-sdk` skips it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildFunction } from '../scripts/bundle-function.mjs';
import { BUNDLE_ENTRY_FILE, BUNDLE_LIMITS, CRITICAL_PATH_FUNCTIONS, RUNTIME_SDK_EXTERNALS, functionBuildOptions } from '../lib/bundling.js';
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
  /** initMsMedian over the median import of an empty module in the same pass (contention-independent). */
  initVsEmpty: number;
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

/** The output files a cold start loads: the entry and every chunk it imports statically, transitively (absolute paths). */
export function staticallyLoaded(
  outputs: Record<string, { imports: ReadonlyArray<{ path: string; kind: string; external?: boolean }> }>,
  outdir: string,
): Set<string> {
  const loaded = new Set<string>();
  const visit = (file: string) => {
    if (loaded.has(file)) return;
    loaded.add(file);
    for (const dep of outputs[file]!.imports) if (dep.kind === 'import-statement' && !dep.external) visit(resolve(dep.path));
  };
  visit(resolve(outdir, BUNDLE_ENTRY_FILE));
  return loaded;
}

/**
 * Bundles one function into `outdir` (as deployed) and returns its sizes: `entryBytes` counts
 * index.mjs and every chunk it imports statically (all of it is loaded by a cold start),
 * `lazyBytes` the chunks reached only through dynamic import().
 */
export async function bundleFunction(name: string, outdir: string, options: { external?: readonly string[] } = {}): Promise<BundleSize> {
  const base = functionBuildOptions(join(PROJECT_ROOT, 'lambdas', name, 'handler.ts'), outdir);
  const external = [...(base.external ?? []), ...(options.external ?? [])];
  // As deployed (scripts/bundle-function.mjs): the main pass, and the credential chain's lazy links built apart.
  const { main, credentials } = await buildFunction({ ...base, external, metafile: true, logLevel: 'silent' });
  const outputs = Object.fromEntries(Object.entries(main.metafile.outputs).map(([file, meta]) => [resolve(file), meta]));
  const code = [...Object.keys(outputs), ...Object.keys(credentials?.metafile.outputs ?? {}).map((f) => resolve(f))].filter((f) => f.endsWith('.mjs'));
  const loaded = staticallyLoaded(outputs, outdir);
  const size = (f: string) => statSync(f).size;
  return {
    function: name,
    entryBytes: [...loaded].reduce((n, f) => n + size(f), 0),
    lazyBytes: [...new Set(code)].filter((f) => !loaded.has(f)).reduce((n, f) => n + size(f), 0),
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

/** One critical-path function with the SDK's clients left to the Lambda runtime (what a cold start would load from this package, and its init). */
export interface RuntimeSdkRow {
  function: string;
  /** Cold-start bytes of the function's own bundle (the runtime's SDK files not counted). */
  entryBytes: number;
  initMsMedian: number;
  initVsEmpty: number;
  /** The same function as deployed (SDK bundled); its init measured in turn with this one's. */
  bundledEntryBytes: number;
  bundledInitMsMedian: number;
}

export interface BundleBench {
  rows: BundleRow[];
  /** Median ms to import an empty module in a fresh process (the init ratios' denominator). */
  emptyInitMs: number;
  runtimeSdk: RuntimeSdkRow[];
}

export async function benchBundles(runs = 5, options: { runtimeSdk?: boolean } = {}): Promise<BundleBench> {
  const dir = mkdtempSync(join(tmpdir(), 'rds-failover-bundles-'));
  try {
    // The runtime's SDK stands in as node_modules above every bundle (Lambda resolves the clients it
    // includes for a function's ESM code): a bundle that leaves the clients to the runtime loads
    // them from there; the deployed bundles import nothing bare (test/lib/bundles.test.ts).
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const empty = join(dir, 'empty.mjs');
    writeFileSync(empty, 'export const handler = async () => null;\n');
    const emptyTimes: number[] = [];
    const medianInit = (file: string) => {
      // An empty import between each function's imports: the baseline sees the same load.
      emptyTimes.push(initMs(empty));
      return Math.round(median(Array.from({ length: runs }, () => initMs(file))) * 10) / 10;
    };
    const rows: Omit<BundleRow, 'initRatio' | 'initVsEmpty'>[] = [];
    for (const name of functionFolders()) {
      const outdir = join(dir, name);
      const sizes = await bundleFunction(name, outdir);
      const initMsMedian = medianInit(join(outdir, BUNDLE_ENTRY_FILE));
      const criticalPath = (CRITICAL_PATH_FUNCTIONS as readonly string[]).includes(name);
      rows.push({
        ...sizes,
        criticalPath,
        initMsMedian,
        withinTarget: criticalPath ? sizes.entryBytes <= BUNDLE_LIMITS.entryBytes && initMsMedian <= BUNDLE_LIMITS.initMs : null,
      });
    }
    const runtimeSdk: Omit<RuntimeSdkRow, 'initVsEmpty'>[] = [];
    if (options.runtimeSdk ?? true) {
      const root = join(dir, 'runtime-sdk');
      mkdirSync(root);
      for (const name of CRITICAL_PATH_FUNCTIONS) {
        const outdir = join(root, name);
        const { entryBytes } = await bundleFunction(name, outdir, { external: RUNTIME_SDK_EXTERNALS });
        const bundled = rows.find((r) => r.function === name)!;
        // Both ways in turn, so that both see the same load: their ratio is what holds.
        const times: Record<'runtime' | 'bundled', number[]> = { runtime: [], bundled: [] };
        emptyTimes.push(initMs(empty));
        for (let i = 0; i < runs; i++) {
          times.bundled.push(initMs(join(dir, name, BUNDLE_ENTRY_FILE)));
          times.runtime.push(initMs(join(outdir, BUNDLE_ENTRY_FILE)));
        }
        const ms = (xs: number[]) => Math.round(median(xs) * 10) / 10;
        runtimeSdk.push({
          function: name,
          entryBytes,
          initMsMedian: ms(times.runtime),
          bundledEntryBytes: bundled.entryBytes,
          bundledInitMsMedian: ms(times.bundled),
        });
      }
    }
    const emptyInitMs = Math.round(median(emptyTimes) * 10) / 10;
    const vsEmpty = (ms: number) => Math.round((ms / emptyInitMs) * 10) / 10;
    const fastest = Math.min(...rows.map((r) => r.initMsMedian));
    return {
      rows: rows.map((r) => ({ ...r, initRatio: Math.round((r.initMsMedian / fastest) * 100) / 100, initVsEmpty: vsEmpty(r.initMsMedian) })),
      emptyInitMs,
      runtimeSdk: runtimeSdk.map((r) => ({ ...r, initVsEmpty: vsEmpty(r.initMsMedian) })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
