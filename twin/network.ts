/**
 * The twin's network: which vantage point can open a NEW connection to which database, and what
 * happens to open sessions. A connection resolves the host through Route 53 (CNAME chain, cached
 * per vantage point for the record's TTL) to an RDS endpoint, then needs: the caller's and the
 * target's Region up, no partition between them, the database running, and a security-group rule
 * admitting the port (a fenced instance refuses new connections; tracked sessions survive a rule
 * change, untracked ones do not — docs/aws-behaviour.md §7). Reboot, stop, crash and delete drop sessions.
 *
 * Every accepted write is recorded (instance, time, writer) for the judge's single-writer and
 * data-loss checks.
 */
import type { TwinCallContext } from './context.js';
import type { ConnectionSource, DnsResolver, Ec2View, RdsView, TwinCore, WriteRecord } from './ports.js';
import { RUNNING_STATUSES, type DbCluster, type DbInstance } from './services/rds-model.js';

export type { WriteRecord } from './ports.js';

/** What the network needs of the world (twin/ports.ts). */
export type NetworkWorld = TwinCore & {
  readonly ec2: Pick<Ec2View, 'allowsIngress' | 'hasGroup'>;
  readonly rds: Pick<RdsView, 'getInstance' | 'getCluster' | 'allInstances' | 'allClusters' | 'clusterEndpoint' | 'clusterTakesWrites' | 'replicaDataUpTo'>;
  readonly route53: DnsResolver;
};

/** A database the network can reach: an RDS instance or an Aurora cluster endpoint. */
export type DbTarget = { kind: 'instance'; db: DbInstance } | { kind: 'cluster'; db: DbCluster; reader: boolean };

/** A network-level failure, shaped like Node's socket errors. */
export class NetworkError extends Error {
  constructor(
    message: string,
    readonly code: 'ETIMEDOUT' | 'ECONNREFUSED' | 'ENOTFOUND' | 'ECONNRESET',
    /** Virtual time the attempt took before failing (a timeout takes the whole timeout). */
    readonly elapsedMs: number,
  ) {
    super(message);
    this.name = 'Error';
  }
}

export interface Row {
  values: Record<string, unknown>;
  writtenAt: number;
}

const INTER_REGION_MS: Record<string, number> = {
  'us-east-1|us-west-2': 65,
  'eu-west-1|us-east-1': 70,
  'eu-west-1|us-west-2': 135,
};

/**
 * What the failover's database user (the config's `credentials`) may do, in every database of
 * the world: `CREATE` on the schema the heartbeat table goes in, `INSERT`/`UPDATE`/`SELECT` on
 * that table, membership of `pg_monitor` (docs/config.md `credentials`). Default: everything, as
 * for a user that created the table and was granted `pg_monitor`.
 */
export interface UserGrants {
  schemaCreate: boolean;
  tableInsert: boolean;
  tableUpdate: boolean;
  tableSelect: boolean;
  pgMonitor: boolean;
}

export class NetworkModel {
  /** The failover user's grants (twin/sql.ts refuses what PostgreSQL would without them). */
  grants: UserGrants = { schemaCreate: true, tableInsert: true, tableUpdate: true, tableSelect: true, pgMonitor: true };

  private readonly partitions = new Map<object, Set<string>>();
  /** Databases whose subnets' network is cut (a FIS disrupt-connectivity action), with how many disruptions hold each. */
  private readonly disrupted = new Map<object, number>();
  private readonly sessions = new Set<SessionState>();
  private readonly dnsCache = new Map<string, { final: string; expiresAt: number }>();
  private readonly vantageSources = new Map<string, ConnectionSource>();
  private readonly tables = new Map<object, Map<string, Row[]>>();
  /** Every accepted write, in order. */
  readonly writes: WriteRecord[] = [];
  /** Writes refused because the target was read-only (a replica). */
  readonly refusedWrites: WriteRecord[] = [];

  constructor(private readonly world: NetworkWorld) {}

