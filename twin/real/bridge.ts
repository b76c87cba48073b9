/**
 * `failover drill --real-postgres`: the twin's primary and standby instances backed by real
 * PostgreSQL servers (twin/real/postgres.ts), and the drill's virtual time paced against real time.
 *
 * - SQL: a session a product function opens to the primary or the standby (the twin's network
 *   still decides whether it can: DNS, partitions, security groups, status) runs its statements on
 *   the real server (twin/sql.ts `attachRealSql`). The simulated application clients stay modelled.
 * - Metrics: the twin publishes the standby's `ReplicaLag` from the real replica's
 *   `now() − pg_last_xact_replay_timestamp()` and the primary's `OldestReplicationSlotLag` from its
 *   real slot, sampled every 250 ms of real time.
 * - Faults: `primary-crash` SIGKILLs the real primary; `replica-lag` delays the replication relay;
 *   `primary-recover` restarts it; a Region outage kills the server(s) in that Region.
 * - Promotion: when the twin accepts PromoteReadReplica of the standby, the real replica's
 *   replication is cut and `pg_promote()` runs.
 * - Fence: when the twin's old primary stops admitting the application's connections (its
 *   security groups no longer allow them, or it is stopped), the real primary refuses new TCP
 *   sessions and terminates the ones it has.
 * - DNS: the DNS relay joins each new connection to the server the twin's Route 53 record leads to,
 *   through a resolver cache that keeps an answer for the record's TTL (virtual time).
 * - A canary writer (twin/real/canary.ts) commits numbered rows through the DNS relay.
 *
 * Time: virtual time runs `timeScale` times faster than real time (the scenario's `runFor` over the
 * requested real seconds), and stands still while a real action runs (a SQL statement of a
 * function, a crash, a promotion, a fence): so the waits of the scenario and the product (alarm
 * periods, probe intervals, timeouts) are scaled, and what the real servers do takes no virtual time
 * the twin did not give it. Real durations are reported in real seconds and, multiplied by
 * `timeScale`, in the virtual seconds the modelled figures use.
 */
import pg from 'pg';
import type { SqlSession, SqlTarget } from '../../lambdas/shared/sql.js';
import type { TwinCallContext } from '../context.js';
import type { FaultEvent } from '../scenario/schema.js';
import type { DbInstance } from '../services/rds.js';
import { attachRealSql } from '../sql.js';
import type { World } from '../world.js';
import { CANARY_CREATE, CANARY_TABLE, CanaryWriter, type CanaryAck } from './canary.js';
import { destroy, RealPair, type PgBinaries, type PgServer, type ReplicationFacts } from './postgres.js';
import { realNow, realSleep, realTimeout } from './timers.js';

export interface RealDrillOptions {
  /** Real seconds the scenario's virtual time should take. @default 90 */
  realSeconds?: number;
  /** Canary commits per real second. @default 20 */
  canaryRate?: number;
  /** Port of the DNS relay on 127.0.0.1 (0: a free one). */
  dnsPort?: number;
  /** The PostgreSQL binaries (default: found in /usr/lib/postgresql/15/bin). */
  bins?: PgBinaries;
  /** Called once the servers answer: what listens where. */
  onReady?: (info: { primaryPort: number; replicaPort: number; replicationRelayPort: number; dnsPort: number; dataDir: string; timeScale: number }) => void;
}

/** A check the measured section judges (its failure fails the drill). */
export interface MeasuredCheck {
  name: 'no-commit-after-fence' | 'estimate-covers-loss';
  held: boolean;
  detail: string;
}

