/** Where the runtime code lives, for bundling. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionName } from '../lambdas/shared/contracts.js';

/** The project root (holds package-lock.json, lambdas/ and lib/). */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The handler file of a function: `lambdas/<name>/handler.ts`. */
export const handlerEntry = (name: FunctionName): string => join(PROJECT_ROOT, 'lambdas', name, 'handler.ts');

/** The lock file esbuild bundling keys on. */
export const LOCK_FILE = join(PROJECT_ROOT, 'package-lock.json');
