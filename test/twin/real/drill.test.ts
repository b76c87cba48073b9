/**
 * One real drill (`--real-postgres`): the primary crashes (SIGKILL of a real PostgreSQL 15
 * server), the product fails over to the real streaming replica (pg_promote), the DNS relay follows
 * the twin's Route 53 record and the canary's commits resume on the new primary. The report's
 * `measured` section is checked against what the servers hold. About 20 s of real time.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDrill } from '../../../twin/drill/run.js';
import type { Report } from '../../../twin/report/types.js';
import { scenarioOf } from '../drill/helpers.js';

const crash = scenarioOf({
  name: 'real-crash',
  description: 'The real primary is killed; the hot replica is promoted.',
  runFor: '12m',
  events: [{ at: '4m', fault: 'primary-crash' }],
  expect: { outcome: 'failed-over', writer: 'standby', failovers: 1 },
});

describe('a real drill: crash -> failover', () => {
  it('fails over on real servers; measured: nothing acknowledged is lost beyond the in-flight WAL, RTO close to the modelled one, no commit after the fence, the estimate covers the loss', async () => {
    let dataDir = '';
    const report: Report = await runDrill(crash, { real: { realSeconds: 20, onReady: (r) => (dataDir = r.dataDir) } });
    const m = report.measured!;
    expect(m, 'the report has a measured section').toBeDefined();
    expect(report.outcome).toBe('failed-over');
    expect(report.invariants.every((i) => i.held)).toBe(true);
    expect(m.timeScale).toBe(36);
    expect(m.newPrimary).toBe('replica');
    // the canary wrote at 20/s for 20 s and most commits were acknowledged (none while the DNS name led nowhere writable)
    expect(m.canary.attempted).toBeGreaterThan(250);
    expect(m.canary.acknowledged).toBeGreaterThan(m.canary.attempted / 2);
    expect(m.canary.acknowledged + m.canary.unacknowledged).toBe(m.canary.attempted);
    // a SIGKILL can lose only what was committed but not yet streamed: a commit or two
    expect(m.lostCommits).not.toBeNull();
    expect(m.lostCommits!).toBeLessThanOrEqual(2);
    expect(m.lostSeconds!).toBeLessThan(1);
    // the measured RTO (real, scaled) cannot beat the product's steps (detection, promotion, DNS) by more than a DNS TTL
    // and a canary retry; above, a loaded machine may let virtual time fall behind real time (loose bound)
    expect(m.rtoSeconds).not.toBeNull();
    expect(m.rtoSecondsVirtual!).toBeGreaterThanOrEqual(report.rtoSeconds! - 60);
    expect(m.rtoSecondsVirtual!).toBeLessThanOrEqual(report.rtoSeconds! + 180);
    // the crashed primary was fenced (its pg_hba rejects TCP when it starts again); it acknowledged nothing after
    expect(m.acceptedAfterFence).toBe(0);
    expect(m.estimate).not.toBeNull();
    expect(m.checks.map((c) => [c.name, c.held])).toEqual([
      ['no-commit-after-fence', true],
      ['estimate-covers-loss', true],
    ]);
    expect(m.events.map((e) => e.event.split(':')[0])).toEqual(
      expect.arrayContaining(['SIGKILL of the primary (every process)', 'pg_promote() on the replica']),
    );
    // the timeline shows the real actions beside the modelled ones
    expect(report.timeline.some((e) => e.event.startsWith('real: pg_promote() on the replica: done'))).toBe(true);
    // the servers are stopped and their data directory removed
    expect(dataDir).toMatch(/rds-failover-real-/);
    expect(existsSync(dataDir)).toBe(false);
  }, 90_000);
});

const stall = scenarioOf({
  name: 'real-stall-before-crash',
  description: 'Replication really stalls at the relay 40 s before the real primary is killed.',
  runFor: '9m',
  events: [
    { at: '4m20s', fault: 'replica-lag', seconds: 120 },
    { at: '5m', fault: 'primary-crash' },
  ],
  expect: { outcome: 'failed-over', writer: 'standby', failovers: 1 },
});

describe('a real drill: the replica stalls just before the crash', () => {
  it('the sample is within the budget, the reported bound covers the real loss (about 40 s of commits), and last-sample fails over within that bound', async () => {
    const report: Report = await runDrill(stall, { real: { realSeconds: 18 } });
    const m = report.measured!;
    expect(report.outcome).toBe('failed-over');
    expect(
      report.invariants.every((i) => i.held),
      JSON.stringify(report.invariants.filter((i) => !i.held)),
    ).toBe(true);
    expect(m.estimate).not.toBeNull();
    // the sample before the onset saw nothing behind; the bound adds what it could not see
    // (0 s on a quiet machine; a loaded one can sample a few seconds of real replication delay)
    expect(m.estimate!.sampleSeconds).toBeLessThan(30);
    expect(m.estimate!.seconds).toBeGreaterThanOrEqual(m.estimate!.sampleSeconds! + 40);
    // commits really were lost (the stall began 40 virtual s before the crash), about that much, and no more than the bound
    expect(m.lostCommits!).toBeGreaterThan(5);
    expect(m.lostSecondsAtLeast! * m.timeScale).toBeGreaterThan(25);
    expect(m.lostSecondsAtLeast! * m.timeScale).toBeLessThanOrEqual(m.estimate!.seconds);
    expect(m.checks.find((c) => c.name === 'estimate-covers-loss')?.held).toBe(true);
    expect(report.invariants.find((i) => i.name === 'data-loss-within-budget')?.detail).toMatch(
      /within the \d+(\.\d+)? s bound the check reported \(rpoEstimate last-sample\)/,
    );
  }, 90_000);
});
