import { DBInstanceNotFoundFault, DescribeDBInstancesCommand, InvalidDBInstanceStateFault, PromoteReadReplicaCommand, RDSClient } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { useSdkTwin } from '../helpers/sdk-twin.js';
import { RUNNING_STATUSES, WAL_BYTES_PER_WRITE, WAL_SWITCH_MS } from '../../twin/services/rds.js';
import { World } from '../../twin/world.js';
import { PRIMARY, REPLICA, exampleWorld } from './helpers.js';

const W2 = { region: 'us-west-2' };
const E1 = { region: 'us-east-1' };
/* eslint-disable @typescript-eslint/no-explicit-any */
const describeOne = (w: World, id: string, region: string): any => (w.rds.describeDBInstances({ DBInstanceIdentifier: id }, { region }) as any).DBInstances[0];
const errOf = (fn: () => unknown): any => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
};

describe('RDS DescribeDBInstances', () => {
  it('an unknown identifier is the DBInstanceNotFound error, not an empty list', () => {
    const w = exampleWorld();
    const e = errOf(() => w.rds.describeDBInstances({ DBInstanceIdentifier: 'nope' }, E1));
    expect(e).toBeInstanceOf(DBInstanceNotFoundFault);
    expect(e.name).toBe('DBInstanceNotFoundFault');
    expect(e.Code).toBe('DBInstanceNotFound');
    expect(e.$metadata.httpStatusCode).toBe(404);
    expect(e.message).toBe('DBInstance nope not found.');
  });

  it('shows cross-Region replication with ARNs and StatusInfos', () => {
    const w = exampleWorld();
    const p = describeOne(w, PRIMARY.id, PRIMARY.region);
    const r = describeOne(w, REPLICA.id, REPLICA.region);
    expect(p.ReadReplicaDBInstanceIdentifiers).toEqual(['arn:aws:rds:us-west-2:123456789012:db:orders-replica']);
    expect(p.StatusInfos).toBeUndefined();
    expect(r.ReadReplicaSourceDBInstanceIdentifier).toBe('arn:aws:rds:us-east-1:123456789012:db:orders-primary');
    expect(r.StatusInfos).toEqual([{ StatusType: 'read replication', Normal: true, Status: 'replicating' }]);
    expect(r.Endpoint).toEqual({ Address: 'orders-replica.c0abcdefghij.us-west-2.rds.amazonaws.com', Port: 5432 });
    expect(r.DBInstanceArn).toBe('arn:aws:rds:us-west-2:123456789012:db:orders-replica');
    // an instance is only visible in its own Region
    expect(errOf(() => w.rds.describeDBInstances({ DBInstanceIdentifier: PRIMARY.id }, W2)).name).toBe('DBInstanceNotFoundFault');
  });

  it('a crashed primary is reported failed and its replica shows replication error', () => {
    const w = exampleWorld();
    w.crashInstance(PRIMARY.id);
    expect(describeOne(w, PRIMARY.id, PRIMARY.region).DBInstanceStatus).toBe('failed');
    expect(describeOne(w, REPLICA.id, REPLICA.region).StatusInfos[0]).toMatchObject({ Normal: false, Status: 'error' });
    w.recoverInstance(PRIMARY.id);
    expect(describeOne(w, PRIMARY.id, PRIMARY.region).DBInstanceStatus).toBe('available');
    expect(describeOne(w, REPLICA.id, REPLICA.region).StatusInfos[0].Status).toBe('replicating');
  });
});

