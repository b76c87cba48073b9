/** Types of scripts/bundle-function.mjs (plain JavaScript: it runs in `cdk synth`'s bundling step without tsx). */
import type { BuildOptions, BuildResult } from 'esbuild';

export interface FunctionBuild<O extends BuildOptions> {
  /** The main pass: `index.mjs` and its chunks. */
  main: BuildResult<O>;
  /** The pass of the credential chain, when the bundle reaches it. */
  credentials: BuildResult<O> | undefined;
  /** The chain's entry files (`credentials-*.mjs`) beside `index.mjs`. */
  links: string[];
}
export function buildFunction<O extends BuildOptions>(options: O): Promise<FunctionBuild<O>>;
/** The LRU the bundle gives `@aws-sdk/endpoint-cache` in place of mnemonist's (an ES module's source). */
export const LRU_CACHE_SHIM: string;
