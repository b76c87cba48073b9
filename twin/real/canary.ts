/**
 * The canary writer of a real drill: commits numbered rows through the database's DNS name (the
 * DNS relay) at a steady rate, in real time, and records every commit that was acknowledged: its
 * number, when the acknowledgement arrived and which server gave it (`inet_server_port()`). After
 * an error it drops its session and opens a new one at the next tick, as an application's pool
 * does; a commit whose answer never came is not acknowledged (and never counted as lost).
 */
import pg from 'pg';
import { destroy } from './postgres.js';
import { realClearTimeout, realNow, realSetTimeout, realTimeout } from './timers.js';

export const CANARY_TABLE = 'rds_failover_canary';
export const CANARY_CREATE = `CREATE TABLE IF NOT EXISTS ${CANARY_TABLE} (seq bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())`;
const INSERT = `INSERT INTO ${CANARY_TABLE} (seq) VALUES ($1) RETURNING inet_server_port() AS port`;

/** One acknowledged commit. */
export interface CanaryAck {
  seq: number;
  /** Real ms when the acknowledgement arrived. */
  at: number;
  /** The server (its port) that acknowledged it. */
  port: number;
}

export interface CanaryOptions {
  /** The DNS relay's port on 127.0.0.1. */
  port: number;
  /** @default postgres */
  database?: string;
  /** Commits per real second. @default 20 */
  ratePerSecond?: number;
  /** Real ms a connection or a commit may take before it is given up. @default 2000 */
  timeoutMs?: number;
}

export class CanaryWriter {
  readonly acks: CanaryAck[] = [];
  /** Attempts that got no acknowledgement: [real ms, error code or message]. */
  readonly failures: Array<{ at: number; error: string }> = [];
  private seq = 0;
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  private running = false;
  private busy?: Promise<void>;
  readonly intervalMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: CanaryOptions) {
    this.intervalMs = 1000 / (options.ratePerSecond ?? 20);
    this.timeoutMs = options.timeoutMs ?? 2_000;
  }

  /** Numbers attempted so far. */
  get attempted(): number {
    return this.seq;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const started = realNow();
    let n = 0;
    const tick = () => {
      if (!this.running) return;
      // a steady rate: the next tick is due at start + n × interval, whatever this one took
      n++;
      if (!this.busy) this.busy = this.commitOne().finally(() => (this.busy = undefined));
      this.timer = realSetTimeout(tick, Math.max(0, started + n * this.intervalMs - realNow()));
    };
    tick();
  }

  /** Stops writing (waits for the commit in flight) and closes the session. */
  async stop(): Promise<void> {
    this.running = false;
    realClearTimeout(this.timer);
    await this.busy?.catch(() => undefined);
    this.drop();
  }

  private drop(): void {
    if (this.client) destroy(this.client);
    this.client = undefined;
  }

  private async commitOne(): Promise<void> {
    const seq = ++this.seq;
    try {
      if (!this.client) {
        const c = new pg.Client({ host: '127.0.0.1', port: this.options.port, user: 'postgres', database: this.options.database ?? 'postgres' });
        c.on('error', () => undefined);
        this.client = c;
        await realTimeout(c.connect(), this.timeoutMs, 'canary connect');
      }
      const r = await realTimeout(this.client.query(INSERT, [seq]), this.timeoutMs, 'canary commit');
      this.acks.push({ seq, at: realNow(), port: Number(r.rows[0]?.port) });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      this.failures.push({ at: realNow(), error: e.code ?? String(e.message ?? err).slice(0, 80) });
      this.drop();
    }
  }
}