describe('RDS PromoteReadReplica', () => {
  it('modifying (source still shown) -> rebooting -> available within 60–120 s; a second call is refused', async () => {
    const w = exampleWorld();
    const out: any = w.rds.promoteReadReplica({ DBInstanceIdentifier: REPLICA.id }, W2);
    expect(out.DBInstance.DBInstanceStatus).toBe('modifying');
    expect(out.DBInstance.ReadReplicaSourceDBInstanceIdentifier).toContain('orders-primary');
    // while promoting: not in available state
    const during = errOf(() => w.rds.promoteReadReplica({ DBInstanceIdentifier: REPLICA.id }, W2));
    expect(during).toBeInstanceOf(InvalidDBInstanceStateFault);
    expect(during.message).toBe('DB Instance is not in available state.');
    const start = w.clock.now();
    const seen: string[] = [];
    while (describeOne(w, REPLICA.id, REPLICA.region).DBInstanceStatus !== 'available') {
      seen.push(describeOne(w, REPLICA.id, REPLICA.region).DBInstanceStatus);
      await w.clock.advanceBy(1000);
    }
    const took = (w.clock.now() - start) / 1000;
    expect(took).toBeGreaterThanOrEqual(60);
    expect(took).toBeLessThanOrEqual(121);
    expect(seen).toContain('rebooting');
    const after = describeOne(w, REPLICA.id, REPLICA.region);
    expect(after.ReadReplicaSourceDBInstanceIdentifier).toBeUndefined();
    expect(after.StatusInfos).toBeUndefined();
    expect(after.BackupRetentionPeriod).toBe(1);
    expect(describeOne(w, PRIMARY.id, PRIMARY.region).ReadReplicaDBInstanceIdentifiers).toEqual([]);
    const second = errOf(() => w.rds.promoteReadReplica({ DBInstanceIdentifier: REPLICA.id }, W2));
    expect(second.name).toBe('InvalidDBInstanceStateFault');
    expect(second.Code).toBe('InvalidDBInstanceState');
    expect(second.message).toBe('DB Instance is not a read replica.');
    expect(w.rds.promotions).toHaveLength(1);
  });

  it('durations are drawn from the seed: same seed same duration, and they vary across seeds', async () => {
    const dur = async (seed: number) => {
      const w = exampleWorld(seed);
      w.rds.promoteReadReplica({ DBInstanceIdentifier: REPLICA.id }, W2);
      await w.clock.runUntilIdle();
      return w.clock.now() - w.startMs;
    };
    expect(await dur(11)).toBe(await dur(11));
    const set = new Set(await Promise.all([1, 2, 3, 4, 5].map(dur)));
    expect(set.size).toBeGreaterThan(1);
  });

  it('a backing-up replica cannot be promoted; a non-replica is not a read replica', async () => {
    const w = exampleWorld();
    w.rds.createDBSnapshot({ DBSnapshotIdentifier: 'snap1', DBInstanceIdentifier: REPLICA.id }, W2);
    expect(describeOne(w, REPLICA.id, REPLICA.region).DBInstanceStatus).toBe('backing-up');
    expect(errOf(() => w.rds.promoteReadReplica({ DBInstanceIdentifier: REPLICA.id }, W2)).message).toBe('DB Instance is not in available state.');
    expect(errOf(() => w.rds.promoteReadReplica({ DBInstanceIdentifier: PRIMARY.id }, E1)).message).toBe('DB Instance is not a read replica.');
    await w.clock.runUntilIdle();
    expect(describeOne(w, REPLICA.id, REPLICA.region).DBInstanceStatus).toBe('available');
    expect((w.rds.describeDBSnapshots({ DBSnapshotIdentifier: 'snap1' }, W2) as any).DBSnapshots[0].Status).toBe('available');
  });

  it('a replica promoted with backups turned on is backed up during the promotion: writable after the reboot, backing-up for a time that grows with the data and the write rate, then available', async () => {
    const timeline = async (dataSizeGiB: number, writesPerSecond: number, input: Record<string, unknown> = {}) => {
      const w = exampleWorld(7);
      w.rds.workload = { dataSizeGiB, writesPerSecond };
      w.rds.promoteReadReplica({ DBInstanceIdentifier: REPLICA.id, ...input }, W2);
      const start = w.clock.now();
      let writableAt: number | undefined;
      let statusWhenWritable: string | undefined;
      for (;;) {
        const d = describeOne(w, REPLICA.id, REPLICA.region);
        if (writableAt === undefined && !d.ReadReplicaSourceDBInstanceIdentifier) {
          writableAt = (w.clock.now() - start) / 1000;
          statusWhenWritable = d.DBInstanceStatus;
          expect(RUNNING_STATUSES.has(d.DBInstanceStatus)).toBe(true); // it takes connections (and writes: no longer a replica)
          expect(d.Endpoint.Address).toContain(REPLICA.id);
        }
        if (d.DBInstanceStatus === 'available') break;
        await w.clock.advanceBy(5000);
      }
      const p = w.rds.promotions[0]!;
      return {
        writableAt: writableAt!,
        availableAt: (w.clock.now() - start) / 1000,
        statusWhenWritable,
        completedAt: (p.completedAt! - start) / 1000,
        backupDoneAt: (p.backupCompletedAt! - start) / 1000,
      };
    };
    const big = await timeline(300, 2);
    expect(big.writableAt).toBeLessThanOrEqual(125);
    expect(big.statusWhenWritable).toBe('backing-up');
    // 300 GiB at 8–12 s per GiB, +20 % for 2 writes per second: 48 to 72 minutes after the reboot
    expect(big.availableAt).toBeGreaterThanOrEqual(300 * 8 * 1.2);
    expect(big.availableAt).toBeLessThanOrEqual(300 * 12 * 1.2 + 125);
    expect(big.completedAt).toBeCloseTo(big.writableAt, -1);
    expect(big.backupDoneAt).toBeGreaterThan(big.completedAt + 2800);
    const quieter = await timeline(300, 0);
    expect(quieter.availableAt).toBeLessThan(big.availableAt);
    // no backup at promotion: a database of 0 GiB (the default), or BackupRetentionPeriod 0
    for (const none of [await timeline(0, 2), await timeline(300, 2, { BackupRetentionPeriod: 0 })]) {
      expect(none.statusWhenWritable).toBe('available');
      expect(none.availableAt).toBeLessThanOrEqual(125);
    }
  });

  it('a replica that already has automated backups is not backed up during its promotion', async () => {
    const w = exampleWorld(7);
    w.rds.workload = { dataSizeGiB: 300, writesPerSecond: 2 };
    w.rds.modifyDBInstance({ DBInstanceIdentifier: REPLICA.id, BackupRetentionPeriod: 3, ApplyImmediately: true }, W2);
    w.rds.promoteReadReplica({ DBInstanceIdentifier: REPLICA.id }, W2);
    await w.clock.advanceBy(125_000);
    expect(describeOne(w, REPLICA.id, REPLICA.region)).toMatchObject({ DBInstanceStatus: 'available', BackupRetentionPeriod: 1 });
  });

  it('records how much of the source the promoted replica holds (data-loss model)', async () => {
    const w = exampleWorld();
    w.setReplicaLag(REPLICA.id, 20);
    await w.clock.advanceBy(60_000);
    const crashAt = w.clock.now();
    w.crashInstance(PRIMARY.id);
    await w.clock.advanceBy(120_000);
    w.rds.promoteReadReplica({ DBInstanceIdentifier: REPLICA.id }, W2);
    expect(w.rds.promotions[0]!.dataUpToMs).toBe(crashAt - 20_000);
  });
});

