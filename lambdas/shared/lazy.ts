/**
 * Modules a handler needs only on some paths (a SQL driver, a client of a rarely taken branch),
 * imported on first use instead of at cold start: the bundler puts each in a chunk of its own
 * (lib/bundling.ts), so a function's init loads only what every invocation needs.
 *
 *   const sns = lazy(() => import('@aws-sdk/client-sns'));
 *   ...
 *   const { SNSClient, PublishCommand } = await sns();
 *
 * The import runs once per module instance; a failed import is tried again on the next call.
 * Imports in flight are listed under {@link PENDING_IMPORTS_SYMBOL}: the cloud twin, whose clock
 * is virtual, holds its clock until they finish (an import takes milliseconds of real time, never
 * a function's whole timeout).
 */

/** The global symbol under which the imports in flight are kept (a Set of promises). */
export const PENDING_IMPORTS_SYMBOL = Symbol.for('rds-failover.pending-imports');

/** The imports in flight in this process. */
export function pendingImports(): Set<Promise<unknown>> {
  const g = globalThis as Record<symbol, Set<Promise<unknown>> | undefined>;
  return (g[PENDING_IMPORTS_SYMBOL] ??= new Set());
}

/** A loader that imports the module on its first call and returns the same module afterwards. */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let module: Promise<T> | undefined;
  return () => {
    if (module) return module;
    const loading = load();
    module = loading;
    const pending = pendingImports();
    const tracked: Promise<unknown> = loading.then(
      () => undefined,
      () => {
        module = undefined; // not cached: the next call tries again
      },
    );
    pending.add(tracked);
    void tracked.finally(() => pending.delete(tracked));
    return loading;
  };
}