/** The report's `measured` section (twin/report/types.ts `measuredSchema`). */
export interface Measured {
  timeScale: number;
  realSeconds: number;
  canary: { ratePerSecond: number; attempted: number; acknowledged: number; unacknowledged: number };
  /** Which real server is the writer at the end (`replica` once promoted). */
  newPrimary: 'primary' | 'replica';
  /** Acknowledged commits the new primary does not hold (null: it could not be read). */
  lostCommits: number | null;
  /** Their span in real seconds (null: unknown): at most (from the last held acknowledgement), at least (from the first lost one); and the most × timeScale. */
  lostSeconds: number | null;
  lostSecondsAtLeast: number | null;
  lostSecondsVirtual: number | null;
  /** Real seconds from the failure to the first commit acknowledged by the promoted replica (null: nothing failed over, or no commit yet). */
  rtoSeconds: number | null;
  rtoSecondsVirtual: number | null;
  /** Commits a fenced server (the old primary; the promoted replica when a failback fences it) acknowledged after its real fence (null: none was fenced). */
  acceptedAfterFence: number | null;
  /** The product's data-at-risk estimate when it decided (virtual seconds, and ÷ timeScale in real seconds). */
  estimate: { t: number; seconds: number; realSeconds: number; sampleSeconds?: number; detail: string } | null;
  /** Real events: seconds of virtual time (t) and what happened. */
  events: Array<{ t: number; event: string }>;
  checks: MeasuredCheck[];
  notes: string[];
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/**
 * The acknowledged commits a server does not hold, and their span. It holds the old primary's
 * commits up to a moment between the last held acknowledgement and the first lost one, so each run
 * of lost commits spans at most (from the last held) and at least (from its first lost) this much;
 * the largest run counts. A lost commit before any held one counts from itself (at least) and from
 * the first acknowledgement (at most).
 */
export function measureLoss(acks: readonly CanaryAck[], held: ReadonlySet<number>): { commits: number; atMostMs: number; atLeastMs: number } {
  const sorted = [...acks].sort((a, b) => a.at - b.at);
  let lastHeld = sorted[0]?.at;
  let runStart: number | undefined;
  let atMostMs = 0;
  let atLeastMs = 0;
  let commits = 0;
  for (const a of sorted) {
    if (held.has(a.seq)) {
      lastHeld = a.at;
      runStart = undefined;
      continue;
    }
    commits++;
    runStart ??= a.at;
    atMostMs = Math.max(atMostMs, a.at - lastHeld!);
    atLeastMs = Math.max(atLeastMs, a.at - runStart);
  }
  return { commits, atMostMs, atLeastMs };
}

/** The scenario cannot run on real servers (the CLI exits 2: nothing was run). */
export class RealDrillUnsupportedError extends Error {
  override readonly name = 'RealDrillUnsupportedError';
}

/**
 * Why a scenario cannot run with --real-postgres, or undefined: the real servers back a PostgreSQL
 * RDS instance and its read replica (a hot or warm standby), one database.
 */
export function realDrillUnsupported(scenario: { database: string; databaseConfig: { engine: string; standby: { readiness: string } } }): string | undefined {
  const c = scenario.databaseConfig;
  if (c.engine !== 'postgres') return `--real-postgres runs PostgreSQL: database ${scenario.database} has engine ${c.engine}`;
  if (c.standby.readiness === 'cold')
    return `--real-postgres backs a primary and its read replica: database ${scenario.database} has a cold standby (restored from a backup)`;
  return undefined;
}

export class RealDrill {
  readonly timeScale: number;
  private world?: World;
  private primaryInst?: DbInstance;
  private standbyInst?: DbInstance;
  private recordName = '';
  private canary?: CanaryWriter;
  private readonly inflight = new Set<Promise<unknown>>();
  private origin?: { real: number; virtual: number };
  private facts?: ReplicationFacts;
  private sampling = false;
  private sampler?: Promise<void>;
  private failureAt?: number;
  private readonly fenced = new Set<PgServer>();
  private detach: Array<() => void> = [];
  private readonly events: Array<{ t: number; event: string }> = [];
  private readonly errors: string[] = [];
  private databaseName = 'postgres';
  private timelineSeen = 0;

  private constructor(
    readonly pair: RealPair,
    private readonly options: RealDrillOptions,
    runForSeconds: number,
  ) {
    this.timeScale = runForSeconds / (options.realSeconds ?? 90);
  }

  /** Starts the servers (throws PostgresMissingError / PortInUseError before anything runs). */
  static async start(runForSeconds: number, options: RealDrillOptions = {}): Promise<RealDrill> {
    const pair = await RealPair.start({ ...(options.bins ? { bins: options.bins } : {}), ports: { dns: options.dnsPort } });
    const drill = new RealDrill(pair, options, runForSeconds);
    options.onReady?.({
      primaryPort: pair.primary.port,
      replicaPort: pair.replica.port,
      replicationRelayPort: pair.replication.port,
      dnsPort: pair.dns.port,
      dataDir: pair.baseDir,
      timeScale: drill.timeScale,
    });
    return drill;
  }