describe('RDS replica lag metrics', () => {
  const series = (w: World, region: string, metric: string, id: string): { t: number; v: number }[] => {
    const r = (
      w.cloudwatch.getMetricData(
        {
          StartTime: new Date(w.startMs),
          EndTime: new Date(w.clock.now()),
          MetricDataQueries: [
            {
              Id: 'lag',
              MetricStat: {
                Metric: { Namespace: 'AWS/RDS', MetricName: metric, Dimensions: [{ Name: 'DBInstanceIdentifier', Value: id }] },
                Period: 60,
                Stat: 'Maximum',
              },
            },
          ],
        },
        { region },
      ) as any
    ).MetricDataResults[0];
    return (r.Timestamps as Date[]).map((t, i) => ({ t: t.getTime(), v: r.Values[i] as number })).reverse(); // oldest first
  };
  /** The application committing on the primary every `everyMs`. */
  const commits = (w: World, everyMs: number) => {
    const db = w.rds.getInstance(PRIMARY.id, PRIMARY.region)!;
    w.clock.every(
      everyMs,
      w.clock.now() + everyMs,
      () => w.network.recordWrite({ kind: 'instance', db }, { vantage: 'app', region: PRIMARY.region }, 'INSERT INTO t VALUES (1)'),
      'app',
      { daemon: true },
    );
  };

  it('PostgreSQL, busy source: ReplicaLag is about the configured lag; the source publishes OldestReplicationSlotLag in bytes', async () => {
    const w = exampleWorld();
    commits(w, 1000);
    w.setReplicaLag(REPLICA.id, 3);
    await w.clock.advanceBy(5 * 60_000);
    const lag = series(w, REPLICA.region, 'ReplicaLag', REPLICA.id);
    expect(lag).toHaveLength(5);
    for (const p of lag) {
      expect(p.v).toBeGreaterThanOrEqual(3);
      expect(p.v).toBeLessThan(4);
    }
    const slot = series(w, PRIMARY.region, 'OldestReplicationSlotLag', PRIMARY.id);
    expect(slot).toHaveLength(5);
    for (const p of slot) expect([2 * WAL_BYTES_PER_WRITE, 3 * WAL_BYTES_PER_WRITE]).toContain(p.v); // the commits of the last 3 s, not yet received
    w.setReplicaLag(REPLICA.id, 0);
    await w.clock.advanceBy(60_000);
    expect(series(w, PRIMARY.region, 'OldestReplicationSlotLag', PRIMARY.id).at(-1)!.v).toBe(0);
    expect(series(w, REPLICA.region, 'ReplicaLag', REPLICA.id).at(-1)!.v).toBeLessThanOrEqual(1); // the time since the last commit (one a second)
  });

  it('PostgreSQL, quiet source: ReplicaLag is the time since the last commit, up to the 5-minute WAL switch; nothing is behind (slot lag 0)', async () => {
    const w = exampleWorld();
    await w.clock.advanceBy(15 * 60_000);
    const lag = series(w, REPLICA.region, 'ReplicaLag', REPLICA.id);
    expect(lag.length).toBeGreaterThanOrEqual(14);
    for (const p of lag) {
      const sinceSwitch = (p.t + 30_000) % WAL_SWITCH_MS; // published mid-minute
      expect(p.v).toBe(sinceSwitch / 1000);
    }
    expect(Math.max(...lag.map((p) => p.v))).toBe(270);
    expect(lag.some((p, i) => i > 0 && p.v < lag[i - 1]!.v)).toBe(true); // reset by the WAL switch
    expect(new Set(series(w, PRIMARY.region, 'OldestReplicationSlotLag', PRIMARY.id).map((p) => p.v))).toEqual(new Set([0]));
  });

  it('PostgreSQL: a commit resets ReplicaLag once the replica has replayed it', async () => {
    const w = exampleWorld();
    await w.clock.advanceBy(WAL_SWITCH_MS - (w.clock.now() % WAL_SWITCH_MS) + 100_000); // 100 s after a WAL switch
    const replica = w.rds.getInstance(REPLICA.id, REPLICA.region)!;
    expect(w.rds.replicaLagMetric(replica)).toBe(100);
    w.network.recordWrite({ kind: 'instance', db: w.rds.getInstance(PRIMARY.id, PRIMARY.region)! }, { vantage: 'app' }, 'INSERT INTO t VALUES (1)');
    await w.clock.advanceBy(10_000);
    expect(w.rds.replicaLagMetric(replica)).toBe(10);
  });

  it('PostgreSQL: ReplicaLag keeps growing while the source is down (no WAL switch reaches the replica); no slot metric from a crashed source', async () => {
    const w = exampleWorld();
    commits(w, 1000);
    await w.clock.advanceBy(2 * 60_000);
    w.crashInstance(PRIMARY.id);
    await w.clock.advanceBy(8 * 60_000);
    const lag = series(w, REPLICA.region, 'ReplicaLag', REPLICA.id);
    const after = lag.filter((p) => p.t > w.startMs + 2 * 60_000);
    for (let i = 1; i < after.length; i++) expect(after[i]!.v - after[i - 1]!.v).toBe(60);
    expect(after.at(-1)!.v).toBeGreaterThan(400);
    expect(series(w, PRIMARY.region, 'OldestReplicationSlotLag', PRIMARY.id).every((p) => p.t < w.startMs + 2 * 60_000)).toBe(true);
  });

  it('MySQL reports Seconds_Behind_Master: the configured lag, -1 while the source is unreachable; no slot metric', async () => {
    const w = new World();
    w.rds.createInstance({ region: 'us-east-1', id: 'm', engine: 'mysql' });
    w.rds.createInstance({ region: 'us-west-2', id: 'mr', replicaOf: { region: 'us-east-1', id: 'm' } });
    w.setReplicaLag('mr', 4, 'us-west-2');
    await w.clock.advanceBy(6 * 60_000); // a WAL switch does not matter for MySQL
    expect(w.rds.replicaLagMetric(w.rds.getInstance('mr')!)).toBe(4);
    expect(w.rds.replicationSlotLagMetric(w.rds.getInstance('m')!)).toBeUndefined();
    w.regionOutage('us-east-1', true);
    expect(w.rds.replicaLagMetric(w.rds.getInstance('mr')!)).toBe(-1);
  });

  it('-1 when replication is not active (terminated)', () => {
    const w = exampleWorld();
    const replica = w.rds.getInstance(REPLICA.id, REPLICA.region)!;
    replica.replication = 'terminated';
    expect(w.rds.replicaLagMetric(replica)).toBe(-1);
    expect(w.rds.replicationSlotLagMetric(w.rds.getInstance(PRIMARY.id, PRIMARY.region)!)).toBeUndefined();
  });
});

