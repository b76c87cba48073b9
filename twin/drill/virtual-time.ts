/**
 * One virtual timeline for a drill. The interpreter (Wait states, retries, task timeouts), the
 * SDK and the handlers use the global `setTimeout` and `Date`; the twin's services use the world's
 * discrete-event clock. While a drill runs, @sinonjs/fake-timers replaces `setTimeout`,
 * `clearTimeout`, `setInterval`, `clearInterval` and `Date` (never `setImmediate`, `nextTick` or
 * `queueMicrotask`, which promise work needs), starting at the world's time, and
 * {@link VirtualTime.runUntil} drives both clocks as one:
 *
 *   repeat: let every pending promise settle (real `setImmediate` turns until nothing changes),
 *           then move both clocks to the earliest of (next fake timer, next world event) and run
 *           what is due there,
 *   until the horizon.
 *
 * Nothing sleeps for real: when every execution is parked on an approval, time jumps straight to
 * the next event. While installed, `Math.random` (the interpreter's retry jitter) and
 * `crypto.randomBytes` (approval ids) draw from the drill's seeded streams, so a run is
 * reproducible. {@link VirtualTime.uninstall} restores everything.
 */
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import FakeTimers from '@sinonjs/fake-timers';
import type { Prng } from '../random.js';
import type { World } from '../world.js';

/** The real setImmediate (never faked), captured at load. */
const realSetImmediate = globalThis.setImmediate;
const turn = (): Promise<void> => new Promise((resolve) => realSetImmediate(resolve));

/** A drill already holds the global clock (two drills cannot share one process at once). */
export class VirtualTimeBusyError extends Error {
  override readonly name = 'VirtualTimeBusyError';
}

let installed = false;

export interface RunUntilOptions {
  /** A value that changes whenever something happens (API calls, states, timeline): settling waits until it stops changing. */
  activity: () => string | number;
  /** Called after every step with the virtual time reached (ms). */
  onStep?: (nowMs: number) => void;
  /** Upper bound on loop steps (a runaway model). @default 5_000_000 */
  maxSteps?: number;
  /**
   * A reason to stop the clocks: when it returns a promise, virtual time stays where it is (promise
   * work still runs) until that promise settles, then the loop goes on. The drill uses it to wait
   * for a human answer on the served approval page. Without it, nothing waits for real time.
   */
  hold?: () => Promise<unknown> | undefined;
  /**
   * Paces virtual time against real time (a real drill, twin/real): called with the virtual time
   * the clocks are about to move to; a promise returned holds them (promise work still runs) until
   * it settles, then the loop looks again. With it, quiet stretches are not run back to back.
   */
  pace?: (nextAtMs: number) => Promise<unknown> | undefined;
}

/** The fake clock's internals this driver reads (the time of the next timer). */
interface ClockInternals {
  timerHeap?: { peek(): { callAt: number } | undefined };
  timers?: Map<unknown, { callAt: number }>;
}

export class VirtualTime {
  private clock?: ReturnType<typeof FakeTimers.install>;
  private restores: Array<() => void> = [];

  constructor(
    private readonly world: World,
    /** Seeded source for Math.random and crypto.randomBytes while installed. */
    private readonly rng: { random: Prng; bytes: Prng },
  ) {}

  /** Installs the fake timers at the world's current time and the seeded randomness. */
  install(): void {
    if (installed) throw new VirtualTimeBusyError('a drill is already running in this process (the global timers are taken)');
    installed = true;
    try {
      this.clock = FakeTimers.install({
        now: this.world.clock.now(),
        toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
        loopLimit: 1_000_000,
      });
      const clock = this.clock;
      this.restores.push(() => clock.uninstall());

      const random = Math.random;
      Math.random = () => this.rng.random.next();
      this.restores.push(() => {
        Math.random = random;
      });

      const randomBytes = crypto.randomBytes;
      const bytes = this.rng.bytes;
      const seeded = ((size: number, callback?: (err: Error | null, buf: Buffer) => void) => {
        const buf = Buffer.alloc(size);
        for (let i = 0; i < size; i++) buf[i] = Math.floor(bytes.next() * 256);
        if (callback) {
          queueMicrotask(() => callback(null, buf));
          return undefined;
        }
        return buf;
      }) as typeof crypto.randomBytes;
      crypto.randomBytes = seeded;
      syncBuiltinESMExports();
      this.restores.push(() => {
        crypto.randomBytes = randomBytes;
        syncBuiltinESMExports();
      });
    } catch (err) {
      this.uninstall();
      throw err;
    }
  }

