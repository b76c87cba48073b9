/**
 * The ground truth `truth.dataBehind` (twin/drill/scenario-events.ts `sampleDataBehind`): every 5 s,
 * how far the standby really is behind the writes the primary accepted, the figure the liveness
 * oracle holds the data-loss guard's sample against (twin/chaos/README.md, "The data-loss guard's
 * figure").
 */
import { describe, expect, it } from 'vitest';
import { AppClients } from '../../../twin/drill/app-clients.js';
import type { GroundTruth } from '../../../twin/drill/liveness.js';
import { atRiskSeconds, roleResources, sampleDataBehind } from '../../../twin/drill/scenario-events.js';
import { exampleAppDatabase } from './app-database.js';
import { PRIMARY, REPLICA, exampleWorld } from '../helpers.js';

/** The example world, its clients writing every second from t=1s, and the sampler started at t=0. */
async function setup() {
  const w = exampleWorld();
  const db = await exampleAppDatabase(w);
  const start = w.clock.now();
  const truth: GroundTruth = { faults: [], answers: [], regions: { primary: PRIMARY.region, standby: REPLICA.region } };
  sampleDataBehind(w, db, roleResources(w, db), truth, start);
  new AppClients(w, db).start(start + 1000);
  const t = (ms: number) => (ms - start) / 1000;
  const samples = () => (truth.dataBehind ?? []).map((x) => [t(x.at), x.seconds]);
  return { w, db, start, samples };
}

describe('sampleDataBehind: how far the standby really is behind', () => {
  it('keeps nothing while the replica holds every write', async () => {
    const { w, samples } = await setup();
    await w.clock.advanceBy(60_000);
    expect(samples()).toEqual([]);
  });

  it('follows a replica-lag fault: the lag grows 1 s per second to the delay, and the data behind is the writes it lacks (the last one a second old)', async () => {
    const { w, samples } = await setup();
    await w.clock.advanceBy(20_000);
    w.setReplicaLag(REPLICA.id, 10, REPLICA.region);
    await w.clock.advanceBy(30_000);
    // From t=20s the replica holds writes up to t=20s until it is 10 s behind (t=30s), then now − 10 s.
    expect(samples()).toEqual([
      [25, 4],
      [30, 9],
      [35, 9],
      [40, 9],
      [45, 9],
      [50, 9],
    ]);
    // A lower delay catches it up at once: nothing behind.
    w.setReplicaLag(REPLICA.id, 0, REPLICA.region);
    await w.clock.advanceBy(20_000);
    expect(samples().filter(([at]) => at! > 50)).toEqual([]);
  });

  it('after the primary crashes: what it accepted and the standby lacks, the same figure as atRiskSeconds', async () => {
    const { w, db, samples } = await setup();
    await w.clock.advanceBy(20_000);
    w.setReplicaLag(REPLICA.id, 10, REPLICA.region);
    await w.clock.advanceBy(22_000);
    const atRisk = atRiskSeconds(w, db, PRIMARY);
    w.crashInstance(PRIMARY.id, PRIMARY.region);
    await w.clock.advanceBy(20_000);
    // The crash at t=42s, right after that second's write: the replica holds up to t=32s.
    expect(atRisk).toBe(10);
    expect(samples().filter(([at]) => at! > 42)).toEqual([
      [45, 10],
      [50, 10],
      [55, 10],
      [60, 10],
    ]);
  });

  it('samples nothing once the standby is no replica (promoted): no lag figure exists', async () => {
    const { w, samples } = await setup();
    await w.clock.advanceBy(20_000);
    w.setReplicaLag(REPLICA.id, 10, REPLICA.region);
    await w.clock.advanceBy(20_000);
    const before = samples().length;
    expect(before).toBeGreaterThan(0);
    delete w.rds.getInstance(REPLICA.id, REPLICA.region)!.source;
    await w.clock.advanceBy(30_000);
    expect(samples()).toHaveLength(before);
  });
});