  /**
   * Wires the twin to the servers: `primary`/`standby` are the deployed instances, `recordName` the
   * database's DNS name, `databaseName` the database the functions connect to (created on the
   * primary with the canary's table, and waited for on the replica).
   */
  async attach(world: World, sites: { primary: DbInstance; standby: DbInstance; recordName: string; databaseName: string }): Promise<void> {
    this.databaseName = sites.databaseName;
    if (sites.databaseName !== 'postgres') {
      const exists = await this.pair.primary.query('SELECT 1 FROM pg_database WHERE datname = $1', [sites.databaseName]);
      if (exists.length === 0) await this.pair.primary.query(`CREATE DATABASE "${sites.databaseName.replace(/"/g, '""')}"`);
    }
    await this.pair.primary.query(CANARY_CREATE, [], 10_000, sites.databaseName);
    const deadline = realNow() + 15_000;
    while (
      (await this.pair.replica.query(`SELECT to_regclass('${CANARY_TABLE}') AS t`, [], 3_000, sites.databaseName).catch(() => [{ t: null }]))[0]?.t === null
    ) {
      if (realNow() > deadline) throw new Error(`the replica did not replay the creation of ${CANARY_TABLE} in ${sites.databaseName} within 15 s`);
      await realSleep(50);
    }
    this.world = world;
    this.primaryInst = sites.primary;
    this.standbyInst = sites.standby;
    this.recordName = sites.recordName;
    const rds = world.rds;

    this.detach.push(attachRealSql(world, (db, caller, target) => this.openReal(db, caller, target)));

    const lagMetric = rds.replicaLagMetric.bind(rds);
    rds.replicaLagMetric = (inst) => {
      if (inst !== this.standbyInst || !inst.source || !this.facts) return lagMetric(inst);
      const d = this.facts.replayDelaySeconds;
      return d === null ? undefined : round3(Math.max(0, d) * this.timeScale);
    };
    const slotMetric = rds.replicationSlotLagMetric.bind(rds);
    rds.replicationSlotLagMetric = (src) => {
      if (src !== this.primaryInst || !this.facts || this.facts.slotLagBytes === null) return slotMetric(src);
      return this.facts.slotLagBytes;
    };
    const promote = rds.promoteReadReplica.bind(rds);
    rds.promoteReadReplica = (input, ctx) => {
      const out = promote(input, ctx);
      const id = String(input.DBInstanceIdentifier ?? '').toLowerCase();
      const standby = this.standbyInst!;
      if (id === standby.id.toLowerCase() || id.endsWith(`:db:${standby.id.toLowerCase()}`))
        this.act('pg_promote() on the replica', () => this.pair.promote().then(() => undefined));
      return out;
    };
    this.detach.push(() => {
      delete (rds as Partial<typeof rds>).replicaLagMetric;
      delete (rds as Partial<typeof rds>).replicationSlotLagMetric;
      delete (rds as Partial<typeof rds>).promoteReadReplica;
    });

    // The DNS relay follows the record, through a resolver cache of its own (the record's TTL).
    this.pair.dnsTarget = () => {
      const final = world.network.resolveName(this.recordName, 'real-canary');
      const server = [this.primaryInst, this.standbyInst].find((i) => i?.liveAddress === final);
      const s = server ? this.serverOf(server) : undefined;
      return s && s.state === 'running' ? s.port : undefined;
    };
  }

  /** Starts the canary and the sampler; real time and virtual time are tied from here. */
  begin(): void {
    const world = this.world!;
    this.origin = { real: realNow(), virtual: world.clock.now() };
    this.canary = new CanaryWriter({ port: this.pair.dns.port, database: this.databaseName, ratePerSecond: this.options.canaryRate ?? 20 });
    this.canary.start();
    this.sampling = true;
    this.sampler = (async () => {
      while (this.sampling) {
        this.facts = await this.pair.replicationFacts().catch(() => this.facts);
        await realSleep(250);
      }
    })();
    this.log('canary writer started through the DNS relay', {
      port: this.pair.dns.port,
      ratePerSecond: this.options.canaryRate ?? 20,
      timeScale: round3(this.timeScale),
    });
  }

