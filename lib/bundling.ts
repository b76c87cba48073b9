/**
 * How every function is bundled (esbuild through NodejsFunction), in one place so the benchmark
 * (`npm run bench`) measures exactly what `cdk deploy` ships. No aws-cdk-lib import here.
 */

/** Bundled CommonJS dependencies (pg, mysql2) call require(): give the ESM output one. */
export const BUNDLE_BANNER =
  "import { createRequire as __rdsFailoverRequire } from 'node:module'; const require = __rdsFailoverRequire(import.meta.url);";

/** pg's optional native binding is never installed. The AWS SDK is bundled: the version tested is the version run. */
export const BUNDLE_EXTERNALS = ['pg-native'];

export const BUNDLE_MAIN_FIELDS = ['module', 'main'];

/** esbuild target matching the Lambda runtime (Node.js 24). */
export const BUNDLE_TARGET = 'node24';
