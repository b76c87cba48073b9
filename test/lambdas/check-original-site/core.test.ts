import { describe, expect, it } from 'vitest';
import { giveUp, nextWaitSeconds, siteReadiness, type SiteReading } from '../../../lambdas/check-original-site/core.js';

describe('siteReadiness', () => {
  const cases: Array<[string, SiteReading, { answered: boolean; ready: boolean; status: string | null }]> = [
    ['Region out', { kind: 'unreachable', detail: 'TimeoutError' }, { answered: false, ready: false, status: null }],
    [
      'instance available again',
      { kind: 'instance', id: 'orders-primary', found: true, status: 'available' },
      { answered: true, ready: true, status: 'available' },
    ],
    ['instance gone: nothing to preserve', { kind: 'instance', id: 'orders-primary', found: false }, { answered: true, ready: true, status: 'absent' }],
    ['instance still failed', { kind: 'instance', id: 'orders-primary', found: true, status: 'failed' }, { answered: true, ready: false, status: 'failed' }],
    ['instance rebooting', { kind: 'instance', id: 'orders-primary', found: true, status: 'rebooting' }, { answered: true, ready: false, status: 'rebooting' }],
    [
      'instance stopped (an operator must start it)',
      { kind: 'instance', id: 'orders-primary', found: true, status: 'stopped' },
      { answered: true, ready: false, status: 'stopped' },
    ],
    [
      'already rebuilt as a replica (a second run)',
      { kind: 'instance', id: 'orders-primary', found: true, status: 'available', source: 'arn:aws:rds:us-west-2:1:db:orders-replica' },
      { answered: true, ready: true, status: 'available' },
    ],
    [
      'Aurora: back as an available secondary',
      { kind: 'aurora', id: 'orders-east', found: true, status: 'available', member: { isWriter: false, synchronization: 'connected' } },
      { answered: true, ready: true, status: 'available' },
    ],
    [
      'Aurora: not yet rejoined',
      { kind: 'aurora', id: 'orders-east', found: true, status: 'available' },
      { answered: true, ready: false, status: 'available' },
    ],
    [
      'Aurora: claims to be the writer',
      { kind: 'aurora', id: 'orders-east', found: true, status: 'available', member: { isWriter: true } },
      { answered: true, ready: false, status: 'available' },
    ],
    ['Aurora: cluster gone', { kind: 'aurora', id: 'orders-east', found: false }, { answered: true, ready: false, status: 'absent' }],
    [
      'Aurora: still recovering',
      { kind: 'aurora', id: 'orders-east', found: true, status: 'inaccessible-encryption-credentials-recoverable', member: { isWriter: false } },
      { answered: true, ready: false, status: 'inaccessible-encryption-credentials-recoverable' },
    ],
  ];
  it.each(cases)('%s', (_label, reading, expected) => {
    const out = siteReadiness(reading);
    expect(out).toMatchObject(expected);
    expect(out.detail.length).toBeGreaterThan(10);
  });
});

describe('backoff', () => {
  it.each([
    // attempt, maxWaitHours, seconds: 5, 10 minutes, then 15 minutes (or longer when maxWaitHours would take over 400 checks)
    [1, 168, 300],
    [2, 168, 600],
    [3, 100, 900],
    [40, 100, 900],
    [3, 168, 1200],
    [4, 168, 1512],
    [40, 168, 1512],
    [1, 8760, 300],
    [5, 8760, 4800],
    [9, 8760, 76800],
    [10, 8760, 78840],
    [2000, 8760, 78840],
  ])('after check %i with maxWaitHours %i: wait %i s', (attempt, hours, seconds) => expect(nextWaitSeconds(attempt, hours)).toBe(seconds));

  const since = new Date('2026-04-01T00:00:00.000Z');
  it.each([
    [false, '2026-04-08T00:00:00.000Z', 168, true],
    [false, '2026-04-07T23:59:59.000Z', 168, false],
    [true, '2026-05-01T00:00:00.000Z', 168, false],
    [false, '2026-04-01T01:00:00.000Z', 1, true],
  ])('ready=%s at %s with maxWaitHours %i: give up %s', (ready, now, hours, expected) => {
    expect(giveUp(ready, since, new Date(now), hours)).toBe(expected);
  });
  it('an unreadable waitingSince never gives up (the check count of the workflow still bounds it)', () => {
    expect(giveUp(false, new Date('x'), new Date(), 1)).toBe(false);
  });
});
