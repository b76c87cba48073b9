/**
 * RDS, part 2: replication. Crash and recovery, replica lag (apply delay, catch-up, what a replica
 * or an Aurora secondary holds), the ReplicaLag / OldestReplicationSlotLag / Aurora lag metrics,
 * and how replication reacts to connectivity changes (docs/aws-behaviour.md "Replication lag").
 */
import { RUNNING_STATUSES, WAL_BYTES_PER_WRITE, WAL_SWITCH_MS, type DbCluster, type DbInstance } from './rds-model.js';
import { key, RdsState } from './rds-state.js';

export abstract class RdsReplication extends RdsState {
  /** Crash: the instance (or Aurora cluster) reports `failed`, drops every session, refuses connections. */
  crash(id: string, region?: string): void {
    const inst = this.getInstance(id, region);
    if (inst) {
      if (inst.crashed) return;
      inst.crashed = true;
      inst.statusBeforeCrash = inst.status;
      inst.status = 'failed';
      this.world.network.dropSessions(inst, 'crash');
      this.world.log('fault', `instance ${inst.id} crashed`, { instanceId: inst.id, region: inst.region });
      this.event(inst, 'RDS-EVENT-0031', ['failure'], 'The DB instance has failed. We recommend that you begin a point-in-time-restore for the DB instance.');
      this.onConnectivityChange();
      return;
    }
    const c = this.getCluster(id, region);
    if (!c) throw new Error(`twin: no instance or cluster ${id}`);
    if (c.crashed) return;
    c.crashed = true;
    c.statusBeforeCrash = c.status;
    c.status = 'failed';
    this.world.network.dropSessions(c, 'crash');
    this.world.log('fault', `cluster ${c.id} crashed`, { clusterId: c.id, region: c.region });
    this.onConnectivityChange();
  }

  /** Recover: back as it was (status before the crash, or what scheduled changes made of it meanwhile). */
  recover(id: string, region?: string): void {
    const inst = this.getInstance(id, region);
    if (inst) {
      if (!inst.crashed) return;
      inst.crashed = false;
      inst.status = inst.statusBeforeCrash ?? 'available';
      inst.statusBeforeCrash = undefined;
      this.world.log('fault', `instance ${inst.id} recovered (${inst.status})`, { instanceId: inst.id, region: inst.region });
      this.event(inst, 'RDS-EVENT-0006', ['availability'], 'DB instance restarted');
      this.onConnectivityChange();
      return;
    }
    const c = this.getCluster(id, region);
    if (!c) throw new Error(`twin: no instance or cluster ${id}`);
    if (!c.crashed) return;
    c.crashed = false;
    c.status = c.statusBeforeCrash ?? 'available';
    c.statusBeforeCrash = undefined;
    this.world.log('fault', `cluster ${c.id} recovered`, { clusterId: c.id, region: c.region });
    this.onConnectivityChange();
  }

  /**
   * Sets a replica's apply delay (or an Aurora secondary cluster's), in seconds. A replica cannot
   * lose what it has applied: above its current lag, the lag grows at most as fast as time passes
   * (1 s per second, from the point it holds now) until it reaches `seconds`; below it, the replica
   * catches up: at once, or along the catch-up a new replica is still making (docs/aws-behaviour.md,
   * "Replication lag"). The point up to which it holds its source's data never moves back.
   */
  setLag(id: string, seconds: number, region?: string): void {
    const inst = this.getInstance(id, region);
    if (inst) {
      const now = this.world.clock.now();
      if (inst.catchUp && seconds < this.currentLag(inst, now)) {
        inst.lagSeconds = seconds; // the catch-up goes on, down to the new lag
        return;
      }
      inst.lagFromMs = this.replicaDataUpTo(inst);
      inst.lagSeconds = seconds;
      inst.catchUp = undefined;
      return;
    }
    const c = this.getCluster(id, region);
    if (!c) throw new Error(`twin: no instance or cluster ${id}`);
    c.lagFromMs = this.clusterDataUpTo(c);
    c.lagMs = seconds * 1000;
  }

  /**
   * Up to which moment (ms) an Aurora cluster holds its global database's writes: all of them (a
   * writer, or not in a global database), else now minus the secondary's lag, never before the
   * point it held when its lag was last set (lag grows at most as fast as time passes).
   */
  clusterDataUpTo(c: DbCluster): number {
    const now = this.world.clock.now();
    if (this.clusterIsWriter(c)) return now;
    if (c.writerDown) return c.writerDown.upToMs; // nothing reaches it
    return Math.max(c.lagFromMs ?? Number.NEGATIVE_INFINITY, now - c.lagMs);
  }

