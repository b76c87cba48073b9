/**
 * Discrete-event virtual clock for the cloud twin. Time is milliseconds since the Unix epoch and
 * only moves when the driver calls {@link VirtualClock.advanceTo} / {@link VirtualClock.runUntilIdle}:
 * nothing in the twin ever sleeps for real. Events run in time order; ties run in the order they
 * were scheduled (a sequence number), so a run is reproducible.
 */

/** Where every twin run starts: 2026-01-01T00:00:00Z. */
export const TWIN_EPOCH_MS = Date.UTC(2026, 0, 1, 0, 0, 0);

/** When an event should run: a bare number is a delay from now, or an absolute time / a delay. */
export type When = number | { at: number } | { after: number };

export interface ScheduleOptions {
  /**
   * Background events (periodic metric publishing, alarm evaluation) do not keep the clock "busy":
   * {@link VirtualClock.runUntilIdle} stops when only daemon events remain.
   * @default false
   */
  readonly daemon?: boolean;
}

/** A scheduled event; `cancel()` makes sure it never runs (no-op after it ran). */
export interface TimerHandle {
  readonly id: number;
  readonly at: number;
  readonly label: string;
  cancel(): void;
  readonly cancelled: boolean;
}

interface Entry {
  id: number;
  at: number;
  seq: number;
  label: string;
  fn: () => unknown;
  daemon: boolean;
  cancelled: boolean;
  done: boolean;
}

/** A tiny binary min-heap ordered by (at, seq). */
class EventHeap {
  private readonly items: Entry[] = [];
  all(): readonly Entry[] {
    return this.items;
  }
  get size(): number {
    return this.items.length;
  }
  peek(): Entry | undefined {
    return this.items[0];
  }
  push(e: Entry): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(a[i]!, a[p]!)) {
        [a[i], a[p]] = [a[p]!, a[i]!];
        i = p;
      } else break;
    }
  }
  pop(): Entry | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
const less = (x: Entry, y: Entry): boolean => x.at < y.at || (x.at === y.at && x.seq < y.seq);

/** Error thrown when a run exceeds its event budget (a runaway loop in a model or a handler). */
export class ClockBudgetExceededError extends Error {
  override readonly name = 'ClockBudgetExceededError';
}

export class VirtualClock {
  private t: number;
  private seq = 0;
  private readonly heap = new EventHeap();
  private liveNonDaemon = 0;
  /** Labels of the events that ran, in order (kept short: the last 200), for debugging. */
  readonly recent: string[] = [];

  constructor(startMs: number = TWIN_EPOCH_MS) {
    this.t = startMs;
  }

  /** Current virtual time, ms since the epoch. */
  now(): number {
    return this.t;
  }

  /** Current virtual time as a Date. */
  date(): Date {
    return new Date(this.t);
  }

  /** Current virtual time as ISO 8601. */
  iso(): string {
    return new Date(this.t).toISOString();
  }

  /** Schedules `fn` at an absolute time or after a delay (a past time runs at the next step, never in the past). */
  schedule(when: When, fn: () => unknown, label: string, options: ScheduleOptions = {}): TimerHandle {
    const at = Math.max(this.t, resolveWhen(when, this.t));
    const entry: Entry = { id: ++this.seq, at, seq: this.seq, label, fn, daemon: options.daemon ?? false, cancelled: false, done: false };
    this.heap.push(entry);
    if (!entry.daemon) this.liveNonDaemon++;
    const clock = this;
    return {
      id: entry.id,
      at,
      label,
      get cancelled() {
        return entry.cancelled;
      },
      cancel() {
        if (entry.cancelled || entry.done) return;
        entry.cancelled = true;
        if (!entry.daemon) clock.liveNonDaemon--;
      },
    };
  }

