import { describe, expect, it } from 'vitest';
import { ClockBudgetExceededError, TWIN_EPOCH_MS, VirtualClock } from '../../twin/clock.js';
import { Prng, RngStreams } from '../../twin/random.js';
import { World } from '../../twin/world.js';

describe('VirtualClock', () => {
  it('starts at 2026-01-01T00:00:00Z and never moves on its own', () => {
    const c = new VirtualClock();
    expect(c.now()).toBe(TWIN_EPOCH_MS);
    expect(c.iso()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('runs due events in time order, ties in insertion order, and sets now() to each event time', async () => {
    const c = new VirtualClock();
    const seen: string[] = [];
    c.schedule(5000, () => seen.push(`b@${c.now() - TWIN_EPOCH_MS}`), 'b');
    c.schedule({ at: TWIN_EPOCH_MS + 1000 }, () => seen.push(`a@${c.now() - TWIN_EPOCH_MS}`), 'a');
    c.schedule({ after: 5000 }, () => seen.push('c'), 'c');
    c.schedule(9000, () => seen.push('late'), 'late');
    const ran = await c.advanceTo(TWIN_EPOCH_MS + 6000);
    expect(ran).toBe(3);
    expect(seen).toEqual(['a@1000', 'b@5000', 'c']);
    expect(c.now()).toBe(TWIN_EPOCH_MS + 6000);
    expect(c.nextEventAt()).toBe(TWIN_EPOCH_MS + 9000);
  });

  it('cancelled events never run', async () => {
    const c = new VirtualClock();
    let ran = false;
    const h = c.schedule(10, () => (ran = true), 'x');
    h.cancel();
    expect(h.cancelled).toBe(true);
    await c.advanceBy(100);
    expect(ran).toBe(false);
    expect(c.nextEventAt()).toBeUndefined();
  });

  it('events scheduled by events run in the same advance when due', async () => {
    const c = new VirtualClock();
    const seen: number[] = [];
    c.schedule(10, () => c.schedule(10, () => seen.push(c.now() - TWIN_EPOCH_MS), 'inner'), 'outer');
    await c.advanceBy(25);
    expect(seen).toEqual([20]);
  });

  it('awaits async events before running the next one', async () => {
    const c = new VirtualClock();
    const seen: string[] = [];
    c.schedule(
      10,
      async () => {
        await Promise.resolve();
        seen.push('first-done');
      },
      'first',
    );
    c.schedule(10, () => seen.push('second'), 'second');
    await c.advanceBy(10);
    expect(seen).toEqual(['first-done', 'second']);
  });

  it('runUntilIdle stops when only daemon (periodic) events remain', async () => {
    const c = new VirtualClock();
    let ticks = 0;
    c.every(60_000, TWIN_EPOCH_MS + 60_000, () => ticks++, 'tick');
    c.schedule(150_000, () => undefined, 'work');
    await c.runUntilIdle();
    expect(c.now()).toBe(TWIN_EPOCH_MS + 150_000);
    expect(ticks).toBe(2);
    expect(c.pending()).toBe(0);
  });

  it('a runaway loop hits the event budget', async () => {
    const c = new VirtualClock();
    const loop = () => c.schedule(1, loop, 'loop');
    loop();
    await expect(c.runUntilIdle({ maxEvents: 50 })).rejects.toBeInstanceOf(ClockBudgetExceededError);
  });

  it('refuses to go back in time', async () => {
    const c = new VirtualClock();
    await expect(c.advanceTo(TWIN_EPOCH_MS - 1)).rejects.toThrow(/cannot move the clock back/);
  });
});

describe('seeded randomness', () => {
  it('same seed and purpose give the same numbers; different seeds differ', () => {
    const a = new Prng('1:x');
    const b = new Prng('1:x');
    const c = new Prng('2:x');
    const sa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(sa);
    for (const x of sa) expect(x >= 0 && x < 1).toBe(true);
  });

  it('streams are independent: draws in one purpose do not shift another', () => {
    const r1 = new RngStreams(7);
    const r2 = new RngStreams(7);
    r1.stream('noise').next();
    r1.stream('noise').next();
    expect(r1.uniform('rds.promote', 60, 120)).toBe(r2.uniform('rds.promote', 60, 120));
  });

  it('uniform, int, pick and chance stay in range', () => {
    const p = new Prng('range');
    for (let i = 0; i < 200; i++) {
      const u = p.uniform(60, 120);
      expect(u >= 60 && u < 120).toBe(true);
      const n = p.int(1, 3);
      expect([1, 2, 3]).toContain(n);
      expect(['a', 'b']).toContain(p.pick(['a', 'b']));
    }
    expect(p.chance(0)).toBe(false);
    expect(p.chance(1)).toBe(true);
    expect(() => p.pick([])).toThrow();
  });

  it('a whole world is deterministic per seed', async () => {
    const run = async (seed: number) => {
      const w = new World({ seed });
      w.rds.createInstance({ region: 'us-east-1', id: 'p' });
      w.rds.createInstance({ region: 'us-west-2', id: 'r', replicaOf: { region: 'us-east-1', id: 'p' } });
      await w.rds.promoteReadReplica({ DBInstanceIdentifier: 'r' }, { region: 'us-west-2' });
      await w.clock.runUntilIdle();
      return { t: w.clock.now(), timeline: w.timeline.map((e) => `${e.t}:${e.event}`) };
    };
    expect(await run(3)).toEqual(await run(3));
    expect((await run(3)).t).not.toBe((await run(4)).t);
  });
});