  /**
   * An Aurora secondary's replication lag (ms), as its metrics report it: how far behind the
   * writer's writes it holds now; 0 for a writer. While it cannot reach the writer, the lag it had
   * when it lost it (AWS does not document the figure then; the twin keeps the last one).
   */
  clusterLagMs(c: DbCluster): number {
    if (c.writerDown && !this.clusterIsWriter(c)) return c.writerDown.lagMs;
    return this.world.clock.now() - this.clusterDataUpTo(c);
  }

  /** Can the secondary receive its global database's writer's writes now? */
  protected writerReachable(c: DbCluster): boolean {
    const g = c.globalClusterId ? this.globals.get(c.globalClusterId) : undefined;
    const w = g ? this.clusters.get(key(g.writer.region, g.writer.id)) : undefined;
    return !!w && !w.crashed && !this.world.isRegionOut(w.region) && !this.world.isRegionOut(c.region);
  }

  /** The source of a replica can deliver data right now. */
  sourceReachable(inst: DbInstance): boolean {
    if (!inst.source) return false;
    const src = this.instances.get(key(inst.source.region, inst.source.id));
    return !!src && !src.crashed && RUNNING_STATUSES.has(src.status) && !this.world.isRegionOut(src.region) && !this.world.isRegionOut(inst.region);
  }

  /** Recomputes which replicas lost their source (called on crash/recover/outage). */
  onConnectivityChange(): void {
    const now = this.world.clock.now();
    for (const inst of this.instances.values()) {
      if (!inst.source || (inst.replication !== 'replicating' && inst.replication !== 'error')) continue;
      const ok = this.sourceReachable(inst);
      if (!ok && inst.sourceDownSince === undefined) {
        inst.lagAtSourceDown = this.currentLag(inst, now);
        inst.sourceDownSince = now;
        inst.replication = 'error';
      } else if (ok && inst.sourceDownSince !== undefined) {
        inst.sourceDownSince = undefined;
        inst.lagAtSourceDown = undefined;
        inst.replication = 'replicating';
      }
    }
    for (const c of this.clusters.values()) {
      if (!c.globalClusterId || this.clusterIsWriter(c)) {
        c.writerDown = undefined;
        continue;
      }
      const ok = this.writerReachable(c);
      if (!ok && !c.writerDown) c.writerDown = { upToMs: this.clusterDataUpTo(c), lagMs: this.clusterLagMs(c) };
      else if (ok && c.writerDown) c.writerDown = undefined;
    }
  }

  /** The replica's lag while its source delivers (apply delay, growth since a lag fault, catch-up after creation), seconds. */
  protected currentLag(inst: DbInstance, now: number): number {
    return (now - this.appliedUpTo(inst, now)) / 1000;
  }

  /**
   * Up to which moment (ms) the replica would hold its source's writes now if its source kept
   * delivering: now minus its apply delay (or the catch-up of a new replica, whichever is larger),
   * never before the point it held when its lag was last set. Non-decreasing in time.
   */
  protected appliedUpTo(inst: DbInstance, now: number): number {
    if (inst.creatingUpToMs !== undefined) return inst.creatingUpToMs;
    let lag = inst.lagSeconds;
    if (inst.catchUp) {
      const f = (now - inst.catchUp.startMs) / inst.catchUp.durationMs;
      if (f >= 1) inst.catchUp = undefined;
      else lag = Math.max(inst.lagSeconds, inst.catchUp.fromSeconds * (1 - f));
    }
    return Math.max(inst.lagFromMs ?? Number.NEGATIVE_INFINITY, now - lag * 1000);
  }

  /**
   * The ReplicaLag value RDS would publish now (docs/aws-behaviour.md "Replication lag"): -1 when
   * replication is not active. MySQL/MariaDB: Seconds_Behind_Master, the configured lag; NULL
   * (-1) while the source is unreachable (inferred). PostgreSQL: `now() -
   * pg_last_xact_replay_timestamp()`, the time since the source's last commit the replica has
   * replayed: it grows between commits (on a quiet source up to the 5-minute WAL switch) and keeps
   * growing while the source is unreachable. It is not the data behind.
   */
  replicaLagMetric(inst: DbInstance): number | undefined {
    if (!inst.source) return undefined;
    if (inst.replication !== 'replicating' && inst.replication !== 'error') return -1;
    if (inst.status === 'creating') return undefined;
    const now = this.world.clock.now();
    if (inst.engine.includes('postgres')) {
      const src = this.instances.get(key(inst.source.region, inst.source.id));
      const replayed = this.lastCommitAtOrBefore(src, inst.source.id, this.replicaDataUpTo(inst));
      return Math.round(Math.max(0, now - replayed)) / 1000;
    }
    if (inst.sourceDownSince !== undefined) return -1;
    return Math.round(this.currentLag(inst, now) * 1000) / 1000;
  }

