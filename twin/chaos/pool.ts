/**
 * A pool of drill worker processes (twin/chaos/worker.ts, forked with `--import tsx` so they run
 * the TypeScript sources directly). Each worker runs one drill at a time; the pool hands each
 * request to the first idle worker and queues the rest. A worker that dies fails its request
 * with {@link WorkerDiedError} and is replaced.
 *
 * Workers are recycled after `maxRequestsPerWorker` requests. A process that ran drills one after
 * the other used to grow by about 20 MB per drill (4 GB and an out-of-memory crash after about 185
 * drills: finished worlds and every SDK call stayed reachable from aws-sdk-client-mock's sinon
 * sandbox); since the twin's SDK no longer goes through sinon (twin/sdk.ts), the heap left after a
 * full GC levels off at about 140 MB once every config of the palette has run (measured with
 * `node --expose-gc --import tsx bench/chaos-cpu.ts`). A fresh process costs about 1.5 s of CPU
 * to start plus the first import of each config's handlers, about a fifth of a campaign's CPU
 * when recycled every 25 drills: 100 keeps a safety margin at a quarter of that cost.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../../lib/paths.js';
import type { FailoverConfigInput } from '../../lambdas/shared/config-schema.js';
import type { ChaosScenarioFile } from './generate.js';
import type { DrillVerdict, WorkerRequest, WorkerResponse } from './protocol.js';

const WORKER_FILE = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** A worker process exited while it had a request. */
export class WorkerDiedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerDiedError';
  }
}

interface Pending {
  request: WorkerRequest;
  resolve: (response: WorkerResponse) => void;
  reject: (err: Error) => void;
}

interface Slot {
  child: ChildProcess;
  busy?: Pending;
  /** Requests answered by this process. */
  served: number;
  /** Being replaced: its exit is expected. */
  retired?: boolean;
}

/** Default requests a worker process serves before it is replaced by a fresh one. */
export const DEFAULT_MAX_REQUESTS_PER_WORKER = 100;

/** Runs drills (and syntheses) in `size` child processes. */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    readonly size: number,
    readonly maxRequestsPerWorker = DEFAULT_MAX_REQUESTS_PER_WORKER,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`workers must be a whole number ≥ 1, got ${size}`);
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /** Runs one drill of `file` with `seed` in a worker. */
  async drill(file: ChaosScenarioFile, seed: number): Promise<DrillVerdict> {
    const response = await this.submit({ type: 'drill', id: this.nextId++, file, seed });
    if (response.type !== 'drill') throw new Error(`worker answered a drill with ${response.type}`);
    return response.verdict;
  }

  /** Synthesizes a config's app in a worker (fills the disk cache). */
  async synth(config: FailoverConfigInput): Promise<{ cache: string; ms: number; error?: string }> {
    const response = await this.submit({ type: 'synth', id: this.nextId++, config });
    if (response.type !== 'synth') throw new Error(`worker answered a synthesis with ${response.type}`);
    return response;
  }

  /** Stops every worker (pending requests are rejected). */
  close(): void {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new WorkerDiedError('the pool was closed'));
    for (const slot of this.slots) {
      if (slot.child.connected) slot.child.disconnect();
      slot.child.kill();
    }
  }

  private submit(request: WorkerRequest): Promise<WorkerResponse> {
    if (this.closed) return Promise.reject(new WorkerDiedError('the pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy || this.queue.length === 0) continue;
      const pending = this.queue.shift()!;
      slot.busy = pending;
      slot.child.send(pending.request);
    }
  }

  private spawn(): Slot {
    const child = fork(WORKER_FILE, [], {
      cwd: PROJECT_ROOT,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const slot: Slot = { child, served: 0 };
    child.on('message', (response: WorkerResponse) => {
      const pending = slot.busy;
      slot.busy = undefined;
      slot.served++;
      if (pending && pending.request.id === response.id) pending.resolve(response);
      if (slot.served >= this.maxRequestsPerWorker && !this.closed) this.recycle(slot);
      this.dispatch();
    });
    child.on('exit', (code, signal) => {
      const pending = slot.busy;
      slot.busy = undefined;
      if (this.closed || slot.retired) return;
      pending?.reject(new WorkerDiedError(`a drill worker exited (${signal ?? `code ${code}`}) while running request ${pending.request.id}`));
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots[index] = this.spawn();
      this.dispatch();
    });
    return slot;
  }

  /** Replaces an idle worker by a fresh process (the old one exits when disconnected). */
  private recycle(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    slot.retired = true;
    if (slot.child.connected) slot.child.disconnect();
    this.slots[index] = this.spawn();
  }
}
