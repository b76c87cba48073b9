/**
 * `npm run bench -- --scale`: a Region outage of the primaries' Region with 1, 10 and 50 databases
 * in one deployment (docs/scale.md "A regional outage of many databases"). Every database fails
 * over at once, sharing the account's API quotas (Route 53 5 requests/s, RDS 300 burst and 12/s
 * per Region, Lambda's 1,000 concurrent executions); each database has its own application
 * clients, so each one's RTO is measured. Prints p50/p99 RTO per count and the ratio to a single
 * database's failover, with what was throttled and the drill's CPU time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../lib/paths.js';
import { figuresPerDatabase, invariants, type DatabaseFigures } from '../twin/drill/measure.js';
import { runDrill } from '../twin/drill/run.js';
import { exitStatus } from '../twin/report/judge.js';
import { validateScenario } from '../twin/scenario/load.js';
import type { Scenario } from '../twin/scenario/index.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** The scenario the scale bench multiplies: an automatic regional failover of one database. */
export const SCALE_BASE = join(PROJECT_ROOT, 'scenarios', 'region-outage-postgres-automatic.json');

/**
 * `n` databases (db0 … db<n-1>) copied from the base scenario's, their primaries all in the
 * Region that goes out at 5 minutes, each with its own instances, record (one hosted zone) and
 * secret; no recovery, no failback. The scenario database is db0.
 */
export function regionOutageOf(n: number, runFor = '20m'): Scenario {
  return validateScenario(regionOutageFile(n, runFor));
}

/** The scenario file of {@link regionOutageOf} (as `scenarios/region-outage-ten-databases.json` holds it for 10). */
export function regionOutageFile(n: number, runFor = '20m'): Record<string, unknown> {
  const raw = JSON.parse(readFileSync(SCALE_BASE, 'utf8')) as Record<string, any>;
  const base = raw.config.databases[0];
  raw.config.databases = Array.from({ length: n }, (_, i) => {
    const db = structuredClone(base);
    db.name = `db${i}`;
    db.primary.instanceId = `db${i}-primary`;
    db.standby.instanceId = `db${i}-replica`;
    db.dns.recordName = `writer.db${i}.internal`;
    db.credentials.databaseName = `db${i}`;
    db.credentials.secretArn = `arn:aws:secretsmanager:${db.primary.region}:123456789012:secret:db${i}/failover-probe-AbCdEf`;
    return db;
  });
  const region = base.primary.region as string;
  return {
    name: `region-outage-${n}-databases`,
    description: `A Region outage of ${region}, where the primaries of all ${n} databases run: every one fails over to its standby at once.`,
    config: raw.config,
    database: 'db0',
    runFor,
    events: [{ at: '5m', fault: 'region-outage', region }],
    expect: { outcome: 'failed-over', writer: 'standby', failovers: 1 },
  };
}

/** Nearest-rank percentile of `xs` (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface ScaleRun {
  databases: number;
  seed: number;
  figures: DatabaseFigures[];
  /** Databases whose standby is the writer at the end, with one promotion. */
  failedOver: number;
  /** Every invariant held for every database. */
  invariantsHeld: boolean;
  failedInvariants: string[];
  /** The drill's own verdict on its scenario database (db0): invariants, liveness and expectations. */
  exitStatus: number;
  failedLiveness: string[];
  throttled: Record<string, number>;
  lambdaPeakConcurrency: Record<string, number>;
  apiCalls: Record<string, number>;
  cpuMs: number;
  wallMs: number;
}

/** One drill of `n` databases in a Region outage, with clients on every database. */
export async function runScale(n: number, seed = 1): Promise<ScaleRun> {
  const scenario = regionOutageOf(n);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let out: Omit<ScaleRun, 'cpuMs' | 'wallMs' | 'databases' | 'seed' | 'exitStatus' | 'failedLiveness'> | undefined;
  const report = await runDrill(scenario, {
    seed,
    clientsOnEveryDatabase: true,
    onFinish: (world, deployment, facts) => {
      const figures = figuresPerDatabase(facts);
      const failedOver = figures.filter((f) => f.promotions === 1 && f.writerAtEnd === deployment.databases[f.database]!.standby.id).length;
      const inv = invariants(facts);
      const throttled: Record<string, number> = { ...world.throttledCalls };
      for (const [fn, count] of Object.entries(world.lambda.throttled)) throttled[`lambda:Invoke ${fn}`] = count;
      out = {
        figures,
        failedOver,
        invariantsHeld: inv.every((i) => i.held),
        failedInvariants: inv.filter((i) => !i.held).map((i) => `${i.name}: ${i.detail}`),
        throttled,
        lambdaPeakConcurrency: { ...world.lambda.peakConcurrency },
        apiCalls: { ...world.apiCalls },
      };
    },
  });
  const cpu = process.cpuUsage(c0);
  const liveness = (report.liveness ?? []).filter((l) => !l.held).map((l) => `${l.name}: ${l.detail}`);
  return {
    databases: n,
    seed,
    ...out!,
    exitStatus: exitStatus(report),
    failedLiveness: liveness,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    wallMs: Math.round(performance.now() - t0),
  };
}