  /** Virtual seconds since the world's start, now. */
  private t(): number {
    const w = this.world!;
    return Math.round(w.clock.now() - w.startMs) / 1000;
  }

  private log(event: string, detail: Record<string, unknown> = {}): void {
    this.events.push({ t: this.t(), event });
    this.world?.log('cloud', `real: ${event}`, { real: true, ...detail });
  }

  private serverOf(inst: DbInstance): PgServer | undefined {
    if (inst === this.primaryInst) return this.pair.primary;
    if (inst === this.standbyInst) return this.pair.replica;
    return undefined;
  }

  /** A real action: virtual time holds until it is done. Errors are logged on the timeline. */
  private act(what: string, fn: () => Promise<unknown>): void {
    const started = realNow();
    const p = fn()
      .then((r) => this.log(`${what}: done in ${Math.round(realNow() - started)} ms${typeof r === 'string' ? ` (${r})` : ''}`))
      .catch((err: unknown) => {
        const msg = `${what} failed: ${(err as Error).message}`;
        this.errors.push(msg);
        this.log(msg, { error: true });
      })
      .finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    const q = p.finally(() => this.inflight.delete(q));
    this.inflight.add(q);
    return q;
  }

  /** The drill's `hold`: a real action in flight holds virtual time. */
  hold(): Promise<unknown> | undefined {
    return this.inflight.size > 0 ? Promise.race(this.inflight) : undefined;
  }

  /** The drill's `pace`: virtual time may not run ahead of real time × timeScale; also watches for the twin's fence. */
  pace(nextAtMs: number): Promise<unknown> | undefined {
    this.watchFence();
    if (!this.origin) return undefined;
    const dueReal = this.origin.real + (nextAtMs - this.origin.virtual) / this.timeScale;
    const wait = dueReal - realNow();
    return wait > 1 ? realSleep(Math.min(wait, 50)) : undefined;
  }

  /**
   * A backed instance the twin has closed to the application (its security groups no longer admit
   * it, or it is stopped): fence its real server. The old primary of a failover, and the promoted
   * replica when a failback fences it in turn.
   */
  private watchFence(): void {
    const world = this.world;
    if (!world) return;
    // A crashed instance cannot be isolated or rebooted: the product records its fence as confirmed
    // all the same. The real server is down too; it gets the rejecting pg_hba.conf for its next start.
    let claimed = false;
    for (; this.timelineSeen < world.timeline.length; this.timelineSeen++) {
      const d = world.timeline[this.timelineSeen]!.detail;
      if (d.phase === 'fenced' && d.confirmed === true && d.database === undefined) claimed = true;
    }
    for (const [inst, server] of [
      [this.primaryInst, this.pair.primary],
      [this.standbyInst, this.pair.replica],
    ] as const) {
      if (!inst || this.fenced.has(server)) continue;
      const groups = inst.vpcSecurityGroups
        .filter((g) => g.Status !== 'adding')
        .map((g) => g.VpcSecurityGroupId)
        .filter((g) => world.ec2.hasGroup(inst.region, g));
      const source = world.network.vantageSource(`app-${inst.region}`) ?? {};
      const closed = groups.length > 0 && !world.ec2.allowsIngress(inst.region, groups, inst.port, source).allowed;
      const stopped = inst.status === 'stopped' || inst.status === 'stopping';
      const down = claimed && server === this.pair.primary && server.state !== 'running';
      if (!closed && !stopped && !down) continue;
      this.fenced.add(server);
      const why = closed
        ? 'its security groups no longer admit the application'
        : stopped
          ? `it is ${inst.status}`
          : 'the product confirmed its fence while the server is down';
      this.act(`fence of the ${server.name} (${why}): new TCP sessions refused, open ones terminated`, async () => {
        const r = await server.fence();
        return r.running ? `${r.terminated} session(s) terminated` : 'the server is down: it refuses TCP when it starts again';
      });
    }
  }