  /**
   * Runs `fn` every `periodMs`, first at `firstAt` (absolute), until the returned handle is
   * cancelled. Periodic jobs are daemons unless told otherwise.
   */
  every(periodMs: number, firstAt: number, fn: () => unknown, label: string, options: ScheduleOptions = { daemon: true }): TimerHandle {
    if (!(periodMs > 0)) throw new RangeError(`period must be > 0, got ${periodMs}`);
    let current: TimerHandle;
    let stopped = false;
    const tick = (at: number): void => {
      current = this.schedule(
        { at },
        () => {
          if (stopped) return undefined;
          tick(at + periodMs);
          return fn();
        },
        label,
        options,
      );
    };
    tick(firstAt);
    return {
      id: current!.id,
      at: firstAt,
      label,
      get cancelled() {
        return stopped;
      },
      cancel() {
        stopped = true;
        current.cancel();
      },
    };
  }

  /** Time of the next pending (not cancelled) event, or undefined when nothing is scheduled. */
  nextEventAt(options: { includeDaemons?: boolean } = {}): number | undefined {
    this.dropCancelledHead();
    if (options.includeDaemons ?? true) return this.heap.peek()?.at;
    if (this.liveNonDaemon === 0) return undefined;
    // Rare path: scan for the earliest non-daemon event.
    let best: number | undefined;
    for (const e of this.heap.all()) {
      if (!e.cancelled && !e.daemon && (best === undefined || e.at < best)) best = e.at;
    }
    return best;
  }

  /** Number of pending non-daemon events. */
  pending(): number {
    return this.liveNonDaemon;
  }

  /**
   * Runs every event due at or before `t` in order, then sets the clock to `t`. Each event's
   * returned promise (if any) is awaited, then pending promise callbacks get one macrotask turn,
   * so async work started by an event (a handler awaiting a twin API) settles before the next
   * event runs. Returns how many events ran.
   */
  async advanceTo(t: number, options: { maxEvents?: number } = {}): Promise<number> {
    if (t < this.t) throw new RangeError(`cannot move the clock back from ${new Date(this.t).toISOString()} to ${new Date(t).toISOString()}`);
    const max = options.maxEvents ?? 1_000_000;
    let ran = 0;
    for (;;) {
      this.dropCancelledHead();
      const next = this.heap.peek();
      if (!next || next.at > t) break;
      if (++ran > max) throw new ClockBudgetExceededError(`more than ${max} events before ${new Date(t).toISOString()}`);
      await this.runOne();
    }
    this.t = t;
    return ran;
  }

  /** Advances by a duration. */
  advanceBy(ms: number, options: { maxEvents?: number } = {}): Promise<number> {
    return this.advanceTo(this.t + ms, options);
  }

  /**
   * Runs events until no non-daemon event is left (daemon events due before that run too), or
   * until the limit: `maxEvents` (throws when exceeded) or `untilMs` (stops there; the clock is
   * left at the last event run). Returns how many events ran.
   */
  async runUntilIdle(limit: { maxEvents?: number; untilMs?: number } = {}): Promise<number> {
    const max = limit.maxEvents ?? 100_000;
    let ran = 0;
    for (;;) {
      this.dropCancelledHead();
      if (this.liveNonDaemon === 0) break;
      const next = this.heap.peek();
      if (!next) break;
      if (limit.untilMs !== undefined && next.at > limit.untilMs) break;
      if (++ran > max) throw new ClockBudgetExceededError(`runUntilIdle: more than ${max} events (a periodic non-daemon event?)`);
      await this.runOne();
    }
    return ran;
  }

  private async runOne(): Promise<void> {
    const e = this.heap.pop()!;
    this.t = e.at;
    e.done = true;
    if (!e.daemon) this.liveNonDaemon--;
    this.recent.push(e.label);
    if (this.recent.length > 200) this.recent.shift();
    const r = e.fn();
    const isAsync = !!r && typeof (r as Promise<unknown>).then === 'function';
    if (isAsync) await r;
    // Give detached promise chains one macrotask turn. The twin's own periodic jobs (daemons
    // that return synchronously) start none, so they skip it (a 6-hour drill has thousands).
    if (isAsync || !e.daemon) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private dropCancelledHead(): void {
    for (;;) {
      const head = this.heap.peek();
      if (!head || !head.cancelled) return;
      this.heap.pop();
    }
  }
}

function resolveWhen(when: When, now: number): number {
  if (typeof when === 'number') return now + when;
  if ('at' in when) return when.at;
  return now + when.after;
}