  /**
   * The time (ms) of the source's last commit at or before `t`: the newest write it accepted, or
   * the 5-minute WAL switch RDS makes on a PostgreSQL source (archive_timeout), which the
   * documentation says resets a quiet source's ReplicaLag; whichever is later.
   */
  lastCommitAtOrBefore(src: DbInstance | undefined, sourceId: string, t: number): number {
    const walSwitch = Math.floor(t / WAL_SWITCH_MS) * WAL_SWITCH_MS;
    const writes = this.world.network.writes;
    // writes are appended in time order: binary search for the last one at or before t
    let lo = 0;
    let hi = writes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (writes[mid]!.at <= t) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0; i--) {
      const w = writes[i]!;
      if (w.at <= walSwitch) break;
      if (w.target === sourceId && (!src || !w.resourceId || w.resourceId === src.dbiResourceId)) return w.at;
    }
    return walSwitch;
  }

  /**
   * OldestReplicationSlotLag of a PostgreSQL source (bytes): the WAL its slowest replica has not
   * received, modelled as {@link WAL_BYTES_PER_WRITE} per write the source took after the point
   * up to which that replica holds its data; 0 when every replica has it all. Undefined for an
   * instance with no replica (no slot) or one that is not PostgreSQL.
   */
  replicationSlotLagMetric(src: DbInstance): number | undefined {
    if (!src.engine.includes('postgres')) return undefined;
    const replicas = src.replicas
      .map((r) => this.instances.get(key(r.region, r.id)))
      .filter((r): r is DbInstance => !!r && (r.replication === 'replicating' || r.replication === 'error') && r.status !== 'creating');
    if (replicas.length === 0) return undefined;
    const oldest = Math.min(...replicas.map((r) => this.replicaDataUpTo(r)));
    const writes = this.world.network.writes;
    let bytes = 0;
    for (let i = writes.length - 1; i >= 0 && writes[i]!.at > oldest; i--) {
      const w = writes[i]!;
      if (w.target === src.id && (!w.resourceId || w.resourceId === src.dbiResourceId)) bytes += WAL_BYTES_PER_WRITE;
    }
    return bytes;
  }

  /**
   * Up to which moment (ms) the replica holds its source's writes: frozen while its source cannot
   * deliver, else {@link appliedUpTo}. It never moves back (a replica cannot lose what it applied).
   */
  replicaDataUpTo(inst: DbInstance): number {
    if (inst.sourceDownSince !== undefined) return inst.sourceDownSince - (inst.lagAtSourceDown ?? 0) * 1000;
    return this.appliedUpTo(inst, this.world.clock.now());
  }

  /**
   * Publishes `minutes` one-minute datapoints before now, each with the values of now: the
   * metrics a running account already has when a drill starts (the world before t = 0 is taken
   * to be the world at t = 0).
   */
  publishHistory(minutes: number): void {
    const first = Math.floor(this.world.clock.now() / 60_000) * 60_000 + 30_000;
    for (let m = minutes; m >= 1; m--) this.publishMetrics(first - m * 60_000);
  }

  protected publishMetrics(at = this.world.clock.now()): void {
    for (const inst of [...this.instances.values()].sort((a, b) => key(a.region, a.id).localeCompare(key(b.region, b.id)))) {
      if (this.world.isRegionOut(inst.region) || inst.crashed) continue;
      const v = this.replicaLagMetric(inst);
      if (v !== undefined) this.world.cloudwatch.putInternal(inst.region, 'AWS/RDS', 'ReplicaLag', [{ Name: 'DBInstanceIdentifier', Value: inst.id }], v, at);
      const slot = RUNNING_STATUSES.has(inst.status) ? this.replicationSlotLagMetric(inst) : undefined;
      if (slot !== undefined)
        this.world.cloudwatch.putInternal(inst.region, 'AWS/RDS', 'OldestReplicationSlotLag', [{ Name: 'DBInstanceIdentifier', Value: inst.id }], slot, at);
    }
    for (const c of this.clusters.values()) {
      if (!c.globalClusterId || this.clusterIsWriter(c) || this.world.isRegionOut(c.region) || c.crashed) continue;
      const dims = [{ Name: 'DBClusterIdentifier', Value: c.id }];
      const lagMs = this.clusterLagMs(c);
      this.world.cloudwatch.putInternal(c.region, 'AWS/RDS', 'AuroraGlobalDBReplicationLag', dims, lagMs, at);
      this.world.cloudwatch.putInternal(c.region, 'AWS/RDS', 'AuroraGlobalDBRPOLag', dims, lagMs, at);
    }
  }

  // ------------------------------------------------------------------ helpers
}
