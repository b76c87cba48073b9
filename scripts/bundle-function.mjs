#!/usr/bin/env node
/**
 * Rebuilds one function's bundle with code splitting (lib/bundling.ts, splitBundleCommand): the
 * argument is the base64 JSON of its esbuild options. The single-file output NodejsFunction wrote
 * first is removed, then the entry (`index.mjs`) and its chunks are written in its place.
 * Plain JavaScript: it runs inside `cdk synth`'s bundling step, without tsx.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const options = JSON.parse(Buffer.from(process.argv[2] ?? '', 'base64').toString('utf8'));
if (typeof options.outdir !== 'string') throw new Error('bundle-function: no outdir in the options');
for (const file of readdirSync(options.outdir)) {
  if (/\.mjs(\.map)?$/.test(file)) rmSync(join(options.outdir, file));
}
await build(options);
