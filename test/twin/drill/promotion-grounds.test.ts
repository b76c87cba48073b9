/**
 * The report says what allowed each promotion, as it happened: the verdict, the approval and who
 * gave it, or the operator's request; never "a human approval" when none was given.
 */
import { describe, expect, it } from 'vitest';
import { runDrill } from '../../../twin/drill/run.js';
import { loadScenarioFile } from '../../../twin/scenario/index.js';

process.env.RDS_FAILOVER_TWIN_CACHE ??= `${process.cwd()}/.twin-cache`;

const detailOf = async (file: string): Promise<string> => {
  const report = await runDrill(loadScenarioFile(file), { seed: 1 });
  return report.invariants.find((i) => i.name === 'verified-before-promotion')!.detail ?? '';
};

describe('verified-before-promotion names what allowed each promotion', () => {
  it('the game day: a confirmed-down verdict (no human), then the approved failback', async () => {
    const detail = await detailOf('scenarios/game-day.json');
    expect(detail).toMatch(/^orders: 2 promotion\(s\): orders-replica at t=[\d.]+s after a confirmed-down verdict; orders-primary at t=[\d.]+s after an approval by drill-operator$/);
  }, 180_000);

  it("an operator's failover: the request, and no approval", async () => {
    const detail = await detailOf('scenarios/operator-failover.json');
    expect(detail).toMatch(/^orders: 1 promotion\(s\): orders-replica at t=[\d.]+s after an operator's request$/);
    expect(detail).not.toContain('approval');
  }, 180_000);
});
