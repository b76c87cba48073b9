/**
 * Properties on real data (twin/real, Debian's PostgreSQL 15):
 * - a session that holds an open transaction on the old primary cannot commit it after the fence;
 * - a quiet primary's replica: `now() − pg_last_xact_replay_timestamp()` (RDS's ReplicaLag) grows
 *   while nothing is committed, and a WAL switch does not reset it; the slot lag is 0 bytes, so the
 *   product's figure (lambdas/shared/data-behind.ts) reports the replica caught up;
 * - with replication really behind (the relay delays WAL), the product's figure from the real
 *   metrics taken before a crash is not below the span of acknowledged commits really lost.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { instanceDataBehind } from '../../../lambdas/shared/data-behind.js';
import { measureLoss } from '../../../twin/real/bridge.js';
import { CANARY_CREATE, CANARY_TABLE, CanaryWriter } from '../../../twin/real/canary.js';
import { RealPair, type ReplicationFacts } from '../../../twin/real/postgres.js';

const parent = mkdtempSync(join(tmpdir(), 'rds-failover-properties-'));
chmodSync(parent, 0o711);
afterAll(() => rmSync(parent, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The product's figure from one sample of the real metrics (one period). */
const productFigure = (f: ReplicationFacts) =>
  instanceDataBehind({
    engine: 'postgres',
    replicaLag: f.replayDelaySeconds === null ? [] : [{ timestamp: new Date(0), value: f.replayDelaySeconds }],
    slotLag: f.slotLagBytes === null ? [] : [{ timestamp: new Date(0), value: f.slotLagBytes }],
  })[0];

describe('properties on real data', () => {
  it('after the fence, a session holding an open transaction on the old primary cannot commit it', async () => {
    const pair = await RealPair.start({ parentDir: parent });
    try {
      await pair.primary.query('CREATE TABLE t (n int)');
      const c = new pg.Client({ host: '127.0.0.1', port: pair.dns.port, user: 'postgres', database: 'postgres' });
      c.on('error', () => undefined);
      await c.connect();
      await c.query('BEGIN');
      await c.query('INSERT INTO t VALUES (1)');
      await pair.primary.fence();
      await expect(c.query('COMMIT')).rejects.toThrow();
      expect((await pair.primary.query<{ n: number }>('SELECT count(*)::int AS n FROM t'))[0]!.n).toBe(0);
    } finally {
      await pair.close();
    }
  });

  it("a quiet primary: ReplicaLag grows and a WAL switch does not reset it; the slot lag is 0 bytes, so the product's figure is 0 s", async () => {
    const pair = await RealPair.start({ parentDir: parent });
    try {
      await pair.primary.query('CREATE TABLE t (n int)');
      await pair.primary.query('INSERT INTO t VALUES (1)');
      await sleep(2_500);
      const quiet = await pair.replicationFacts();
      expect(quiet.replayDelaySeconds!).toBeGreaterThanOrEqual(2);
      expect(quiet.slotLagBytes).toBe(0);
      await pair.primary.query('SELECT pg_switch_wal()');
      await sleep(500);
      const switched = await pair.replicationFacts();
      expect(switched.replayDelaySeconds!).toBeGreaterThan(quiet.replayDelaySeconds!);
      const figure = productFigure(switched)!;
      expect(figure).toMatchObject({ seconds: 0, source: 'OldestReplicationSlotLag' });
      expect(figure.replicaLagSeconds!).toBeGreaterThan(2);
      // ReplicaLag alone (no slot figure) would have called it seconds behind
      expect(
        instanceDataBehind({ engine: 'postgres', replicaLag: [{ timestamp: new Date(0), value: switched.replayDelaySeconds! }] })[0]!.seconds,
      ).toBeGreaterThan(2);
    } finally {
      await pair.close();
    }
  });

  it("replication really 0.8 s behind, then a crash: the product's figure before the crash is not below the real loss", async () => {
    const pair = await RealPair.start({ parentDir: parent });
    try {
      await pair.primary.query(CANARY_CREATE);
      const canary = new CanaryWriter({ port: pair.dns.port, ratePerSecond: 50 });
      canary.start();
      await sleep(500);
      pair.slowReplication(800);
      await sleep(2_000);
      const samples: ReplicationFacts[] = [];
      for (let i = 0; i < 5; i++) {
        samples.push(await pair.replicationFacts());
        await sleep(100);
      }
      await pair.crashPrimary();
      const crashedAt = performance.timeOrigin + performance.now();
      await canary.stop();
      await pair.promote();
      const held: Set<number> = new Set((await pair.replica.query<{ seq: string }>(`SELECT seq FROM ${CANARY_TABLE}`)).map((r) => Number(r.seq)));
      const loss = measureLoss(
        canary.acks.filter((a) => a.at <= crashedAt),
        held,
      );
      // the delay really lost commits (about 0.8 s at 50/s)
      expect(loss.commits).toBeGreaterThan(10);
      expect(loss.atLeastMs).toBeGreaterThan(500);
      // the figure of every sample taken in the steady state before the crash covers it
      const figures = samples.map((f) => productFigure(f)!);
      expect(figures.every((f) => f.source === 'ReplicaLag')).toBe(true);
      // (the loss is known to lie between its least and its most span: below the least is an under-estimate for certain)
      const lowest = Math.min(...figures.map((f) => f.seconds));
      expect(
        lowest,
        `figures ${figures.map((f) => f.seconds).join(', ')} s; loss ${loss.atLeastMs}..${loss.atMostMs} ms (${loss.commits} commits)`,
      ).toBeGreaterThanOrEqual(loss.atLeastMs / 1000);
    } finally {
      await pair.close();
    }
  });
});
