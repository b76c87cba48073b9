/**
 * A Region outage of the primaries of 10 databases in one deployment (bench/scale.ts; the bench
 * runs 50): every database fails over to its standby at once, sharing the account's quotas
 * (Route 53 5 requests/s, RDS, Lambda concurrency), every invariant holds for every database, and
 * each database's RTO (its own application clients) stays within 1.5 × a single database's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { percentile, runScale, type ScaleRun } from '../../../bench/scale.js';

describe('a Region outage of the primaries of 10 databases', () => {
  let single: ScaleRun;
  let singleRtos: number[];
  let ten: ScaleRun;
  beforeAll(async () => {
    // One drill's RTO depends on where its failure falls in the heartbeat period and the promotion
    // the twin draws: the denominator is the median of seeds 1..5, as the bench's.
    singleRtos = [];
    for (let seed = 1; seed <= 5; seed++) {
      const run = await runScale(1, seed);
      if (seed === 1) single = run;
      singleRtos.push(run.figures[0]!.rtoSeconds!);
    }
    ten = await runScale(10);
  }, 300_000);

  it('fails every database over to its standby, one promotion each', () => {
    expect(ten.figures.map((f) => f.database)).toEqual(Array.from({ length: 10 }, (_, i) => `db${i}`));
    for (const f of ten.figures) {
      expect(f.promotions, f.database).toBe(1);
      expect(f.writerAtEnd, f.database).toBe(`${f.database}-replica`);
    }
    expect(ten.failedOver).toBe(10);
  });

  it('holds every invariant for every database; the scenario database passes its liveness checks and expectations', () => {
    expect(ten.failedInvariants).toEqual([]);
    expect(ten.invariantsHeld).toBe(true);
    expect(ten.failedLiveness).toEqual([]);
    expect(ten.exitStatus).toBe(0);
  });

  it('shares the account quotas: Route 53 throttled some of the DNS switches, which were retried', () => {
    const route53 = Object.entries(ten.throttled).filter(([k]) => k.startsWith('route53:'));
    expect(route53.length).toBeGreaterThan(0);
    expect(single.throttled).toEqual({});
    // every database's DNS change went through in the end
    for (const f of ten.figures) expect(f.dnsChangedSeconds, f.database).not.toBeNull();
  });

  it("measures each database's RTO; the p99 is within 1.5 × a single database's (the median over seeds 1..5)", () => {
    expect(singleRtos.every((r) => r > 0)).toBe(true);
    const singleRto = percentile(singleRtos, 50);
    expect(singleRto).toBeGreaterThan(0);
    const rtos = ten.figures.map((f) => f.rtoSeconds);
    expect(rtos.every((r) => r !== null && r > 0)).toBe(true);
    expect(percentile(rtos as number[], 99)).toBeLessThanOrEqual(1.5 * singleRto);
  });
});
