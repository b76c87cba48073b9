/**
 * The simulated application: one client in the primary's Region and one in the standby's, each
 * writing a row through the database's DNS name every second (the scenario's
 * `world.writesPerSecond`, default 1), as an application with a connection pool does. A quiet
 * application (a rate of 0 or a fraction) commits only at that rate; in the other seconds the
 * client asks the database whether it is writable (`pg_is_in_recovery()` / `@@global.read_only`)
 * on the same session, so the moment the name reaches a writable database again (RTO) is still
 * measured, without a commit. A client keeps its session open and writes on it; after any error it
 * drops the session and opens a new one, resolving the name again (through its own DNS cache,
 * which keeps an answer for the record's TTL). A client whose own Region is out writes nothing.
 *
 * These writes are what the drill measures: RTO (from the failure to the first write accepted by
 * the new writer), data loss (writes the old primary acknowledged that the promoted replica never
 * received), single-writer (never two instances taking client writes in the same second) and who
 * the writer is at the end.
 */
import type { DatabaseConfig } from '../../lambdas/shared/config-schema.js';
import type { SqlSession } from '../../lambdas/shared/sql.js';
import { twinContext } from '../context.js';
import { DEFAULT_WRITES_PER_SECOND } from '../scenario/schema.js';
import { createSqlConnector, sessionTarget } from '../sql.js';
import type { World } from '../world.js';
import { APP_TABLE, type DeployedDatabase } from './deploy.js';

/** One write attempt of a client. */
export interface ClientAttempt {
  /** Virtual ms. */
  at: number;
  client: string;
  ok: boolean;
  /** Instance (or cluster) that accepted the write. */
  target?: string;
  error?: string;
  /** A writability check (a quiet client's second without a commit), not a write. */
  check?: boolean;
}

/** The vantage name of the client in a Region (its DNS cache and network identity). */
export const clientVantage = (region: string): string => `app-${region}`;

export class AppClients {
  readonly attempts: ClientAttempt[] = [];
  private readonly sessions = new Map<string, SqlSession>();
  private readonly regions: string[];
  private seq = 0;
  /** Write credit per client: each second adds `writesPerSecond`; every whole unit is one commit. */
  private readonly credit = new Map<string, number>();

  constructor(
    private readonly world: World,
    private readonly db: DeployedDatabase,
    private readonly writesPerSecond: number = DEFAULT_WRITES_PER_SECOND,
    /** Prefixes the written rows' ids (clients of several databases in one drill). */
    private readonly idPrefix?: string,
  ) {
    this.regions = [...new Set([db.primary.region, db.standby.region])];
  }

  /** Client names (vantage names). */
  get clients(): string[] {
    return this.regions.map(clientVantage);
  }

  /** Writes every second from `firstAtMs` (a daemon job on the world's clock). */
  start(firstAtMs: number): void {
    this.world.clock.every(1000, firstAtMs, () => this.tick(), 'app clients write', { daemon: true });
  }

  private async tick(): Promise<void> {
    for (const region of this.regions) {
      const client = clientVantage(region);
      let credit = (this.credit.get(client) ?? 0) + this.writesPerSecond;
      if (credit < 1) await this.write(region, true);
      for (; credit >= 1; credit -= 1) await this.write(region, false);
      this.credit.set(client, credit);
    }
  }

  private async write(region: string, checkOnly: boolean): Promise<void> {
    const client = clientVantage(region);
    const at = this.world.clock.now();
    if (this.world.isRegionOut(region)) {
      this.attempts.push({ at, client, ok: false, error: `the client's Region ${region} is out` });
      return;
    }
    const cfg: DatabaseConfig = this.db.config;
    const id = `${this.idPrefix ? `${this.idPrefix}-` : ''}${client}-${++this.seq}`;
    await twinContext.run({ vantage: client, region, functionName: 'application' }, async () => {
      let session = this.sessions.get(client);
      try {
        if (!session) {
          session = await createSqlConnector(this.world).connect({
            engine: cfg.engine,
            host: cfg.dns.recordName,
            port: this.db.primary.port,
            user: this.db.login.user,
            password: this.db.login.password,
            database: this.db.login.database,
            timeoutMs: 3000,
            ssl: false,
          });
          this.sessions.set(client, session);
        }
        if (checkOnly) {
          const pg = cfg.engine.includes('postgres');
          const rows = await session.query(pg ? 'SELECT pg_is_in_recovery() AS ro' : 'SELECT @@global.read_only AS ro');
          const ro = rows[0]?.ro;
          if (ro === true || ro === 1)
            throw Object.assign(new Error('the database is read-only (a replica)'), { code: pg ? '25006' : 'ER_OPTION_PREVENTS_STATEMENT' });
          this.attempts.push({ at, client, ok: true, target: sessionTarget(session), check: true });
          return;
        }
        const placeholders = cfg.engine.includes('postgres') ? '$1, $2' : '?, ?';
        const before = this.world.network.writes.length;
        await session.query(`INSERT INTO ${APP_TABLE} (id, client, at) VALUES (${placeholders}, now())`, [id, client]);
        const w = this.world.network.writes[before];
        this.attempts.push({ at, client, ok: true, target: w?.target });
      } catch (err) {
        this.attempts.push({
          at,
          client,
          ok: false,
          error: `${(err as { code?: string }).code ?? (err as Error).name}: ${(err as Error).message}`,
          ...(checkOnly ? { check: true } : {}),
        });
        if (session) await session.close().catch(() => undefined);
        this.sessions.delete(client);
      }
    });
  }

  /** Successful writes (and writability checks), in order. */
  successes(): ClientAttempt[] {
    return this.attempts.filter((a) => a.ok);
  }
}