  /** Round-trip latency between Regions (static table, ms). */
  latencyMs(from: string | undefined, to: string): number {
    if (!from || from === to) return 1;
    return INTER_REGION_MS[[from, to].sort().join('|')] ?? 80;
  }

  /** Where a vantage point's connections come from, as declared (undefined: it matches every rule source). */
  vantageSource(vantage: string): ConnectionSource | undefined {
    return this.vantageSources.get(vantage);
  }

  /** Declares where a vantage point's connections come from (matched against security-group rules). */
  setVantageSource(vantage: string, source: ConnectionSource): void {
    this.vantageSources.set(vantage, source);
  }

  // ------------------------------------------------------------------ partitions

  private targetObject(id: string): object {
    const inst = this.world.rds.getInstance(id);
    if (inst) return inst;
    const c = this.world.rds.getCluster(id);
    if (c) return c;
    throw new Error(`twin: no instance or cluster ${id}`);
  }

  partition(vantages: readonly string[], id: string): void {
    const o = this.targetObject(id);
    const set = this.partitions.get(o) ?? new Set<string>();
    vantages.forEach((v) => set.add(v));
    this.partitions.set(o, set);
  }

  heal(vantages?: readonly string[], id?: string): void {
    const objs = id ? [this.targetObject(id)] : [...this.partitions.keys()];
    for (const o of objs) {
      if (!vantages) this.partitions.delete(o);
      else vantages.forEach((v) => this.partitions.get(o)?.delete(v));
    }
  }

