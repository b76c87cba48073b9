/** World's listener hooks: onCall wraps every API call (the drill records calls with it), onLog sees every timeline entry. */
import { describe, expect, it } from 'vitest';
import { World } from '../../twin/world.js';

const ctx = { region: 'us-east-1' };
const describeTopics = (w: World) => w.call('sns', 'ListSubscriptionsByTopic', { TopicArn: w.sns.createTopic('us-east-1', 'alerts') }, ctx);

describe('World.onCall', () => {
  it('wraps each call, the last listener added outermost, and stops at unsubscribe', async () => {
    const w = new World();
    const seen: string[] = [];
    const first = w.onCall(async (c, proceed) => {
      seen.push(`first>${c.service}:${c.operation}`);
      const out = await proceed();
      seen.push('first<');
      return out;
    });
    const second = w.onCall(async (_c, proceed) => {
      seen.push('second>');
      return proceed();
    });
    expect(await describeTopics(w)).toMatchObject({ Subscriptions: [] });
    expect(seen).toEqual(['second>', 'first>sns:ListSubscriptionsByTopic', 'first<']);
    expect(w.apiCalls['sns:ListSubscriptionsByTopic']).toBe(1);
    second();
    first();
    seen.length = 0;
    await describeTopics(w);
    expect(seen).toEqual([]);
    expect(w.apiCalls['sns:ListSubscriptionsByTopic']).toBe(2);
  });

  it('answers what the listener answers, and sees the pipeline errors', async () => {
    const w = new World();
    const errors: string[] = [];
    w.onCall(async (c, proceed) =>
      c.operation === 'ListSubscriptionsByTopic'
        ? { Topics: [{ TopicArn: 'faked' }] }
        : proceed().catch((e: Error) => (errors.push(e.name), Promise.reject(e))),
    );
    expect(await describeTopics(w)).toEqual({ Topics: [{ TopicArn: 'faked' }] });
    expect(w.apiCalls['sns:ListSubscriptionsByTopic']).toBeUndefined();
    w.regionOutage('us-east-1', true);
    await expect(w.call('sns', 'Publish', { TopicArn: 'x', Message: 'm' }, ctx)).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(errors).toEqual(['TimeoutError']);
  });
});

describe('World.onLog', () => {
  it('sees each entry after it is appended, until unsubscribed', () => {
    const w = new World();
    const seen: string[] = [];
    const stop = w.onLog((e) => seen.push(`${e.source}:${e.event}:${w.timeline.length}`));
    w.log('operator', 'one');
    stop();
    w.log('operator', 'two');
    expect(seen).toEqual(['operator:one:1']);
    expect(w.timeline.map((e) => e.event)).toEqual(['one', 'two']);
  });
});
