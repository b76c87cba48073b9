import { describe, expect, it } from 'vitest';
import { compareSubscriptions, unconfirmedDatum, type ListedSubscription } from '../../../lambdas/check-subscriptions/core.js';

const TOPIC = 'arn:aws:sns:us-west-2:123456789012:failover-notifications';
const confirmed = (email: string): ListedSubscription => ({
  Protocol: 'email',
  Endpoint: email,
  SubscriptionArn: `${TOPIC}:0b8c3f0e-1111-2222-3333-${email.length.toString().padStart(12, '0')}`,
});
const pending = (email: string): ListedSubscription => ({ Protocol: 'email', Endpoint: email, SubscriptionArn: 'PendingConfirmation' });

describe('compareSubscriptions', () => {
  const cases: { name: string; emails: string[]; subs: ListedSubscription[]; want: { confirmed: string[]; pending: string[]; missing: string[] } }[] = [
    {
      name: 'every email confirmed',
      emails: ['a@x.com', 'b@x.com'],
      subs: [confirmed('a@x.com'), confirmed('b@x.com')],
      want: { confirmed: ['a@x.com', 'b@x.com'], pending: [], missing: [] },
    },
    {
      name: 'one waits for its confirmation (PendingConfirmation)',
      emails: ['a@x.com', 'b@x.com'],
      subs: [confirmed('a@x.com'), pending('b@x.com')],
      want: { confirmed: ['a@x.com'], pending: ['b@x.com'], missing: [] },
    },
    {
      name: 'one was removed (not listed at all)',
      emails: ['a@x.com', 'b@x.com'],
      subs: [confirmed('a@x.com')],
      want: { confirmed: ['a@x.com'], pending: [], missing: ['b@x.com'] },
    },
    {
      name: 'a subscription being deleted (SubscriptionArn "Deleted") receives nothing',
      emails: ['a@x.com'],
      subs: [{ Protocol: 'email', Endpoint: 'a@x.com', SubscriptionArn: 'Deleted' }],
      want: { confirmed: [], pending: [], missing: ['a@x.com'] },
    },
    {
      name: 'the same address with another protocol (email-json, sms) does not count',
      emails: ['a@x.com'],
      subs: [{ ...confirmed('a@x.com'), Protocol: 'email-json' }],
      want: { confirmed: [], pending: [], missing: ['a@x.com'] },
    },
    {
      name: 'a confirmed subscription wins over a pending one of the same address',
      emails: ['a@x.com'],
      subs: [pending('a@x.com'), confirmed('a@x.com')],
      want: { confirmed: ['a@x.com'], pending: [], missing: [] },
    },
    {
      name: 'addresses compare without regard to case',
      emails: ['OnCall@Example.com'],
      subs: [confirmed('oncall@example.com')],
      want: { confirmed: ['OnCall@Example.com'], pending: [], missing: [] },
    },
    {
      name: 'a configured email listed twice counts once',
      emails: ['a@x.com', 'A@x.com'],
      subs: [],
      want: { confirmed: [], pending: [], missing: ['a@x.com'] },
    },
    {
      name: 'subscriptions not in the config are ignored',
      emails: ['a@x.com'],
      subs: [
        confirmed('a@x.com'),
        pending('intruder@y.com'),
        { Protocol: 'lambda', Endpoint: 'arn:aws:lambda:us-west-2:123456789012:function:f', SubscriptionArn: `${TOPIC}:1` },
      ],
      want: { confirmed: ['a@x.com'], pending: [], missing: [] },
    },
    { name: 'no configured emails: nothing to miss', emails: [], subs: [pending('a@x.com')], want: { confirmed: [], pending: [], missing: [] } },
  ];
  for (const c of cases) {
    it(c.name, () => expect(compareSubscriptions(c.emails, c.subs)).toEqual(c.want));
  }
});

describe('unconfirmedDatum', () => {
  it('counts pending and missing emails, in the product namespace metric, without dimensions', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(unconfirmedDatum({ confirmed: ['a'], pending: ['b'], missing: ['c', 'd'] }, at)).toEqual({
      MetricName: 'UnconfirmedEmailSubscriptions',
      Timestamp: at,
      Value: 3,
      Unit: 'Count',
    });
    expect(unconfirmedDatum({ confirmed: ['a'], pending: [], missing: [] }, at).Value).toBe(0);
  });
});