describe('RDS replica lag is physical: a replica cannot lose what it applied', () => {
  const replicaOf = (w: World) => w.rds.getInstance(REPLICA.id, REPLICA.region)!;
  /** Seconds behind now of the point up to which the replica holds its source's writes. */
  const behind = (w: World) => (w.clock.now() - w.rds.replicaDataUpTo(replicaOf(w))) / 1000;
  /** Samples `f` every `stepMs` for `forMs`, checking the replica's data point never moves back. */
  const watch = async (w: World, forMs: number, stepMs: number, upTo: () => number, f?: (elapsedS: number) => void) => {
    const start = w.clock.now();
    let last = upTo();
    for (let t = stepMs; t <= forMs; t += stepMs) {
      await w.clock.advanceBy(stepMs);
      const now = upTo();
      expect(now, `data point at +${t / 1000}s`).toBeGreaterThanOrEqual(last);
      last = now;
      f?.((w.clock.now() - start) / 1000);
    }
  };
  const commits = (w: World, everyMs: number) => {
    const db = w.rds.getInstance(PRIMARY.id, PRIMARY.region)!;
    w.clock.every(
      everyMs,
      w.clock.now() + everyMs,
      () => w.network.recordWrite({ kind: 'instance', db }, { vantage: 'app', region: PRIMARY.region }, 'INSERT INTO t VALUES (1)'),
      'app',
      { daemon: true },
    );
  };

  it('a lag fault of L makes the lag grow 1 s per second from where it was, up to L, then stay at L (PostgreSQL ReplicaLag and slot lag follow)', async () => {
    const w = exampleWorld();
    commits(w, 1000);
    await w.clock.advanceBy(60_000);
    expect(behind(w)).toBe(0);
    w.setReplicaLag(REPLICA.id, 120);
    expect(behind(w)).toBe(0); // nothing applied is lost at once
    await watch(
      w,
      200_000,
      10_000,
      () => w.rds.replicaDataUpTo(replicaOf(w)),
      (s) => {
        expect(behind(w)).toBe(Math.min(120, s));
        expect(w.rds.replicaLagMetric(replicaOf(w))).toBe(Math.min(120, s)); // now − the last replayed commit (one a second)
        expect(w.rds.replicationSlotLagMetric(w.rds.getInstance(PRIMARY.id, PRIMARY.region)!)).toBe(Math.min(120, s) * WAL_BYTES_PER_WRITE);
      },
    );
  });

  it('MySQL ReplicaLag (Seconds_Behind_Master) grows with time, not at once', async () => {
    const w = new World();
    w.rds.createInstance({ region: 'us-east-1', id: 'm', engine: 'mysql' });
    w.rds.createInstance({ region: 'us-west-2', id: 'mr', replicaOf: { region: 'us-east-1', id: 'm' } });
    w.setReplicaLag('mr', 100, 'us-west-2');
    const mr = w.rds.getInstance('mr')!;
    expect(w.rds.replicaLagMetric(mr)).toBe(0);
    await w.clock.advanceBy(30_000);
    expect(w.rds.replicaLagMetric(mr)).toBe(30);
    await w.clock.advanceBy(120_000);
    expect(w.rds.replicaLagMetric(mr)).toBe(100);
  });

  it('a lower lag (0 included) catches up at once; a higher one grows again from there', async () => {
    const w = exampleWorld();
    w.setReplicaLag(REPLICA.id, 300);
    await w.clock.advanceBy(90_000);
    expect(behind(w)).toBe(90);
    w.setReplicaLag(REPLICA.id, 30);
    expect(behind(w)).toBe(30);
    w.setReplicaLag(REPLICA.id, 0);
    expect(behind(w)).toBe(0);
    w.setReplicaLag(REPLICA.id, 50);
    await w.clock.advanceBy(20_000);
    expect(behind(w)).toBe(20);
    await w.clock.advanceBy(60_000);
    expect(behind(w)).toBe(50);
  });

  it('the data point never moves back through lag faults, a source crash and its recovery', async () => {
    const w = exampleWorld();
    const upTo = () => w.rds.replicaDataUpTo(replicaOf(w));
    const steps: [number, () => void][] = [
      [0, () => w.setReplicaLag(REPLICA.id, 300)],
      [40_000, () => w.setReplicaLag(REPLICA.id, 10)],
      [20_000, () => w.setReplicaLag(REPLICA.id, 3600)],
      [30_000, () => w.crashInstance(PRIMARY.id)],
      [30_000, () => w.setReplicaLag(REPLICA.id, 7200)], // while the source is down
      [30_000, () => w.setReplicaLag(REPLICA.id, 0)],
      [30_000, () => w.setReplicaLag(REPLICA.id, 600)],
      [30_000, () => w.recoverInstance(PRIMARY.id)],
      [30_000, () => w.setReplicaLag(REPLICA.id, 45)],
    ];
    let last = upTo();
    for (const [waitMs, act] of steps) {
      await watch(w, waitMs, 5_000, upTo);
      act();
      expect(upTo()).toBeGreaterThanOrEqual(last);
      last = upTo();
    }
    await watch(w, 300_000, 5_000, upTo);
    expect(behind(w)).toBe(45);
  });

  it('a lag fault 40 s before the crash: the promotion holds the writes up to 40 s before it, not 120 s', async () => {
    const w = exampleWorld();
    await w.clock.advanceBy(260_000);
    const faultAt = w.clock.now();
    w.setReplicaLag(REPLICA.id, 120);
    await w.clock.advanceBy(40_000);
    w.crashInstance(PRIMARY.id);
    w.setReplicaLag(REPLICA.id, 600); // after the crash: changes nothing it holds
    await w.clock.advanceBy(60_000);
    w.rds.promoteReadReplica({ DBInstanceIdentifier: REPLICA.id }, W2);
    expect(w.rds.promotions[0]!.dataUpToMs).toBe(faultAt);
  });

  it('a new replica holds what its snapshot holds while creating, then catches up without going back; a lower lag keeps the catch-up going', async () => {
    const w = exampleWorld();
    w.rds.createInstance({ region: 'us-west-2', id: 'newp' });
    const requestedAt = w.clock.now();
    w.rds.createDBInstanceReadReplica({ DBInstanceIdentifier: 'rebuilt', SourceDBInstanceIdentifier: 'arn:aws:rds:us-west-2:123456789012:db:newp' }, E1);
    const rebuilt = () => w.rds.getInstance('rebuilt', 'us-east-1')!;
    const upTo = () => w.rds.replicaDataUpTo(rebuilt());
    await w.clock.advanceBy(60_000);
    expect(upTo()).toBe(requestedAt);
    while (rebuilt().status === 'creating') await watch(w, 60_000, 10_000, upTo);
    const lagAt = () => (w.clock.now() - upTo()) / 1000;
    const first = lagAt();
    expect(first).toBeGreaterThan(0);
    w.setReplicaLag('rebuilt', 0, 'us-east-1');
    expect(lagAt()).toBe(first); // not at once: the catch-up goes on
    await watch(w, 15 * 60_000, 10_000, upTo);
    expect(lagAt()).toBe(0);
  });

  it("Aurora: a secondary's lag grows 1 s per second up to the fault's figure, its metrics follow; a crashed writer freezes its data, and a failover keeps that point", async () => {
    const w = global();
    const west = w.rds.getCluster('c-west')!;
    const upTo = () => w.rds.clusterDataUpTo(west);
    await w.clock.advanceBy(60_000);
    const faultAt = w.clock.now();
    w.setReplicaLag('c-west', 120, 'us-west-2');
    expect(w.rds.clusterLagMs(west)).toBe(0);
    await watch(w, 200_000, 10_000, upTo, (s) => expect(w.rds.clusterLagMs(west)).toBe(Math.min(120, s) * 1000));
    const rpo = (
      w.cloudwatch.getMetricData(
        {
          StartTime: new Date(faultAt),
          EndTime: new Date(w.clock.now()),
          MetricDataQueries: [
            {
              Id: 'rpo',
              MetricStat: {
                Metric: { Namespace: 'AWS/RDS', MetricName: 'AuroraGlobalDBRPOLag', Dimensions: [{ Name: 'DBClusterIdentifier', Value: 'c-west' }] },
                Period: 60,
                Stat: 'Maximum',
              },
            },
          ],
        },
        W2,
      ) as any
    ).MetricDataResults[0];
    const points = (rpo.Timestamps as Date[]).map((t, i) => ({ s: (t.getTime() + 30_000 - faultAt) / 1000, v: rpo.Values[i] as number })); // published mid-minute
    expect(points.length).toBeGreaterThanOrEqual(3);
    for (const p of points) expect(p.v).toBe(Math.min(120, p.s) * 1000);

    w.setReplicaLag('c-west', 0, 'us-west-2');
    expect(w.rds.clusterLagMs(west)).toBe(0);
    const faultAt2 = w.clock.now();
    w.setReplicaLag('c-west', 120, 'us-west-2');
    await w.clock.advanceBy(40_000);
    w.crashInstance('c-east');
    // Nothing reaches it from the crashed writer: its data stays where it was, its lag figure too.
    await w.clock.advanceBy(150_000);
    expect(upTo()).toBe(faultAt2);
    expect(w.rds.clusterLagMs(west)).toBe(40_000);
    w.setReplicaLag('c-west', 600, 'us-west-2'); // after the crash: changes nothing it holds
    expect(upTo()).toBe(faultAt2);
    w.rds.failoverGlobalCluster({ GlobalClusterIdentifier: 'g1', TargetDbClusterIdentifier: 'c-west', AllowDataLoss: true }, W2);
    await w.clock.runUntilIdle();
    expect(w.rds.promotions.at(-1)!.dataUpToMs).toBe(faultAt2);
    expect(w.rds.clusterLagMs(west)).toBe(0); // the writer now
  });
});