export interface ScaleRow {
  databases: number;
  failedOver: string;
  invariants: string;
  rtoP50: number;
  rtoP99: number;
  rtoMax: number;
  p50VsSingle: number;
  p99VsSingle: number;
  /** From the failure to the start of the database's promotion, p99 over the databases (s). */
  promotionP99: number;
  /** From the failure to the database's DNS change, p50 and p99 over the databases (s). */
  dnsChangeP50: number;
  dnsChangeP99: number;
  route53Throttled: number;
  rdsThrottled: number;
  lambdaThrottled: number;
  lambdaPeak: number;
  cpuMs: number;
}

const sumOf = (r: Record<string, number>, prefix: string) =>
  Object.entries(r)
    .filter(([k]) => k.startsWith(prefix))
    .reduce((n, [, v]) => n + v, 0);

/** The table row of one run, against the single database's RTO. */
export function scaleRow(run: ScaleRun, singleRto: number): ScaleRow {
  const rtos = run.figures.map((f) => f.rtoSeconds).filter((x): x is number => x !== null);
  const p50 = rtos.length ? percentile(rtos, 50) : NaN;
  const p99 = rtos.length ? percentile(rtos, 99) : NaN;
  const ratio = (x: number) => Math.round((x / singleRto) * 100) / 100;
  const dns = run.figures.map((f) => f.dnsChangedSeconds).filter((x): x is number => x !== null);
  const promoted = run.figures.map((f) => f.promotionStartedSeconds).filter((x): x is number => x !== null);
  return {
    databases: run.databases,
    failedOver: `${run.failedOver}/${run.databases}`,
    invariants: run.invariantsHeld ? 'held' : `${run.failedInvariants.length} failed`,
    rtoP50: p50,
    rtoP99: p99,
    rtoMax: rtos.length ? Math.max(...rtos) : NaN,
    p50VsSingle: ratio(p50),
    p99VsSingle: ratio(p99),
    promotionP99: promoted.length ? percentile(promoted, 99) : NaN,
    dnsChangeP50: dns.length ? percentile(dns, 50) : NaN,
    dnsChangeP99: dns.length ? percentile(dns, 99) : NaN,
    route53Throttled: sumOf(run.throttled, 'route53:'),
    rdsThrottled: sumOf(run.throttled, 'rds:'),
    lambdaThrottled: sumOf(run.throttled, 'lambda:'),
    lambdaPeak: Math.max(0, ...Object.values(run.lambdaPeakConcurrency)),
    cpuMs: run.cpuMs,
  };
}

/**
 * The scale bench: 1, 10 and 50 databases (or `counts`), one drill each with `seed`. A single
 * database's RTO (the ratios' denominator) is the median over `singleSeeds` drills of one
 * database (seeds 1..singleSeeds): one drill's RTO depends on where its failure falls in the
 * clients' DNS cache cycle and on its promotion's duration, so one seed alone is a poor yardstick.
 */
export async function benchScale(
  counts: readonly number[] = [1, 10, 50],
  seed = 1,
  log: (line: string) => void = () => undefined,
  singleSeeds = 5,
): Promise<{ rows: ScaleRow[]; runs: ScaleRun[]; single: { seeds: number; rtoSeconds: number[]; median: number } }> {
  const singles: number[] = [];
  for (let s = 1; s <= singleSeeds; s++) {
    const one = await runScale(1, s);
    const rto = one.figures[0]?.rtoSeconds;
    if (rto !== null && rto !== undefined) singles.push(rto);
  }
  const singleRto = singles.length ? percentile(singles, 50) : NaN;
  log(`  1 database, seeds 1..${singleSeeds}: RTO ${singles.join(', ')} s (median ${singleRto} s)`);
  const runs: ScaleRun[] = [];
  for (const n of counts) {
    const run = await runScale(n, seed);
    runs.push(run);
    log(`  ${n} database(s), seed ${seed}: ${run.failedOver}/${n} failed over, invariants ${run.invariantsHeld ? 'held' : 'FAILED'}, ${run.cpuMs} ms CPU`);
  }
  return { rows: runs.map((r) => scaleRow(r, singleRto)), runs, single: { seeds: singleSeeds, rtoSeconds: singles, median: singleRto } };
}
