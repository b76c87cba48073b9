/**
 * The trigger and forwarding patterns, matched against sample events with a small matcher of
 * EventBridge's pattern semantics (exact values, nested objects, top-level `$or`): what starts a
 * failover, and what does not.
 */
import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../twin/services/event-pattern.js';
import { validateConfig } from '../../lib/config/index.js';
import {
  crossRegionAlarmPattern,
  failoverRuleInput,
  failoverTriggerPattern,
  forwardedAlarmPattern,
  forwardedRdsPattern,
  type Pattern,
} from '../../lib/event-patterns.js';
import { exampleConfig, wideConfig } from './configs.js';

/** EventBridge matching for the operators the product uses: value lists, nesting, `$or`. */
/** EventBridge's matching (prefix, $or, arrays...) as the cloud twin implements it. */
const matches = (pattern: Pattern, event: unknown): boolean => matchesPattern(pattern as Record<string, unknown>, event);

const orders = validateConfig(exampleConfig()).config.databases[0]!;
const wide = validateConfig(wideConfig()).config;
const ledger = wide.databases.find((d) => d.name === 'ledger')!;

const alarm = (name: string, value = 'ALARM') => ({
  source: 'aws.cloudwatch',
  'detail-type': 'CloudWatch Alarm State Change',
  detail: { alarmName: name, state: { value, timestamp: '2026-04-01T12:00:00.000+0000' }, previousState: { value: 'OK' } },
});
const rds = (id: string, eventId: string, type = 'RDS DB Instance Event') => ({
  source: 'aws.rds',
  'detail-type': type,
  detail: { SourceIdentifier: id, EventID: eventId, EventCategories: ['failure'], Message: 'x' },
});
const operator = (database: string) => ({ source: 'rds-failover.operator', 'detail-type': 'Failover Requested', detail: { database, requestedBy: 'alice' } });

describe('the trigger pattern of a database (product bus)', () => {
  const p = failoverTriggerPattern('failover', orders);
  it.each([
    ['its in-Region alarm going to ALARM', alarm('failover-orders-heartbeat-in-region'), true],
    ['its cross-Region alarm going to ALARM (if forwarded)', alarm('failover-orders-heartbeat-cross-region'), true],
    ['its alarm going back to OK', alarm('failover-orders-heartbeat-in-region', 'OK'), false],
    ["another database's alarm", alarm('failover-cart-heartbeat-in-region'), false],
    ['another prefix', alarm('acme-orders-heartbeat-in-region'), false],
    ['the primary failed (RDS-EVENT-0031)', rds('orders-primary', 'RDS-EVENT-0031'), true],
    ['the primary shut down (RDS-EVENT-0004)', rds('orders-primary', 'RDS-EVENT-0004'), true],
    ['the primary restarted (RDS-EVENT-0006): not a trigger', rds('orders-primary', 'RDS-EVENT-0006'), false],
    ['the replica failed: not the primary', rds('orders-replica', 'RDS-EVENT-0031'), false],
    ['an operator asked for orders', operator('orders'), true],
    ['an operator asked for another database', operator('cart'), false],
    ['a phase event of the product itself', { source: 'rds-failover', 'detail-type': 'Failover Phase Changed', detail: { database: 'orders' } }, false],
  ])('%s → %s', (_what, event, expected) => {
    expect(matches(p, event)).toBe(expected);
  });

  it('matches cluster events of the primary cluster for Aurora', () => {
    const a = failoverTriggerPattern('acme', ledger);
    expect(matches(a, rds('ledger-eu', 'RDS-EVENT-0069', 'RDS DB Cluster Event'))).toBe(true);
    expect(matches(a, rds('ledger-eu', 'RDS-EVENT-0069'))).toBe(false);
    expect(matches(a, rds('ledger-us', 'RDS-EVENT-0069', 'RDS DB Cluster Event'))).toBe(false);
  });
});

describe('the other patterns', () => {
  it('default bus: only the cross-Region alarm going to ALARM', () => {
    const p = crossRegionAlarmPattern('failover', orders);
    expect(matches(p, alarm('failover-orders-heartbeat-cross-region'))).toBe(true);
    expect(matches(p, alarm('failover-orders-heartbeat-in-region'))).toBe(false);
  });

  it("forwarding: every state change of the Region's in-Region alarms, every RDS event about its primaries", () => {
    const us = wide.databases.filter((d) => d.primary.region === 'us-east-1');
    const alarms = forwardedAlarmPattern('acme');
    expect(matches(alarms, alarm('acme-cart-heartbeat-in-region', 'OK'))).toBe(true);
    // Matched by the product's prefix (a list of names would outgrow EventBridge's 2,048-character pattern limit):
    // the per-database rules on the product bus pick the exact names.
    expect(matches(alarms, alarm('other-cart-heartbeat-in-region'))).toBe(false);
    const events = forwardedRdsPattern(us)!;
    expect(matches(events, rds('archive-primary', 'RDS-EVENT-0006'))).toBe(true);
    expect(matches(events, rds('ledger-eu', 'RDS-EVENT-0069', 'RDS DB Cluster Event'))).toBe(false);
  });
});

describe('the rule input', () => {
  it('is refused at synth time when the database config cannot fit an EventBridge input template', () => {
    const huge = {
      ...orders,
      detection: { ...orders.detection, vantagePoints: Array.from({ length: 200 }, (_, i) => ({ name: `vp-${i}`, region: 'us-east-1' })) },
    };
    expect(() => failoverRuleInput(huge)).toThrow(/too long for an EventBridge input template/);
    expect(() => failoverRuleInput(orders)).not.toThrow();
  });
});
