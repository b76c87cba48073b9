/**
 * Real time for the real-PostgreSQL harness. While a drill runs, @sinonjs/fake-timers replaces the
 * global timers, `Date` and the `node:timers` exports with the virtual clock
 * (twin/drill/virtual-time.ts); the relays, the canary writer and the server waits must keep real
 * time. This module captures the real timers when it is loaded (before any drill installs the fake
 * ones) and reads the wall clock through `performance` (never faked here).
 */
import { performance } from 'node:perf_hooks';

const capturedSetTimeout = globalThis.setTimeout;
const capturedClearTimeout = globalThis.clearTimeout;

if ((capturedSetTimeout as unknown as { clock?: unknown }).clock !== undefined) {
  throw new Error('twin/real/timers.ts was first loaded while fake timers were installed: import it before a drill starts');
}

/** The real setTimeout (a Node timer handle). */
export const realSetTimeout = (fn: () => void, ms: number): NodeJS.Timeout => capturedSetTimeout(fn, ms) as unknown as NodeJS.Timeout;
export const realClearTimeout = (t: NodeJS.Timeout | undefined): void => {
  if (t !== undefined) capturedClearTimeout(t);
};

/** Wall-clock milliseconds since the epoch (real time, whatever `Date` is at the moment). */
export const realNow = (): number => performance.timeOrigin + performance.now();

/** Resolves after `ms` of real time. */
export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => realSetTimeout(resolve, Math.max(0, ms)));

/** Rejects with an ETIMEDOUT-coded error after `ms` of real time unless `p` settles first. */
export function realTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = realSetTimeout(() => reject(Object.assign(new Error(`${what} timed out after ${ms} ms (real time)`), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([p, t]).finally(() => realClearTimeout(timer));
}
