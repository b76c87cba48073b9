/**
 * How every function is bundled, in one place so the benchmark (`npm run bench`) and the bundle
 * test measure exactly what `cdk deploy` ships. No aws-cdk-lib import here.
 *
 * NodejsFunction runs esbuild into a single `index.mjs`; its afterBundling hook then rebuilds the
 * same entry with code splitting (scripts/bundle-function.mjs, options from
 * {@link functionBuildOptions}): what a handler loads with a dynamic `import()` (the SQL drivers,
 * the IAM token signer, clients of rarely taken paths) goes into chunks of its own in the same
 * asset, read only by the invocation that needs them. `index.mjs` and the chunks it imports
 * statically are what every cold start loads (README.md, "Performance"; `npm run bench`).
 */
import type { BuildOptions } from 'esbuild';

/** Bundled CommonJS dependencies (pg, mysql2) call require(): give the ESM output one. */
export const BUNDLE_BANNER = "import { createRequire as __rdsFailoverRequire } from 'node:module'; const require = __rdsFailoverRequire(import.meta.url);";

/**
 * pg's optional native binding is never installed. The AWS SDK is bundled, on purpose (docs/scale.md,
 * "Function bundles and the AWS SDK"):
 *
 * - the version tested (unit tests, the cloud twin, which runs these sources with the installed
 *   SDK) is the version run. The SDK the Lambda runtime provides is one AWS picks and updates on
 *   its own schedule, older than the project's; a client older than a parameter drops it without
 *   an error when it serializes the request (promote-standby's FailoverGlobalCluster relies on
 *   `AllowDataLoss` / `Switchover`), and a function whose code did not change would change
 *   behaviour when the runtime's SDK does;
 * - it starts faster: `npm run bench` measures each critical-path function both ways, and left to
 *   the runtime its SDK clients load as whole CommonJS packages (every command of the service, not
 *   minified): module init 1.5 to 6.8 times the bundled one (fence-primary, with the EC2 client,
 *   the most). AWS recommends bundling for both reasons.
 *
 * The price was a function over {@link BUNDLE_LIMITS}.entryBytes at a cold start (fence-primary, until
 * the fence record moved to record-fence; {@link BUNDLE_OVER_LIMIT} holds the ceiling of any such
 * function, none now); left to the runtime, every one would be under it
 * ({@link RUNTIME_SDK_EXTERNALS}, measured by the bench), with a slower init. What the SDK loads at
 * a cold start is trimmed at build time instead (scripts/bundle-function.mjs): the shapes of
 * operations no function sends, the credential chain past its first link (the environment, which
 * Lambda always answers), the protocols of lazily loaded clients, each client's package.json but
 * its version, the boilerplate of each modelled error class (one factory builds them all), the
 * modelled errors themselves (loaded with the first error answer), and the SigV4a paths of the
 * multi-Region signer (loaded the first time a request asks for them).
 */
export const BUNDLE_EXTERNALS = ['pg-native'];

/**
 * What the bench leaves to the Lambda runtime to compare (bench/bundles.ts): the service clients,
 * which every Node.js runtime of Lambda includes (SDK for JavaScript v3). Not the other @aws-sdk
 * packages (the token signer, util-dynamodb): which of those a runtime includes is not documented.
 */
export const RUNTIME_SDK_EXTERNALS: readonly string[] = ['@aws-sdk/client-*'];

export const BUNDLE_MAIN_FIELDS = ['module', 'main'];

/** esbuild target matching the Lambda runtime (Node.js 24). */
export const BUNDLE_TARGET = 'node24';

/** The file the Lambda handler `index.handler` names; chunks go beside it as `chunk-<hash>.mjs`. */
export const BUNDLE_ENTRY_FILE = 'index.mjs';

/** Limits every function on a failover's critical path is held to (bench/bundles.ts, test/lib/bundles.test.ts). */
export const BUNDLE_LIMITS = {
  /** Bytes of `index.mjs` and the chunks it imports statically, what a cold start loads (chunks reached only by import() are not counted). */
  entryBytes: 250 * 1024,
  /** Median module-init time over cold imports in fresh Node processes. */
  initMs: 100,
} as const;