describe('RDS ModifyDBInstance, Reboot, Stop, Start', () => {
  it('class change with ApplyImmediately: modifying for minutes, then the new class', async () => {
    const w = exampleWorld();
    const out: any = w.rds.modifyDBInstance({ DBInstanceIdentifier: PRIMARY.id, DBInstanceClass: 'db.r6g.xlarge', ApplyImmediately: true }, E1);
    expect(out.DBInstance.DBInstanceStatus).toBe('modifying');
    await w.clock.advanceBy(3 * 60_000);
    expect(describeOne(w, PRIMARY.id, PRIMARY.region).DBInstanceClass).toBe('db.r6g.large');
    await w.clock.runUntilIdle();
    const d = describeOne(w, PRIMARY.id, PRIMARY.region);
    expect(d.DBInstanceClass).toBe('db.r6g.xlarge');
    expect(d.DBInstanceStatus).toBe('available');
  });

  it('class change without ApplyImmediately waits in PendingModifiedValues', () => {
    const w = exampleWorld();
    w.rds.modifyDBInstance({ DBInstanceIdentifier: PRIMARY.id, DBInstanceClass: 'db.r6g.xlarge' }, E1);
    const d = describeOne(w, PRIMARY.id, PRIMARY.region);
    expect(d.DBInstanceStatus).toBe('available');
    expect(d.PendingModifiedValues).toEqual({ DBInstanceClass: 'db.r6g.xlarge' });
  });

  it('VpcSecurityGroupIds apply asynchronously without downtime, whatever ApplyImmediately says', async () => {
    const w = exampleWorld();
    w.rds.modifyDBInstance({ DBInstanceIdentifier: PRIMARY.id, VpcSecurityGroupIds: ['sg-0fence000000000000'] }, E1);
    const d = describeOne(w, PRIMARY.id, PRIMARY.region);
    expect(d.DBInstanceStatus).toBe('available');
    expect(d.VpcSecurityGroups).toEqual([
      { VpcSecurityGroupId: 'sg-0a1b2c3d4e5f60718', Status: 'removing' },
      { VpcSecurityGroupId: 'sg-0fence000000000000', Status: 'adding' },
    ]);
    await w.clock.advanceBy(30_000);
    expect(describeOne(w, PRIMARY.id, PRIMARY.region).VpcSecurityGroups).toEqual([{ VpcSecurityGroupId: 'sg-0fence000000000000', Status: 'active' }]);
  });

  it('rename: renaming, old DNS name gone at once, new id after the reboot, replicas stay attached', async () => {
    const w = exampleWorld();
    const addr = 'orders-primary.c0abcdefghij.us-east-1.rds.amazonaws.com';
    expect(w.network.resolve(addr, undefined)).toBeDefined();
    const out: any = w.rds.modifyDBInstance({ DBInstanceIdentifier: PRIMARY.id, NewDBInstanceIdentifier: 'Orders-Primary-Old', ApplyImmediately: true }, E1);
    expect(out.DBInstance.DBInstanceStatus).toBe('renaming');
    expect(out.DBInstance.PendingModifiedValues.DBInstanceIdentifier).toBe('orders-primary-old');
    expect(w.network.resolve(addr, undefined)).toBeUndefined();
    await w.clock.advanceBy(5 * 60_000);
    expect(errOf(() => w.rds.describeDBInstances({ DBInstanceIdentifier: PRIMARY.id }, E1)).name).toBe('DBInstanceNotFoundFault');
    expect(describeOne(w, 'orders-primary-old', 'us-east-1').DBInstanceStatus).toBe('available');
    expect(describeOne(w, REPLICA.id, REPLICA.region).ReadReplicaSourceDBInstanceIdentifier).toBe('arn:aws:rds:us-east-1:123456789012:db:orders-primary-old');
    expect(w.network.resolve('orders-primary-old.c0abcdefghij.us-east-1.rds.amazonaws.com', undefined)).toBeUndefined();
    await w.clock.advanceBy(6 * 60_000);
    expect(w.network.resolve('orders-primary-old.c0abcdefghij.us-east-1.rds.amazonaws.com', undefined)).toBeDefined();
    expect(
      errOf(() => w.rds.modifyDBInstance({ DBInstanceIdentifier: 'orders-primary-old', NewDBInstanceIdentifier: REPLICA.id, ApplyImmediately: true }, W2)).name,
    ).toBe('DBInstanceNotFoundFault');
  });

  it('reboot: rebooting 30–60 s, events 0004 and 0006', async () => {
    const w = exampleWorld();
    w.rds.rebootDBInstance({ DBInstanceIdentifier: PRIMARY.id }, E1);
    expect(describeOne(w, PRIMARY.id, PRIMARY.region).DBInstanceStatus).toBe('rebooting');
    await w.clock.advanceBy(29_000);
    expect(describeOne(w, PRIMARY.id, PRIMARY.region).DBInstanceStatus).toBe('rebooting');
    await w.clock.advanceBy(32_000);
    expect(describeOne(w, PRIMARY.id, PRIMARY.region).DBInstanceStatus).toBe('available');
    const ids = w.events.log.filter((e) => e.event.source === 'aws.rds').map((e) => (e.event.detail as any).EventID);
    expect(ids).toEqual(['RDS-EVENT-0004', 'RDS-EVENT-0006']);
    expect(errOf(() => w.rds.rebootDBInstance({ DBInstanceIdentifier: PRIMARY.id, ForceFailover: true }, E1)).name).toBe('InvalidParameterCombination');
  });

  it('stop is refused for replicas and for sources with replicas; a stopped instance cannot be modified; start brings it back', async () => {
    const w = exampleWorld();
    expect(errOf(() => w.rds.stopDBInstance({ DBInstanceIdentifier: REPLICA.id }, W2)).name).toBe('InvalidDBInstanceStateFault');
    expect(errOf(() => w.rds.stopDBInstance({ DBInstanceIdentifier: PRIMARY.id }, E1)).message).toContain('has read replicas');
    w.rds.createInstance({ region: 'us-east-1', id: 'solo' });
    w.rds.stopDBInstance({ DBInstanceIdentifier: 'solo' }, E1);
    await w.clock.runUntilIdle();
    expect(describeOne(w, 'solo', 'us-east-1').DBInstanceStatus).toBe('stopped');
    expect(errOf(() => w.rds.modifyDBInstance({ DBInstanceIdentifier: 'solo', DBInstanceClass: 'db.t4g.micro', ApplyImmediately: true }, E1)).name).toBe(
      'InvalidDBInstanceStateFault',
    );
    expect(errOf(() => w.rds.startDBInstance({ DBInstanceIdentifier: PRIMARY.id }, E1)).name).toBe('InvalidDBInstanceStateFault');
    w.rds.startDBInstance({ DBInstanceIdentifier: 'solo' }, E1);
    await w.clock.runUntilIdle();
    expect(describeOne(w, 'solo', 'us-east-1').DBInstanceStatus).toBe('available');
    const ids = w.events.log.filter((e) => e.event.source === 'aws.rds').map((e) => (e.event.detail as any).EventID);
    expect(ids).toEqual(['RDS-EVENT-0087', 'RDS-EVENT-0088']);
  });
});