  /** Restores the real timers, Date, Math.random and crypto.randomBytes. Safe to call twice. */
  uninstall(): void {
    for (const restore of this.restores.reverse()) {
      try {
        restore();
      } catch {
        // keep restoring the rest
      }
    }
    this.restores = [];
    this.clock = undefined;
    installed = false;
  }

  /** Time of the next fake timer, if any. */
  private nextTimerAt(): number | undefined {
    const c = this.clock as unknown as ClockInternals;
    if (c.timerHeap) return c.timerHeap.peek()?.callAt;
    let best: number | undefined;
    for (const t of c.timers?.values() ?? []) if (best === undefined || t.callAt < best) best = t.callAt;
    return best;
  }

  /** Lets pending promise work finish: real setImmediate turns until `activity` stops changing. */
  async settle(activity: () => string | number, maxTurns = 200): Promise<void> {
    let previous = activity();
    for (let i = 0; i < maxTurns; i++) {
      await turn();
      const now = activity();
      if (now === previous) return;
      previous = now;
    }
  }

  /**
   * Runs both clocks to `endMs` (see the module comment). Fake timers due at a moment fire before
   * the world's events of the same moment.
   */
  async runUntil(endMs: number, options: RunUntilOptions): Promise<void> {
    const clock = this.clock;
    if (!clock) throw new Error('VirtualTime.runUntil: install() first');
    const max = options.maxSteps ?? 5_000_000;
    for (let step = 0; ; step++) {
      if (step > max) throw new Error(`virtual time: more than ${max} steps before ${new Date(endMs).toISOString()} (a runaway loop?)`);
      await this.settle(options.activity);
      const held = options.hold?.();
      if (held) {
        await held.catch(() => undefined);
        continue;
      }
      const tf = this.nextTimerAt();
      const tw = this.world.clock.nextEventAt();
      const t = Math.min(tf ?? Number.POSITIVE_INFINITY, tw ?? Number.POSITIVE_INFINITY);
      const paced = options.pace?.(Math.min(t, endMs));
      if (paced) {
        await paced.catch(() => undefined);
        continue;
      }
      if (t > endMs) {
        if (clock.now < endMs) clock.tick(endMs - clock.now);
        await this.world.clock.advanceTo(endMs);
        await this.settle(options.activity);
        options.onStep?.(endMs);
        return;
      }
      // Quiet stretch: only background (daemon) events of the world are due before the next fake
      // timer and the next foreground event. Run them back to back without settling in between.
      const foreground = this.world.clock.nextEventAt({ includeDaemons: false });
      const until = Math.min(tf ?? Number.POSITIVE_INFINITY, foreground ?? Number.POSITIVE_INFINITY, endMs + 1);
      if (tw !== undefined && tw < until && !options.pace) {
        await this.runBackground(until, endMs);
        options.onStep?.(this.world.clock.now());
        continue;
      }
      // Fires the fake timers due at t (none is earlier), then runs the world's events at t.
      clock.tick(Math.max(0, t - clock.now));
      await this.world.clock.advanceTo(Math.max(t, this.world.clock.now()));
      options.onStep?.(t);
    }
  }

  /**
   * Runs the world's background events before `until` (and not after `endMs`), one moment at a
   * time, until a foreground event or a fake timer appears before `until`. Background events (metric
   * publishing, alarm evaluation, the application clients' writes, schedules) start no workflow
   * work themselves: what they cause is a foreground event, which ends the stretch.
   */
  private async runBackground(until: number, endMs: number): Promise<void> {
    const clock = this.clock!;
    const timers = clock.countTimers();
    for (;;) {
      const next = this.world.clock.nextEventAt();
      if (next === undefined || next >= until || next > endMs) break;
      await this.world.clock.advanceTo(next);
      const foreground = this.world.clock.nextEventAt({ includeDaemons: false });
      if (clock.countTimers() !== timers || (foreground !== undefined && foreground < until)) break;
    }
    if (clock.now < this.world.clock.now()) clock.tick(this.world.clock.now() - clock.now);
  }
}
