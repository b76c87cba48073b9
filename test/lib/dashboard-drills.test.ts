/**
 * The dashboard's last drill per database with a game day (docs/game-days.md, "Evidence"): one
 * single-value widget each with the drill metrics record-incident publishes under the database
 * that asked for the drill, over a window a quarterly schedule always falls in; none without a
 * game day.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lib/config/index.js';
import { FailoverDashboard, LAST_DRILL_WINDOW } from '../../lib/constructs/failover-dashboard.js';
import { configWith, databaseConfig, selfDrill } from '../fixtures/databases.js';

function body(gameDay: boolean): { widgets: Array<{ type: string; properties: Record<string, unknown> }> } {
  const input = configWith(databaseConfig(gameDay ? { gameDay: selfDrill('orders', { rtoSeconds: 600, rpoSeconds: 20 }) } : {}));
  const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-west-2' } });
  new FailoverDashboard(stack, 'D', { config: validateConfig(input).config });
  const [dashboard] = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'));
  // A body with tokens is a Fn::Join of strings and references; they are filled in with the Region.
  const raw = dashboard!.Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text = typeof raw === 'string' ? raw : raw['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'us-west-2')).join(raw['Fn::Join'][0]);
  return JSON.parse(text) as ReturnType<typeof body>;
}

describe('dashboard: the last drill', () => {
  it('one single-value widget per database with a game day: RTO, data at risk, objectives met', () => {
    const drills = body(true).widgets.filter((w) => w.type === 'metric' && String(w.properties.title).includes('last drill'));
    expect(drills).toHaveLength(1);
    const p = drills[0]!.properties;
    expect(p.title).toBe('orders: last drill (on orders; objectives RTO 600 s, data 20 s)');
    expect(p.view).toBe('singleValue');
    expect(p.start).toBe(LAST_DRILL_WINDOW);
    expect(p.metrics).toEqual([
      ['RdsFailover', 'DrillRtoSeconds', 'Database', 'orders', { label: 'RTO (s)', period: 86400, stat: 'Maximum' }],
      ['RdsFailover', 'DrillDataLossSeconds', 'Database', 'orders', { label: 'data at risk (s)', period: 86400, stat: 'Maximum' }],
      ['RdsFailover', 'DrillObjectivesMet', 'Database', 'orders', { label: 'objectives met', period: 86400, stat: 'Minimum' }],
    ]);
  });

  it('none without a game day', () => {
    expect(body(false).widgets.filter((w) => JSON.stringify(w).includes('Drill'))).toEqual([]);
  });
});