  /** A scenario fault, after the twin applied it. */
  onFault(event: FaultEvent, roles: { primaryRegion: string; standbyRegion: string }): void {
    const failure = () => {
      if (this.failureAt === undefined) this.failureAt = realNow();
    };
    switch (event.fault) {
      case 'primary-crash':
        failure();
        this.act('SIGKILL of the primary (every process)', () => this.pair.crashPrimary());
        return;
      case 'primary-unreachable':
        failure();
        this.log('the primary is partitioned from the probes in the twin; the real server runs on (the canary still reaches it through the DNS relay)');
        return;
      case 'primary-recover':
        if (this.pair.primary.state !== 'running') this.act('restart of the primary', () => this.pair.restartPrimary());
        return;
      case 'replica-lag': {
        const ms = (event.seconds * 1000) / this.timeScale;
        this.pair.slowReplication(ms);
        this.log(`replication delayed by ${Math.round(ms)} ms of real time at the relay (${event.seconds} s × 1/${round3(this.timeScale)})`);
        return;
      }
      case 'replica-crash':
        this.act('SIGKILL of the replica', () => this.pair.replica.crash());
        return;
      case 'region-outage':
        if (event.region === roles.primaryRegion) {
          failure();
          this.act(`SIGKILL of the primary (${event.region} is out)`, () => this.pair.crashPrimary());
        } else if (event.region === roles.standbyRegion) this.act(`SIGKILL of the replica (${event.region} is out)`, () => this.pair.replica.crash());
        return;
      case 'region-recover':
        if (event.region === roles.primaryRegion && this.pair.primary.state !== 'running') this.act('restart of the primary', () => this.pair.restartPrimary());
        if (event.region === roles.standbyRegion && this.pair.replica.state !== 'running') this.act('restart of the replica', () => this.pair.replica.start());
        return;
      default:
        return;
    }
  }

