/** lazy(): one import per module instance, retried after a failure, listed while in flight. */
import { describe, expect, it } from 'vitest';
import { lazy, pendingImports } from '../../../lambdas/shared/lazy.js';
import '../../../twin/drill/polyfills.js';

// Promise.withResolvers is Node 22's; the twin's polyfill gives it on Node 20.
const deferred = <T>() =>
  (Promise as unknown as { withResolvers: <U>() => { promise: Promise<U>; resolve: (v: U) => void; reject: (e: unknown) => void } }).withResolvers<T>();

describe('lazy', () => {
  it('imports once and hands every caller the same module', async () => {
    let calls = 0;
    const load = lazy(async () => {
      calls++;
      return { name: 'module' };
    });
    const [a, b] = await Promise.all([load(), load()]);
    expect(await load()).toBe(a);
    expect(b).toBe(a);
    expect(calls).toBe(1);
  });

  it('lists an import while it is in flight, and no longer once it settled', async () => {
    const d = deferred<string>();
    const load = lazy(() => d.promise);
    const before = pendingImports().size;
    const loading = load();
    expect(pendingImports().size).toBe(before + 1);
    d.resolve('loaded');
    expect(await loading).toBe('loaded');
    await Promise.allSettled([...pendingImports()]);
    await new Promise((r) => setImmediate(r));
    expect(pendingImports().size).toBe(before);
  });

  it('tries again after a failed import', async () => {
    let calls = 0;
    const load = lazy(async () => {
      calls++;
      if (calls === 1) throw new Error('ENOENT: chunk missing');
      return 'second try';
    });
    await expect(load()).rejects.toThrow('ENOENT');
    await new Promise((r) => setImmediate(r));
    expect(await load()).toBe('second try');
    expect(calls).toBe(2);
  });
});