describe('RDS CreateDBInstanceReadReplica, snapshots, delete, backups', () => {
  it('cross-Region replica from the source ARN: creating for tens of minutes, then available and catching up', async () => {
    const w = exampleWorld();
    // after a failover, rebuild the old primary site as a replica of the new primary
    w.rds.createInstance({ region: 'us-west-2', id: 'newp' });
    const out: any = w.rds.createDBInstanceReadReplica(
      { DBInstanceIdentifier: 'rebuilt', SourceDBInstanceIdentifier: 'arn:aws:rds:us-west-2:123456789012:db:newp' },
      E1,
    );
    expect(out.DBInstance.DBInstanceStatus).toBe('creating');
    expect(out.DBInstance.Endpoint).toBeUndefined();
    expect(describeOne(w, 'newp', 'us-west-2').DBInstanceStatus).toBe('modifying');
    await w.clock.advanceBy(19 * 60_000);
    expect(describeOne(w, 'rebuilt', 'us-east-1').DBInstanceStatus).toBe('creating');
    while (describeOne(w, 'rebuilt', 'us-east-1').DBInstanceStatus === 'creating') await w.clock.advanceBy(60_000);
    expect(w.clock.now() - w.startMs).toBeLessThanOrEqual(46 * 60_000);
    const r = describeOne(w, 'rebuilt', 'us-east-1');
    expect(r.DBInstanceStatus).toBe('available');
    expect(r.ReadReplicaSourceDBInstanceIdentifier).toBe('arn:aws:rds:us-west-2:123456789012:db:newp');
    expect(r.BackupRetentionPeriod).toBe(0);
    expect(w.rds.replicaLagMetric(w.rds.getInstance('rebuilt', 'us-east-1')!)).toBeGreaterThan(0);
    expect(describeOne(w, 'newp', 'us-west-2').DBInstanceStatus).toBe('available');
  });

  it('a PostgreSQL replica cannot name a parameter group (InvalidParameterCombination); it gets the default group, set afterwards with ModifyDBInstance and a reboot', async () => {
    const w = exampleWorld();
    w.rds.createInstance({ region: 'us-west-2', id: 'newp', engine: 'postgres', parameterGroup: 'orders-pg16' });
    const src = 'arn:aws:rds:us-west-2:123456789012:db:newp';
    const e = errOf(() =>
      w.rds.createDBInstanceReadReplica({ DBInstanceIdentifier: 'rebuilt', SourceDBInstanceIdentifier: src, DBParameterGroupName: 'orders-pg16' }, E1),
    );
    expect(e.name).toBe('InvalidParameterCombination');
    expect(e.message).toBe("A parameter group can't be specified during Read Replica creation for the following DB engine: postgres");
    expect(w.rds.getInstance('rebuilt', 'us-east-1')).toBeUndefined();
    w.rds.createDBInstanceReadReplica({ DBInstanceIdentifier: 'rebuilt', SourceDBInstanceIdentifier: src }, E1);
    expect(describeOne(w, 'rebuilt', 'us-east-1').DBParameterGroups).toEqual([{ DBParameterGroupName: 'default.postgres16', ParameterApplyStatus: 'in-sync' }]);
    expect(errOf(() => w.rds.modifyDBInstance({ DBInstanceIdentifier: 'rebuilt', DBParameterGroupName: 'orders-pg16', ApplyImmediately: true }, E1)).name).toBe(
      'InvalidDBInstanceStateFault',
    );
    while (describeOne(w, 'rebuilt', 'us-east-1').DBInstanceStatus === 'creating') await w.clock.advanceBy(60_000);
    w.rds.modifyDBInstance({ DBInstanceIdentifier: 'rebuilt', DBParameterGroupName: 'orders-pg16', ApplyImmediately: true }, E1);
    expect(describeOne(w, 'rebuilt', 'us-east-1')).toMatchObject({
      DBInstanceStatus: 'modifying',
      DBParameterGroups: [{ DBParameterGroupName: 'orders-pg16', ParameterApplyStatus: 'applying' }],
    });
    await w.clock.advanceBy(60_000);
    expect(describeOne(w, 'rebuilt', 'us-east-1')).toMatchObject({
      DBInstanceStatus: 'available',
      DBParameterGroups: [{ DBParameterGroupName: 'orders-pg16', ParameterApplyStatus: 'pending-reboot' }],
    });
    w.rds.rebootDBInstance({ DBInstanceIdentifier: 'rebuilt' }, E1);
    await w.clock.advanceBy(61_000);
    expect(describeOne(w, 'rebuilt', 'us-east-1')).toMatchObject({
      DBInstanceStatus: 'available',
      DBParameterGroups: [{ DBParameterGroupName: 'orders-pg16', ParameterApplyStatus: 'in-sync' }],
    });
  });

  it('a MySQL cross-Region replica may name its parameter group', () => {
    const w = exampleWorld();
    w.rds.createInstance({ region: 'us-west-2', id: 'newm', engine: 'mysql', parameterGroup: 'orders-my80' });
    w.rds.createDBInstanceReadReplica(
      { DBInstanceIdentifier: 'rebuiltm', SourceDBInstanceIdentifier: 'arn:aws:rds:us-west-2:123456789012:db:newm', DBParameterGroupName: 'orders-my80' },
      E1,
    );
    expect(describeOne(w, 'rebuiltm', 'us-east-1').DBParameterGroups).toEqual([{ DBParameterGroupName: 'orders-my80', ParameterApplyStatus: 'in-sync' }]);
  });

  it('replica creation errors', () => {
    const w = exampleWorld();
    expect(
      errOf(() =>
        w.rds.createDBInstanceReadReplica({ DBInstanceIdentifier: 'x', SourceDBInstanceIdentifier: 'arn:aws:rds:us-east-1:123456789012:db:nope' }, W2),
      ).name,
    ).toBe('DBInstanceNotFoundFault');
    expect(
      errOf(() =>
        w.rds.createDBInstanceReadReplica(
          { DBInstanceIdentifier: REPLICA.id, SourceDBInstanceIdentifier: 'arn:aws:rds:us-east-1:123456789012:db:orders-primary' },
          W2,
        ),
      ).name,
    ).toBe('DBInstanceAlreadyExistsFault');
    expect(
      errOf(() =>
        w.rds.createDBInstanceReadReplica(
          { DBInstanceIdentifier: 'x', SourceDBInstanceIdentifier: 'arn:aws:rds:us-west-2:123456789012:db:orders-replica' },
          E1,
        ),
      ).message,
    ).toContain('Automated backups are not enabled');
    expect(
      errOf(() => w.rds.createDBInstanceReadReplica({ DBInstanceIdentifier: 'x', SourceDBInstanceIdentifier: PRIMARY.id, DBSubnetGroupName: 'g' }, E1)).name,
    ).toBe('DBSubnetGroupNotAllowedFault');
  });

  it('delete needs a final snapshot or SkipFinalSnapshot; deletion protection; replicas of a deleted PostgreSQL source terminate', async () => {
    const w = exampleWorld();
    const del = (input: object) => errOf(() => w.rds.deleteDBInstance({ DBInstanceIdentifier: PRIMARY.id, ...input }, E1));
    expect(del({}).message).toBe('FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.');
    expect(del({ SkipFinalSnapshot: true, FinalDBSnapshotIdentifier: 's' }).name).toBe('InvalidParameterCombination');
    w.rds.modifyDBInstance({ DBInstanceIdentifier: PRIMARY.id, DeletionProtection: true }, E1);
    expect(del({ SkipFinalSnapshot: true }).message).toBe('Cannot delete protected DB Instance, please disable deletion protection and try again.');
    w.rds.modifyDBInstance({ DBInstanceIdentifier: PRIMARY.id, DeletionProtection: false }, E1);
    expect(errOf(() => w.rds.deleteDBInstance({ DBInstanceIdentifier: REPLICA.id, FinalDBSnapshotIdentifier: 's' }, W2)).name).toBe(
      'InvalidParameterCombination',
    );
    const out: any = w.rds.deleteDBInstance({ DBInstanceIdentifier: PRIMARY.id, FinalDBSnapshotIdentifier: 'final', DeleteAutomatedBackups: false }, E1);
    expect(out.DBInstance.DBInstanceStatus).toBe('deleting');
    await w.clock.runUntilIdle();
    expect(errOf(() => w.rds.describeDBInstances({ DBInstanceIdentifier: PRIMARY.id }, E1)).name).toBe('DBInstanceNotFoundFault');
    expect(
      (w.rds.describeDBSnapshots({ DBInstanceIdentifier: PRIMARY.id }, E1) as any).DBSnapshots.map((s: any) => [s.DBSnapshotIdentifier, s.Status]),
    ).toEqual([['final', 'available']]);
    const backups = (w.rds.describeDBInstanceAutomatedBackups({ DBInstanceIdentifier: PRIMARY.id }, E1) as any).DBInstanceAutomatedBackups;
    expect(backups[0].Status).toBe('retained');
    expect(describeOne(w, REPLICA.id, REPLICA.region).StatusInfos[0].Status).toBe('terminated');
    expect(w.rds.deletions).toEqual([expect.objectContaining({ instanceId: PRIMARY.id, finalSnapshot: 'final', retainedAutomatedBackups: true })]);
  });

  it('a failed instance can only be deleted with SkipFinalSnapshot', () => {
    const w = exampleWorld();
    w.crashInstance(PRIMARY.id);
    expect(errOf(() => w.rds.deleteDBInstance({ DBInstanceIdentifier: PRIMARY.id, FinalDBSnapshotIdentifier: 's' }, E1)).message).toContain(
      'SkipFinalSnapshot',
    );
  });

  it('CreateDBSnapshot refuses duplicates', () => {
    const w = exampleWorld();
    w.rds.createDBSnapshot({ DBSnapshotIdentifier: 's', DBInstanceIdentifier: PRIMARY.id }, E1);
    expect(errOf(() => w.rds.createDBSnapshot({ DBSnapshotIdentifier: 's', DBInstanceIdentifier: PRIMARY.id }, E1)).name).toBe('DBSnapshotAlreadyExistsFault');
    expect(errOf(() => w.rds.describeDBSnapshots({ DBSnapshotIdentifier: 'zz' }, E1)).name).toBe('DBSnapshotNotFoundFault');
  });

  it('automated backups lag 5 minutes behind now', async () => {
    const w = exampleWorld();
    await w.clock.advanceBy(60 * 60_000);
    const b = (w.rds.describeDBInstanceAutomatedBackups({ DBInstanceIdentifier: PRIMARY.id }, E1) as any).DBInstanceAutomatedBackups[0];
    expect(b.Status).toBe('active');
    expect(w.clock.now() - b.RestoreWindow.LatestTime.getTime()).toBe(5 * 60_000);
  });
});

