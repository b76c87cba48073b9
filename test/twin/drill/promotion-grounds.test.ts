/**
 * The report says what allowed each promotion, as it happened: the verdict, the approval and who
 * gave it, or the operator's request; never "a human approval" when none was given.
 */
import { describe, expect, it } from 'vitest';
import { runDrill } from '../../../twin/drill/run.js';
import { loadScenarioFile } from '../../../twin/scenario/index.js';

process.env.RDS_FAILOVER_TWIN_CACHE ??= `${process.cwd()}/.twin-cache`;

const reports = new Map<string, Awaited<ReturnType<typeof runDrill>>>();
const reportOf = async (file: string) => {
  if (!reports.has(file)) reports.set(file, await runDrill(loadScenarioFile(file), { seed: 1 }));
  return reports.get(file)!;
};
const detailOf = async (file: string): Promise<string> => (await reportOf(file)).invariants.find((i) => i.name === 'verified-before-promotion')!.detail ?? '';

describe('verified-before-promotion names what allowed each promotion', () => {
  it('the game day: a confirmed-down verdict (no human), then the approved failback', async () => {
    const detail = await detailOf('scenarios/game-day.json');
    expect(detail).toMatch(
      /^orders: 2 promotion\(s\): orders-replica at t=[\d.]+s after a confirmed-down verdict; orders-primary at t=[\d.]+s after an approval by drill-operator$/,
    );
  }, 180_000);

  it("an operator's failover: the request, and no approval", async () => {
    const detail = await detailOf('scenarios/operator-failover.json');
    expect(detail).toMatch(/^orders: 1 promotion\(s\): orders-replica at t=[\d.]+s after an operator's request$/);
    expect(detail).not.toContain('approval');
  }, 180_000);
});

describe("the failback's planned write outage", () => {
  it('is measured on the game day: from the last write before the switchover to the first on the original site', async () => {
    const report = await reportOf('scenarios/game-day.json');
    expect(report.failbackOutageSeconds).toBeGreaterThan(10);
    expect(report.failbackOutageSeconds).toBeLessThan(900);
    // The clients wrote to the original site again after it, and to the standby before.
    expect(report.writer).toBe('orders-primary');
  }, 180_000);

  it('is null when nothing failed back', async () => {
    expect((await reportOf('scenarios/operator-failover.json')).failbackOutageSeconds).toBeNull();
  }, 180_000);
});
