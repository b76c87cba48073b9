/**
 * A small TCP relay on 127.0.0.1 (real time). Each accepted connection is joined to the port
 * `target()` names at that moment; no target: the connection is closed at once (a refusal).
 *
 * - Replication relay: between a replica's walreceiver and its primary. `delay(ms)` holds what
 *   the upstream (the primary) sends for `ms` before passing it on, so the replica is really that
 *   far behind in WAL; `cut()` drops the open connections and refuses new ones until `resume()`.
 * - DNS relay: the database's DNS name. `target()` follows the twin's Route 53 record; open
 *   connections stay where they were opened (as a client keeps its socket after a DNS change).
 */
import net from 'node:net';
import { realClearTimeout, realNow, realSetTimeout } from './timers.js';

/** A port is taken (reported, never retried forever). */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly port: number,
    what: string,
  ) {
    super(`port ${port} on 127.0.0.1 is in use (${what}): free it or choose another port`);
  }
}

export interface RelayStats {
  /** Connections accepted so far. */
  accepted: number;
  /** Connections refused (no target, cut). */
  refused: number;
  /** Connections open now. */
  open: number;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  port: number;
  /** Bytes from upstream waiting for their delay: [due (real ms), chunk]. */
  queue: Array<[number, Buffer]>;
  timer?: NodeJS.Timeout;
}

export interface RelayOptions {
  /** Name in messages. */
  name: string;
  /** 0 (or absent): any free port. */
  port?: number;
  /** The port to join a new connection to (on 127.0.0.1), or undefined to refuse it. */
  target: () => number | undefined;
}

export class TcpRelay {
  private server?: net.Server;
  private readonly pairs = new Set<Pair>();
  private delayMs = 0;
  private isCut = false;
  readonly stats: RelayStats = { accepted: 0, refused: 0, open: 0 };
  port = 0;

  constructor(private readonly options: RelayOptions) {}

  /** Listens on 127.0.0.1; rejects with {@link PortInUseError} when the port is taken. */
  async listen(): Promise<number> {
    const server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'EADDRINUSE' ? new PortInUseError(this.options.port ?? 0, this.options.name) : err),
      );
      server.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Bytes from upstream reach the client `ms` later (0: at once). Applies to open connections too. */
  delay(ms: number): void {
    this.delayMs = Math.max(0, ms);
    for (const p of this.pairs) this.flush(p);
  }

  get currentDelayMs(): number {
    return this.delayMs;
  }

  get cutNow(): boolean {
    return this.isCut;
  }

  /** Drops every open connection and refuses new ones until {@link resume}. */
  cut(): void {
    this.isCut = true;
    for (const p of [...this.pairs]) this.drop(p);
  }

  resume(): void {
    this.isCut = false;
  }

  /** Drops the open connections joined to `port` (all when undefined). */
  dropConnections(port?: number): void {
    for (const p of [...this.pairs]) if (port === undefined || p.port === port) this.drop(p);
  }

  async close(): Promise<void> {
    for (const p of [...this.pairs]) this.drop(p);
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    client.on('error', () => undefined);
    const port = this.isCut ? undefined : this.options.target();
    if (port === undefined) {
      this.stats.refused++;
      client.destroy();
      return;
    }
    this.stats.accepted++;
    client.pause();
    const upstream = net.connect({ host: '127.0.0.1', port });
    upstream.on('error', () => undefined);
    const pair: Pair = { client, upstream, port, queue: [] };
    this.pairs.add(pair);
    this.stats.open = this.pairs.size;
    upstream.once('connect', () => client.resume());
    client.on('data', (chunk) => {
      if (!upstream.destroyed) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.delayMs === 0 && pair.queue.length === 0) {
        if (!client.destroyed) client.write(chunk);
        return;
      }
      pair.queue.push([realNow() + this.delayMs, chunk]);
      this.flush(pair);
    });
    const end = () => this.drop(pair);
    client.once('close', end);
    upstream.once('close', end);
  }

  /** Writes the queued chunks that are due; schedules the next. */
  private flush(p: Pair): void {
    realClearTimeout(p.timer);
    p.timer = undefined;
    const now = realNow();
    // Each chunk keeps the due time it got when it arrived; delay 0 releases everything queued.
    while (p.queue.length > 0 && p.queue[0]![0] <= now) {
      const [, chunk] = p.queue.shift()!;
      if (!p.client.destroyed) p.client.write(chunk);
    }
    if (this.delayMs === 0) {
      for (const [, chunk] of p.queue.splice(0)) if (!p.client.destroyed) p.client.write(chunk);
      return;
    }
    if (p.queue.length > 0) p.timer = realSetTimeout(() => this.flush(p), Math.max(1, p.queue[0]![0] - now));
  }

  private drop(p: Pair): void {
    if (!this.pairs.delete(p)) return;
    realClearTimeout(p.timer);
    p.queue.length = 0;
    p.client.destroy();
    p.upstream.destroy();
    this.stats.open = this.pairs.size;
  }
}
