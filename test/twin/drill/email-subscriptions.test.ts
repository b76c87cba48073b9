/**
 * Watching the notification emails (an automation alarm): the hourly check-subscriptions run on
 * the twin lists the topic's subscriptions; a configured email whose subscription is pending or
 * was removed makes `<prefix>-automation.unconfirmed-email-subscriptions` go to ALARM, which
 * publishes to the topic (reaching the confirmed addresses); with every email confirmed it stays OK.
 */
import { describe, expect, it } from 'vitest';
import { runDrill } from '../../../twin/drill/run.js';
import type { World } from '../../../twin/world.js';
import type { Deployment } from '../../../twin/drill/deploy.js';
import { resolveConfig, validateScenario } from '../../../twin/scenario/index.js';
import type { ResolvedApp } from '../../../twin/drill/synth.js';
import { removePermission, scenarioOf } from './helpers.js';

const ALARM = 'failover-automation.unconfirmed-email-subscriptions';
const EXAMPLE = resolveConfig().config;
/** The example config with a second notification email. */
const config = { ...EXAMPLE, notifications: { ...EXAMPLE.notifications, emails: ['oncall@example.com', 'dba@example.com'] } };

interface Seen {
  state?: string;
  toAlarm: number[];
  notified: string[];
  listed: unknown;
  /** The check's datapoints after the start (hourly maxima). */
  values: number[];
}

async function watch(world: Record<string, unknown>, runFor = '3h', transformApp?: (app: ResolvedApp) => void): Promise<Seen> {
  const seen: Seen = { toAlarm: [], notified: [], listed: undefined, values: [] };
  await runDrill(scenarioOf({ name: 'email subscriptions', config, runFor, world }), {
    seed: 1,
    ...(transformApp ? { transformApp } : {}),
    onFinish: async (w: World, d: Deployment) => {
      seen.state = w.cloudwatch.alarmState(d.controlRegion, ALARM);
      seen.toAlarm = w.cloudwatch
        .alarmHistory(d.controlRegion, ALARM)
        .filter((h) => h.to === 'ALARM')
        .map((h) => (h.t - w.startMs) / 1000);
      seen.notified = w.sns.published.filter((m) => m.topicArn === d.topicArn && m.message.includes(ALARM)).map((m) => m.message);
      const stats = (await w.call(
        'cloudwatch',
        'GetMetricStatistics',
        {
          Namespace: 'RdsFailover',
          MetricName: 'UnconfirmedEmailSubscriptions',
          StartTime: new Date(w.startMs),
          EndTime: new Date(w.clock.now() + 60_000),
          Period: 3600,
          Statistics: ['Maximum'],
        },
        { region: d.controlRegion, principal: d.operator },
      )) as { Datapoints: { Timestamp: Date; Maximum: number }[] };
      seen.values = [...stats.Datapoints].sort((a, b) => +new Date(a.Timestamp) - +new Date(b.Timestamp)).map((p) => p.Maximum);
      seen.listed = await w.call('sns', 'ListSubscriptionsByTopic', { TopicArn: d.topicArn }, { region: d.controlRegion, principal: d.operator });
    },
  });
  return seen;
}

describe('an alarm on configured emails that receive nothing', () => {
  it('every email confirmed (the default): the hourly check finds none, the alarm stays OK and notifies nobody', async () => {
    const seen = await watch({});
    // The check really ran every hour (at 1 h and 2 h of the 3), and found nothing unconfirmed.
    expect(seen.values).toEqual([0, 0]);
    expect(seen.state).toBe('OK');
    expect(seen.toAlarm).toEqual([]);
    expect(seen.notified).toEqual([]);
    expect(
      (seen.listed as { Subscriptions: { Endpoint: string; SubscriptionArn: string }[] }).Subscriptions.map((s) => [
        s.Endpoint,
        s.SubscriptionArn.startsWith('arn:aws:sns:'),
      ]),
    ).toEqual([
      ['oncall@example.com', true],
      ['dba@example.com', true],
    ]);
  }, 300_000);

  it('a pending email: ListSubscriptionsByTopic shows PendingConfirmation, the alarm goes to ALARM after the first check and publishes to the topic', async () => {
    const seen = await watch({ pendingEmails: ['dba@example.com'] });
    expect(
      (seen.listed as { Subscriptions: { Endpoint: string; SubscriptionArn: string }[] }).Subscriptions.find((s) => s.Endpoint === 'dba@example.com')!
        .SubscriptionArn,
    ).toBe('PendingConfirmation');
    expect(seen.values).toEqual([1, 1]);
    expect(seen.state).toBe('ALARM');
    // The first check runs an hour after the deployment; the alarm's 2-hour period ends within 2 hours of it.
    expect(seen.toAlarm).toHaveLength(1);
    expect(seen.toAlarm[0]).toBeGreaterThanOrEqual(3600);
    expect(seen.toAlarm[0]).toBeLessThanOrEqual(3 * 3600);
    expect(seen.notified).toHaveLength(1);
  }, 300_000);

  it('a removed email (not listed at all) alarms the same way', async () => {
    const seen = await watch({ removedEmails: ['oncall@example.com'] });
    expect((seen.listed as { Subscriptions: { Endpoint: string }[] }).Subscriptions.map((s) => s.Endpoint)).toEqual(['dba@example.com']);
    expect(seen.state).toBe('ALARM');
    expect(seen.notified).toHaveLength(1);
  }, 300_000);

  it('a check that cannot list the topic publishes nothing: the alarm (missing data breaching) goes to ALARM once its last datapoint leaves the evaluation range', async () => {
    const seen = await watch({}, '8h', (app) => {
      expect(removePermission(app, 'check-subscriptions', 'sns:ListSubscriptionsByTopic')).toBe(1);
    });
    expect(seen.values).toEqual([]);
    expect(seen.state).toBe('ALARM');
    // The last healthy datapoint was seeded an hour before the start; the range is 3 periods (6 hours).
    expect(seen.toAlarm).toHaveLength(1);
    expect(seen.toAlarm[0]).toBeGreaterThan(3 * 3600);
    expect(seen.toAlarm[0]).toBeLessThanOrEqual(6 * 3600);
    expect(seen.notified).toHaveLength(1);
  }, 300_000);

  it('refuses a pending or removed email the config does not have, naming the path', () => {
    expect(() =>
      validateScenario({ name: 'x', config, world: { pendingEmails: ['dba@exampel.com'] } }, { source: 'test', fallbackConfig: () => resolveConfig() }),
    ).toThrow(/world\.pendingEmails\[0\].*dba@exampel\.com.*did you mean "dba@example\.com"/s);
  });
});
