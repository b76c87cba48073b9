/**
 * The README's cost tables are what scripts/cost-table.ts counts from the synthesized example
 * config, and the counts come from the templates (a changed schedule, alarm or key changes them).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  costCounts,
  deriveCostTables,
  gameDayCounts,
  renderGameDayTable,
  rateSeconds,
  readmeCostTables,
  README_FILE,
  renderCostTables,
} from '../../scripts/cost-table.js';
import type { ResolvedApp } from '../../twin/drill/synth.js';
import { synthApp } from '../helpers/synth.js';

const app = (): ResolvedApp => structuredClone(synthApp().resolvedApp);

/** The resources of every stack, with their stack (mutable: `app` returns a copy). */
const resources = (a: ResolvedApp) =>
  Object.values(a.stacks).flatMap((s) =>
    Object.entries(s.resolved.Resources).map(([id, r]) => ({ stack: s, id, r: r as { Type: string; Properties: Record<string, unknown> } })),
  );
const heartbeatRules = (a: ResolvedApp) =>
  resources(a).filter(
    ({ r }) =>
      r.Type === 'AWS::Events::Rule' &&
      typeof r.Properties.ScheduleExpression === 'string' &&
      String((r.Properties.Targets as Array<{ Arn: string }>)[0]?.Arn).includes('heartbeat'),
  );

describe('README cost tables', () => {
  it('are what scripts/cost-table.ts derives from the synthesized example config now (run `npx tsx scripts/cost-table.ts` when this fails)', async () => {
    const readme = readmeCostTables(readFileSync(README_FILE, 'utf8'));
    expect(readme, 'README.md has no cost-table markers').toBeDefined();
    expect(readme).toBe(await deriveCostTables());
  }, 120_000);

  it('counts the example config from its templates', () => {
    const c = costCounts(app());
    expect(c).toMatchObject({
      database: 'orders',
      heartbeatSites: 2,
      heartbeatInvocations: 86_400,
      getSecretValueCalls: 86_400,
      putMetricDataCalls: 86_400,
      customMetrics: 6,
      heartbeatAlarms: 2,
      kmsKeys: 6,
      secrets: 1,
      dashboards: 1,
      controlAutomationAlarms: 9,
      regionalAutomationAlarms: { 'us-east-1': 2 },
      subscriptionChecks: 720,
    });
  });

  it('follows the schedules: a slower heartbeat halves the invocations, one without a secret reads none', () => {
    const a = app();
    const [first, second] = heartbeatRules(a);
    first!.r.Properties.ScheduleExpression = 'rate(2 minutes)';
    const targets = second!.r.Properties.Targets as Array<{ Input: string }>;
    const { secretArn: _secret, ...input } = JSON.parse(targets[0]!.Input) as Record<string, unknown>;
    targets[0]!.Input = JSON.stringify(input);
    const c = costCounts(a);
    expect(c.heartbeatInvocations).toBe(21_600 + 43_200);
    expect(c.getSecretValueCalls).toBe(21_600);
    expect([...c.heartbeatPeriods].sort((x, y) => x - y)).toEqual([60, 120]);
    expect(renderCostTables(c)).toContain('| `GetSecretValue` calls (each heartbeat reads the database secret) | 21,600 |');
  });

  it('counts every KMS key and alarm the templates hold, in whichever stack', () => {
    const a = app();
    const probe = Object.values(a.stacks).find((s) => s.name.includes('probe'))!;
    probe.resolved.Resources.ExtraKey = { Type: 'AWS::KMS::Key', Properties: {} };
    const signal = Object.values(a.stacks).find((s) => s.name.includes('signal'))!;
    signal.resolved.Resources.ExtraAlarm = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: { AlarmName: `${a.config.prefix}-automation.extra`, MetricName: 'X' },
    };
    const c = costCounts(a);
    expect(c.kmsKeys).toBe(7);
    expect(c.regionalAutomationAlarms).toEqual({ 'us-east-1': 3 });
    expect(renderCostTables(c)).toMatch(/\| KMS keys \(by stack: [^|]*\) \| 7 \| .* \| \$7\.00 \|/);
  });

  it('reads rate expressions', () => {
    expect([rateSeconds('rate(1 minute)'), rateSeconds('rate(30 seconds)'), rateSeconds('rate(1 hour)'), rateSeconds('rate(2 days)')]).toEqual([
      60, 30, 3600, 172_800,
    ]);
    expect(() => rateSeconds('cron(0 * * * ? *)')).toThrow(/not a rate expression/);
  });

  it('counts the fault experiments from the game-day templates: the disruption by its duration, a reboot by assumption', () => {
    const c = gameDayCounts(structuredClone(synthApp({ config: 'examples/game-day.json' }).resolvedApp));
    expect(c).toMatchObject({ stacks: 1, kmsKeys: 1, logGroups: 1 });
    expect([...c.templates].sort((a, b) => a.fault.localeCompare(b.fault))).toEqual([
      { database: 'orders-drill', fault: 'disrupt-connectivity', actionMinutes: 10, exact: true },
      { database: 'orders-drill', fault: 'reboot-with-failover', actionMinutes: 2, exact: false },
    ]);
    expect(renderGameDayTable(c)).toContain('| 10 action-minutes | $0.10 per action-minute | $1.00 per drill |');
    expect(gameDayCounts(app()).templates).toEqual([]);
  });
});
