/**
 * Virtual time does not move while a handler waits for a module it imports on first use
 * (lambdas/shared/lazy.ts): loading takes real time, never a function's timeout of virtual time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { lazy } from '../../../lambdas/shared/lazy.js';
import { VirtualTime } from '../../../twin/drill/virtual-time.js';
import { World } from '../../../twin/world.js';

let vt: VirtualTime | undefined;
afterEach(() => {
  vt?.uninstall();
  vt = undefined;
});

describe('VirtualTime and imports on first use', () => {
  it('holds the clock until a lazy import has loaded, then runs what follows at the same virtual moment', async () => {
    const world = new World({ seed: 1 });
    vt = new VirtualTime(world, { random: world.rng.stream('t.random'), bytes: world.rng.stream('t.bytes') });
    vt.install();
    const start = Date.now();
    // A module whose loading takes real time (several event-loop turns, as a file read does).
    const load = lazy(
      () => new Promise<string>((resolve) => setImmediate(() => setImmediate(() => setImmediate(() => setImmediate(() => resolve('module')))))),
    );
    let loadedAt: number | undefined;
    let timedOutAt: number | undefined;
    setTimeout(() => {
      timedOutAt = Date.now();
    }, 20_000); // the function's timeout
    void load().then(() => {
      loadedAt = Date.now();
    });
    await vt.runUntil(start + 30_000, { activity: () => `${loadedAt}|${timedOutAt}` });
    expect(loadedAt).toBe(start);
    expect(timedOutAt).toBe(start + 20_000);
  });
});