/**
 * The functions a failover runs from detection to recorded incident: the heartbeat and probes that
 * detect, and every function the failover state machine invokes (test/lib/bundles.test.ts checks
 * the list against lib/workflow/failover.ts).
 */
export const CRITICAL_PATH_FUNCTIONS = [
  'heartbeat',
  'probe',
  'accept-trigger',
  'manage-lease',
  'probe-vantage',
  'evaluate-verdict',
  'check-data-loss-budget',
  'request-approval',
  'fence-primary',
  'record-fence',
  'promote-standby',
  'check-standby',
  'switch-dns',
  'verify-writes',
  'record-incident',
  'start-fault-experiment',
  // Not on the way to a failover: it undoes the run's fence when the run ends without promoting.
  'restore-ingress',
] as const;

/**
 * Critical-path functions whose cold-start bytes are over {@link BUNDLE_LIMITS}.entryBytes, each with
 * the ceiling it must stay under (test/lib/bundles.test.ts; lower a ceiling when a function
 * shrinks, remove the entry when it fits). The floor is the AWS SDK, bundled on purpose
 * ({@link BUNDLE_EXTERNALS}): its Smithy and AWS cores with the HTTP handler and the signer are
 * about 150 KB minified before any client, and zod/mini with the function's own contract and the
 * database schema about 25 to 33 KB (each handler passes its own contract: lambdas/shared/handler.ts;
 * zod's classic API, 97 KB, is bundled nowhere: lambdas/shared/config-schema-mini.ts). Per client:
 * its endpoint rules and the shapes of the operations the function sends (its modelled errors load
 * with the first error answer, scripts/bundle-function.mjs): RDS 14 to 19 KB, EC2 14 KB,
 * DynamoDB about 33 KB with the JSON protocol, its document codec and endpoint cache. None is over
 * the limit since fence-primary left the fence record to record-fence (it used three clients:
 * docs/scale.md). Within it: accept-trigger, probe-vantage, evaluate-verdict (no AWS client at init),
 * start-fault-experiment (FIS), probe and verify-writes (their SQL drivers load on use), heartbeat
 * (CloudWatch, Secrets Manager), switch-dns (Route 53), manage-lease, request-approval and
 * record-fence (DynamoDB), fence-primary (RDS, EC2), promote-standby and check-standby (RDS),
 * check-data-loss-budget (RDS, CloudWatch), record-incident (DynamoDB, EventBridge), restore-ingress
 * (DynamoDB; EC2 or RDS on use).
 */
export const BUNDLE_OVER_LIMIT: Readonly<Partial<Record<(typeof CRITICAL_PATH_FUNCTIONS)[number], number>>> = {};

/** esbuild options of one function: `entry` (a handler.ts) into `outdir` as {@link BUNDLE_ENTRY_FILE} plus chunks. */
export function functionBuildOptions(entry: string, outdir: string, options: { sourcemap?: boolean } = {}): BuildOptions {
  return {
    entryPoints: { index: entry },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLE_TARGET,
    minify: true,
    sourcemap: options.sourcemap ?? true,
    mainFields: BUNDLE_MAIN_FIELDS,
    banner: { js: BUNDLE_BANNER },
    external: BUNDLE_EXTERNALS,
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    logLevel: 'warning',
  };
}

/**
 * The shell command (NodejsFunction's afterBundling hook) that replaces the single-file bundle in
 * `outputDir` with the split one. Paths are taken inside `inputDir` (the project root, locally or
 * as mounted in the bundling container); the options travel base64-encoded so no quoting matters.
 */
export function splitBundleCommand(inputDir: string, outputDir: string, relativeEntry: string): string {
  const join = (...parts: string[]) => parts.join('/').replace(/\/+/g, '/');
  const options = functionBuildOptions(join(inputDir, relativeEntry), outputDir);
  const encoded = Buffer.from(JSON.stringify(options)).toString('base64');
  return `node "${join(inputDir, 'scripts/bundle-function.mjs')}" ${encoded}`;
}