  /**
   * Cuts every flow to and from a database, as a deny-all network ACL on its subnets does (FIS
   * aws:network:disrupt-connectivity): new connections time out, open sessions die. Returns what
   * ends this disruption: it is bound to the instance or cluster, not to its identifier, since the
   * instance may be renamed meanwhile (a preserved old primary) and the ACL still goes away.
   * Disruptions nest: the database is reachable again when the last one ends.
   */
  disrupt(id: string): () => void {
    const o = this.targetObject(id);
    this.disrupted.set(o, (this.disrupted.get(o) ?? 0) + 1);
    this.dropSessions(o, 'network disrupted');
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const n = (this.disrupted.get(o) ?? 0) - 1;
      if (n > 0) this.disrupted.set(o, n);
      else this.disrupted.delete(o);
    };
  }

  /** Is the database's network cut ({@link disrupt})? */
  isDisrupted(id: string): boolean {
    return this.disrupted.has(this.targetObject(id));
  }

  isPartitioned(vantage: string | undefined, target: object): boolean {
    return vantage !== undefined && (this.partitions.get(target)?.has(vantage) ?? false);
  }

  // ------------------------------------------------------------------ sessions

  /** Drops every session of the instance/cluster (reboot, stop, crash, delete). */
  dropSessions(target: object, reason: string): void {
    let n = 0;
    for (const s of this.sessions) {
      if (s.target.db === target && s.alive) {
        s.alive = false;
        s.deathReason = reason;
        n++;
      }
    }
    if (n > 0)
      this.world.log('cloud', `${n} session(s) to ${(target as { id: string }).id} dropped (${reason})`, { target: (target as { id: string }).id, reason });
  }

  /** Security-group change: untracked flows that are no longer allowed are cut at once. */
  onSecurityGroupChange(region: string, groupId: string): void {
    for (const s of this.sessions) {
      if (!s.alive || !s.untracked || s.target.db.region !== region) continue;
      const groups = this.groupsOf(s.target);
      if (!groups.includes(groupId)) continue;
      const { allowed } = this.world.ec2.allowsIngress(region, groups, s.target.db.port, this.vantageSources.get(s.caller.vantage ?? '') ?? {});
      if (!allowed) {
        s.alive = false;
        s.deathReason = 'untracked flow cut by security-group change';
      }
    }
  }

  /** An instance's VPC security groups changed: its untracked flows no longer admitted are cut. */
  onInstanceGroupsChange(inst: DbInstance): void {
    for (const s of this.sessions) {
      if (!s.alive || !s.untracked || s.target.db !== inst) continue;
      const groups = this.groupsOf(s.target).filter((g) => this.world.ec2.hasGroup(inst.region, g));
      if (groups.length === 0) continue;
      const { allowed } = this.world.ec2.allowsIngress(inst.region, groups, inst.port, this.vantageSources.get(s.caller.vantage ?? '') ?? {});
      if (!allowed) {
        s.alive = false;
        s.deathReason = 'untracked flow cut by security-group change';
      }
    }
  }

  /** Open sessions to a target (for reports). */
  openSessions(id: string): number {
    return [...this.sessions].filter((s) => s.alive && s.target.db.id === id).length;
  }

  private groupsOf(t: DbTarget): string[] {
    return t.kind === 'instance' ? t.db.vpcSecurityGroups.filter((g) => g.Status !== 'adding').map((g) => g.VpcSecurityGroupId) : t.db.securityGroupIds;
  }

  // ------------------------------------------------------------------ resolution and reachability

  /** The name at the end of a host's Route 53 CNAME chain (the host itself without one), with per-vantage TTL caching. */
  resolveName(host: string, vantage: string | undefined): string {
    const name = host.toLowerCase().replace(/\.$/, '');
    const now = this.world.clock.now();
    const cacheKey = `${vantage ?? '(anonymous)'}|${name}`;
    const cached = this.dnsCache.get(cacheKey);
    if (cached && cached.expiresAt > now) return cached.final;
    const r = this.world.route53.resolve(name);
    if (!r) return name;
    const final = r.final.replace(/\.$/, '');
    this.dnsCache.set(cacheKey, { final, expiresAt: now + r.ttl * 1000 });
    return final;
  }

  /** The endpoint name of a target: what an IAM auth token must be signed for. */
  endpointOf(t: DbTarget): string {
    return t.kind === 'instance' ? (t.db.liveAddress ?? '') : this.world.rds.clusterEndpoint(t.db, t.reader);
  }

  /** Resolves a host name to a database, following Route 53 CNAMEs with per-vantage TTL caching. */
  resolve(host: string, vantage: string | undefined): DbTarget | undefined {
    const final = this.resolveName(host, vantage);
    for (const inst of this.world.rds.allInstances()) if (inst.liveAddress === final) return { kind: 'instance', db: inst };
    for (const c of this.world.rds.allClusters()) {
      if (this.world.rds.clusterEndpoint(c) === final) return { kind: 'cluster', db: c, reader: false };
      if (this.world.rds.clusterEndpoint(c, true) === final) return { kind: 'cluster', db: c, reader: true };
    }
    return undefined;
  }

  /**
   * Can `caller` open a new connection to `host:port` now? Returns the target or throws a
   * {@link NetworkError} (timeouts for silent drops, refusals for a closed port).
   */
  reach(host: string, port: number, timeoutMs: number, caller: TwinCallContext): DbTarget {
    const timeout = (why: string) => new NetworkError(`connect ETIMEDOUT ${host}:${port} (${why})`, 'ETIMEDOUT', timeoutMs);
    if (this.world.isRegionOut(caller.region)) throw timeout(`the caller's Region ${caller.region} is out`);
    const target = this.resolve(host, caller.vantage);
    if (!target) throw new NetworkError(`getaddrinfo ENOTFOUND ${host}`, 'ENOTFOUND', 1);
    const db = target.db;
    if (this.world.isRegionOut(db.region)) throw timeout(`Region ${db.region} is out`);
    if (this.isPartitioned(caller.vantage, db)) throw timeout(`${caller.vantage} is partitioned from ${db.id}`);
    if (db.crashed) throw timeout(`${db.id} is down`);
    const status = db.status;
    const outage = target.kind === 'instance' && target.db.outage;
    if (this.disrupted.has(db)) throw timeout(`the network of ${db.id}'s subnets is disrupted`);
    if (status === 'rebooting' || status === 'failing-over' || outage || status === 'starting' || status === 'stopping') {
      throw new NetworkError(
        `connect ECONNREFUSED ${host}:${port} (${db.id} is ${outage ? 'restarting' : status})`,
        'ECONNREFUSED',
        this.latencyMs(caller.region, db.region),
      );
    }
    if (target.kind === 'instance' ? !RUNNING_STATUSES.has(status) : status !== 'available') throw timeout(`${db.id} is ${status}`);
    const groups = this.groupsOf(target);
    // Groups the twin's EC2 does not know are not modelled (setup convenience); known ones decide.
    const known = groups.filter((g) => this.world.ec2.hasGroup(db.region, g));
    if (known.length > 0) {
      const { allowed } = this.world.ec2.allowsIngress(db.region, known, db.port, this.vantageSources.get(caller.vantage ?? '') ?? {});
      if (!allowed) throw timeout(`no security-group rule of ${db.id} admits port ${db.port}`);
    }
    if (port !== db.port) throw new NetworkError(`connect ECONNREFUSED ${host}:${port}`, 'ECONNREFUSED', this.latencyMs(caller.region, db.region));
    return target;
  }

  /** Opens a session (after {@link reach} and authentication, done by the SQL connector). */
  open(target: DbTarget, caller: TwinCallContext): SessionState {
    const groups = this.groupsOf(target);
    const untracked = this.world.ec2.allowsIngress(target.db.region, groups, target.db.port, this.vantageSources.get(caller.vantage ?? '') ?? {}).untracked;
    const s: SessionState = { target, caller, alive: true, untracked };
    this.sessions.add(s);
    return s;
  }

  close(s: SessionState): void {
    s.alive = false;
    s.deathReason = 'closed';
    this.sessions.delete(s);
  }

  /** Is the target read-only (a replica, or an Aurora secondary / reader endpoint)? */
  readOnly(t: DbTarget): boolean {
    if (t.kind === 'instance') return !!t.db.source;
    return t.reader || !this.world.rds.clusterTakesWrites(t.db);
  }

  // ------------------------------------------------------------------ data

  tableStore(db: object): Map<string, Row[]> {
    let m = this.tables.get(db);
    if (!m) this.tables.set(db, (m = new Map()));
    return m;
  }

  /** Rows a read sees: its own tables, or for a replica the source's rows it has applied. */
  visibleRows(t: DbTarget, table: string): Row[] | undefined {
    if (t.kind === 'instance' && t.db.source) {
      const src = this.world.rds.getInstance(t.db.source.id, t.db.source.region);
      if (!src) return undefined;
      const upTo = this.world.rds.replicaDataUpTo(t.db);
      return this.tableStore(src)
        .get(table)
        ?.filter((r) => r.writtenAt <= upTo);
    }
    return this.tableStore(t.db).get(table);
  }

  /** A promoted replica keeps the source's data it had applied (called by the RDS model). */
  inheritData(promoted: object, source: object, upToMs: number): void {
    const mine = this.tableStore(promoted);
    for (const [name, rows] of this.tableStore(source)) {
      if (!mine.has(name))
        mine.set(
          name,
          rows.filter((r) => r.writtenAt <= upToMs).map((r) => ({ values: { ...r.values }, writtenAt: r.writtenAt })),
        );
    }
  }

  recordWrite(t: DbTarget, caller: TwinCallContext, sql: string, refused = false): void {
    const now = this.world.clock.now();
    const w: WriteRecord = {
      target: t.db.id,
      resourceId: (t.db as { dbiResourceId?: string }).dbiResourceId,
      region: t.db.region,
      at: now,
      t: (now - this.world.startMs) / 1000,
      vantage: caller.vantage,
      callerRegion: caller.region,
      functionName: caller.functionName,
      sql: sql.slice(0, 200),
    };
    (refused ? this.refusedWrites : this.writes).push(w);
  }
}

/** Internal state of one session. */
export interface SessionState {
  target: DbTarget;
  caller: TwinCallContext;
  alive: boolean;
  untracked: boolean;
  deathReason?: string;
}