describe('RDS events', () => {
  it('a crash emits an "RDS DB Instance Event" with the AWS detail shape', () => {
    const w = exampleWorld();
    w.crashInstance(PRIMARY.id);
    const e = w.events.log.find((x) => x.event.source === 'aws.rds')!.event;
    expect(e['detail-type']).toBe('RDS DB Instance Event');
    expect(e.region).toBe('us-east-1');
    expect(e.resources).toEqual(['arn:aws:rds:us-east-1:123456789012:db:orders-primary']);
    expect(e.detail).toEqual({
      EventCategories: ['failure'],
      SourceType: 'DB_INSTANCE',
      SourceArn: 'arn:aws:rds:us-east-1:123456789012:db:orders-primary',
      Date: '2026-01-01T00:00:00.000Z',
      Message: expect.any(String),
      SourceIdentifier: 'orders-primary',
      EventID: 'RDS-EVENT-0031',
    });
  });
});

/** A world with the Aurora global cluster g1: writer c-east (us-east-1), secondary c-west (us-west-2). */
const global = () => {
  const w = new World();
  w.rds.createGlobalCluster({
    id: 'g1',
    engine: 'aurora-postgresql',
    clusters: [
      { region: 'us-east-1', id: 'c-east' },
      { region: 'us-west-2', id: 'c-west' },
    ],
  });
  return w;
};