  /** Opens a real session for a product function's connection to a backed instance. */
  private openReal(db: object, caller: TwinCallContext, target: SqlTarget): Promise<SqlSession> | undefined {
    // The simulated application clients (twin/drill/app-clients.ts, "application") stay modelled: the canary is the real workload.
    if (!caller.functionName || caller.functionName === 'application') return undefined;
    const server = this.serverOf(db as DbInstance);
    if (!server) return undefined;
    return this.track(
      (async (): Promise<SqlSession> => {
        const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: target.database ?? 'postgres' });
        client.on('error', () => undefined);
        const debug = process.env.RDS_FAILOVER_REAL_DEBUG
          ? (m: string) => process.stderr.write(`[t=${this.t()} real=${Math.round(realNow())}] ${caller.functionName}: ${m}\n`)
          : undefined;
        debug?.(`connecting to the real ${server.name}`);
        try {
          await realTimeout(client.connect(), 5_000, `connecting to the real ${server.name}`);
        } catch (err) {
          debug?.(`connect failed: ${(err as Error).message}`);
          destroy(client);
          throw err;
        }
        debug?.('connected');
        return {
          query: (sql, params) =>
            this.track(
              realTimeout(client.query(sql, params as unknown[] | undefined), 10_000, sql.slice(0, 40)).then(
                (r) => {
                  debug?.(`ok: ${sql.slice(0, 50)}`);
                  return (r.rows ?? []) as Record<string, unknown>[];
                },
                (err: unknown) => {
                  debug?.(`failed: ${sql.slice(0, 50)}: ${(err as Error).message}`);
                  throw err;
                },
              ),
            ),
          close: () => realTimeout(client.end(), 1_000, 'closing').catch(() => destroy(client)),
        };
      })(),
    );
  }

  /**
   * Stops the canary and the sampler, reads the new primary's rows and measures. `estimates` are
   * the product's data-loss figures (virtual seconds) with when they were taken; the one taken
   * last before the promotion (or the last one) is the decision's.
   */
  async finish(estimates: Array<{ t: number; seconds: number; sampleSeconds?: number; detail: string }>): Promise<Measured> {
    const realSeconds = this.origin ? (realNow() - this.origin.real) / 1000 : 0;
    await this.canary?.stop();
    this.sampling = false;
    await this.sampler;
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    const k = this.timeScale;
    const notes: string[] = [...this.errors];
    const acks: CanaryAck[] = this.canary?.acks ?? [];
    const promoted = this.pair.promotedAt !== undefined;
    const next = promoted ? this.pair.replica : this.pair.primary;
    let held: Set<number> | undefined;
    if (next.state === 'running') {
      const rows = await next.query<{ seq: string }>(`SELECT seq FROM ${CANARY_TABLE}`, [], 10_000, this.databaseName).catch((err: Error) => {
        notes.push(`the new primary's rows could not be read: ${err.message}`);
        return undefined;
      });
      if (rows) held = new Set(rows.map((r) => Number(r.seq)));
    } else notes.push(`the ${next.name} server is not running at the end: what it holds cannot be read`);

    let lostCommits: number | null = null;
    let lostSeconds: number | null = null;
    let lostSecondsAtLeast: number | null = null;
    if (held) {
      const loss = measureLoss(acks, held);
      lostCommits = loss.commits;
      lostSeconds = round3(loss.atMostMs / 1000);
      lostSecondsAtLeast = round3(loss.atLeastMs / 1000);
    }
    // As the modelled RTO: only when something failed over (a partition the writes went on through is no outage of theirs).
    const first = this.failureAt === undefined || !promoted ? undefined : acks.find((a) => a.at > this.failureAt! && a.port === next.port);
    const rtoSeconds = first && this.failureAt !== undefined ? round3((first.at - this.failureAt) / 1000) : null;
    const fencedServers = [this.pair.primary, this.pair.replica].filter((s) => s.fencedAt !== undefined);
    const acceptedAfterFence =
      fencedServers.length === 0 ? null : acks.filter((a) => fencedServers.some((s) => a.port === s.port && a.at > s.fencedAt!)).length;

    const promotedT = this.events.find((e) => e.event.startsWith('pg_promote()'))?.t;
    const before = estimates.filter((e) => promotedT === undefined || e.t <= promotedT);
    const decision = before[before.length - 1] ?? estimates[estimates.length - 1];
    const estimate = decision
      ? {
          t: decision.t,
          seconds: decision.seconds,
          realSeconds: round3(decision.seconds / k),
          ...(decision.sampleSeconds === undefined ? {} : { sampleSeconds: decision.sampleSeconds }),
          detail: decision.detail,
        }
      : null;

    const checks: MeasuredCheck[] = [];
    if (acceptedAfterFence !== null) {
      checks.push({
        name: 'no-commit-after-fence',
        held: acceptedAfterFence === 0,
        detail: `${acceptedAfterFence} commit(s) acknowledged by a fenced server after its real fence (fenced: ${fencedServers.map((s) => s.name).join(', ')})`,
      });
    }
    if (promoted && estimate && lostSeconds !== null && lostSecondsAtLeast !== null) {
      // Under-estimate for certain: below the least loss the acknowledgements allow.
      checks.push({
        name: 'estimate-covers-loss',
        held: estimate.realSeconds >= lostSecondsAtLeast,
        detail: `the product estimated at most ${estimate.seconds} s at risk (${estimate.realSeconds} s of real time${estimate.sampleSeconds !== undefined && estimate.sampleSeconds !== estimate.seconds ? `; its last sample said ${estimate.sampleSeconds} s` : ''}); ${lostCommits} acknowledged commit(s) were really lost, spanning ${lostSecondsAtLeast} to ${lostSeconds} s of real time (${round3(lostSecondsAtLeast * k)} to ${round3(lostSeconds * k)} s scaled)`,
      });
    }
    if (!promoted) notes.push('nothing was promoted: losses are measured against the original primary');
    return {
      timeScale: round3(k),
      realSeconds: round3(realSeconds),
      canary: {
        ratePerSecond: this.options.canaryRate ?? 20,
        attempted: this.canary?.attempted ?? 0,
        acknowledged: acks.length,
        unacknowledged: (this.canary?.attempted ?? 0) - acks.length,
      },
      newPrimary: promoted ? 'replica' : 'primary',
      lostCommits,
      lostSeconds,
      lostSecondsAtLeast,
      lostSecondsVirtual: lostSeconds === null ? null : round3(lostSeconds * k),
      rtoSeconds,
      rtoSecondsVirtual: rtoSeconds === null ? null : round3(rtoSeconds * k),
      acceptedAfterFence,
      estimate,
      events: this.events,
      checks,
      notes,
    };
  }

  /** Stops every server and relay and removes the data directories. Safe to call twice. */
  async close(): Promise<void> {
    this.sampling = false;
    await this.canary?.stop().catch(() => undefined);
    for (const d of this.detach.splice(0).reverse()) d();
    await this.pair.close();
  }
}