describe('Aurora global clusters', () => {
  it('FailoverState is empty unless an operation runs; switchover takes 1–2 min and keeps the topology', async () => {
    const w = global();
    const g0: any = (w.rds.describeGlobalClusters({ GlobalClusterIdentifier: 'g1' }, W2) as any).GlobalClusters[0];
    expect(g0.FailoverState).toBeUndefined();
    expect(g0.GlobalClusterMembers.map((m: any) => m.IsWriter)).toEqual([true, false]);
    w.rds.switchoverGlobalCluster({ GlobalClusterIdentifier: 'g1', TargetDbClusterIdentifier: 'arn:aws:rds:us-west-2:123456789012:cluster:c-west' }, W2);
    const g1: any = (w.rds.describeGlobalClusters({ GlobalClusterIdentifier: 'g1' }, W2) as any).GlobalClusters[0];
    expect(g1.FailoverState).toEqual({
      Status: 'pending',
      FromDbClusterArn: 'arn:aws:rds:us-east-1:123456789012:cluster:c-east',
      ToDbClusterArn: 'arn:aws:rds:us-west-2:123456789012:cluster:c-west',
      IsDataLossAllowed: false,
    });
    expect(errOf(() => w.rds.failoverGlobalCluster({ GlobalClusterIdentifier: 'g1', TargetDbClusterIdentifier: 'c-west', AllowDataLoss: true }, W2)).name).toBe(
      'InvalidGlobalClusterStateFault',
    );
    await w.clock.advanceBy(30_000);
    expect((w.rds.describeGlobalClusters({}, W2) as any).GlobalClusters[0].FailoverState.Status).toBe('switching-over');
    await w.clock.advanceBy(100_000);
    const g2: any = (w.rds.describeGlobalClusters({ GlobalClusterIdentifier: 'g1' }, W2) as any).GlobalClusters[0];
    expect(g2.FailoverState).toBeUndefined();
    expect(g2.GlobalClusterMembers.map((m: any) => m.IsWriter)).toEqual([false, true]);
  });

  it('a switchover blocks writes on the old writer until the roles swap, and the new writer holds everything (no data loss)', async () => {
    const w = global();
    const east = { kind: 'cluster' as const, db: w.rds.getCluster('c-east')!, reader: false };
    const west = { kind: 'cluster' as const, db: w.rds.getCluster('c-west')!, reader: false };
    expect([w.network.readOnly(east), w.network.readOnly(west)]).toEqual([false, true]);
    w.rds.switchoverGlobalCluster({ GlobalClusterIdentifier: 'g1', TargetDbClusterIdentifier: 'c-west' }, W2);
    await w.clock.advanceBy(30_000);
    expect([w.network.readOnly(east), w.network.readOnly(west)]).toEqual([true, true]);
    // the topology is unchanged while it runs: the old writer is still the writer
    expect(w.rds.clusterIsWriter(east.db)).toBe(true);
    await w.clock.runUntilIdle();
    expect([w.network.readOnly(east), w.network.readOnly(west)]).toEqual([true, false]);
    const p = w.rds.promotions.at(-1)!;
    expect(p).toMatchObject({ instanceId: 'c-west', sourceId: 'c-east' });
    expect(p.dataUpToMs).toBe(p.completedAt);
  });

  it('a failover with data loss keeps what the target had applied when it started', async () => {
    const w = global();
    w.crashInstance('c-east');
    w.rds.failoverGlobalCluster({ GlobalClusterIdentifier: 'g1', TargetDbClusterIdentifier: 'c-west', AllowDataLoss: true }, W2);
    await w.clock.runUntilIdle();
    const p = w.rds.promotions.at(-1)!;
    expect(p.dataUpToMs).toBeLessThanOrEqual(p.startedAt);
  });

  it('AllowDataLoss with Switchover is invalid; a switchover fails when the old primary is down; failover with data loss works', async () => {
    const w = global();
    expect(
      errOf(() =>
        w.rds.failoverGlobalCluster({ GlobalClusterIdentifier: 'g1', TargetDbClusterIdentifier: 'c-west', AllowDataLoss: true, Switchover: true }, W2),
      ).name,
    ).toBe('InvalidParameterCombination');
    expect(errOf(() => w.rds.failoverGlobalCluster({ GlobalClusterIdentifier: 'nope', TargetDbClusterIdentifier: 'c-west' }, W2)).name).toBe(
      'GlobalClusterNotFoundFault',
    );
    w.crashInstance('c-east');
    w.rds.failoverGlobalCluster({ GlobalClusterIdentifier: 'g1', TargetDbClusterIdentifier: 'c-west' }, W2);
    await w.clock.runUntilIdle();
    expect(w.rds.clusterIsWriter(w.rds.getCluster('c-east')!)).toBe(true);
    expect(w.events.log.some((e) => (e.event.detail as any).EventID === 'RDS-EVENT-0187')).toBe(true);
    w.rds.failoverGlobalCluster({ GlobalClusterIdentifier: 'g1', TargetDbClusterIdentifier: 'c-west', AllowDataLoss: true }, W2);
    await w.clock.runUntilIdle();
    const g: any = (w.rds.describeGlobalClusters({ GlobalClusterIdentifier: 'g1' }, W2) as any).GlobalClusters[0];
    expect(g.GlobalClusterMembers).toEqual([
      expect.objectContaining({ IsWriter: false, SynchronizationStatus: 'pending-resync' }),
      expect.objectContaining({ IsWriter: true, SynchronizationStatus: 'connected' }),
    ]);
    expect((w.rds.describeDBClusters({ DBClusterIdentifier: 'c-west' }, W2) as any).DBClusters[0].Endpoint).toBe(
      'c-west.cluster-c0abcdefghij.us-west-2.rds.amazonaws.com',
    );
  });
});

describe('Aurora cluster failover and reboot across a crash', () => {
  const statusOf = (w: World) => (w.rds.describeDBClusters({ DBClusterIdentifier: 'c-east' }, E1) as any).DBClusters[0].Status;

  it.each([
    ['ends while the cluster is down: it comes back available', 10_000, 600_000],
    ['is still under way when the cluster comes back: it ends on time', 5_000, 10_000],
  ])('a FailoverDBCluster that %s', async (_what, crashAfterMs, downForMs) => {
    const w = global();
    w.rds.failoverDBCluster({ DBClusterIdentifier: 'c-east' }, E1);
    expect(statusOf(w)).toBe('failing-over');
    await w.clock.advanceBy(crashAfterMs);
    w.rds.crash('c-east', 'us-east-1');
    expect(statusOf(w)).toBe('failed');
    await w.clock.advanceBy(downForMs);
    w.rds.recover('c-east', 'us-east-1');
    await w.clock.advanceBy(61_000);
    expect(statusOf(w)).toBe('available');
  });

  it('a writer reboot that ends while the cluster is down: it comes back available', async () => {
    const w = global();
    w.rds.rebootDBInstance({ DBInstanceIdentifier: 'c-east-instance-1' }, E1);
    expect(statusOf(w)).toBe('rebooting');
    w.rds.crash('c-east', 'us-east-1');
    await w.clock.advanceBy(120_000);
    w.rds.recover('c-east', 'us-east-1');
    expect(statusOf(w)).toBe('available');
  });
});

describe('RDS through the SDK', () => {
  const twin = useSdkTwin();
  it('real RDSClient: errors are the SDK classes, Region comes from the client', async () => {
    const w = twin.use(exampleWorld());
    const west = new RDSClient({ region: 'us-west-2' });
    const east = new RDSClient({ region: 'us-east-1' });
    await expect(east.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: REPLICA.id }))).rejects.toBeInstanceOf(DBInstanceNotFoundFault);
    const d = await west.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: REPLICA.id }));
    expect(d.DBInstances?.[0]?.DBInstanceStatus).toBe('available');
    expect(d.$metadata.httpStatusCode).toBe(200);
    await west.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: REPLICA.id }));
    await expect(west.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: REPLICA.id }))).rejects.toBeInstanceOf(InvalidDBInstanceStateFault);
    expect(w.apiCalls).toMatchObject({ 'rds:DescribeDBInstances': 2, 'rds:PromoteReadReplica': 2 });
  });
});
