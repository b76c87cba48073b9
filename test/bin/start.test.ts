/**
 * `failover start DATABASE --reason … --yes`: one "Failover Requested" event on the product bus, as
 * the caller's identity, in the shape accept-trigger accepts; bad input exits 2 and sends nothing.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acceptTrigger } from '../../lambdas/accept-trigger/core.js';
import { run } from '../../bin/failover.js';
import { callerIdentity } from '../../bin/cli/approvals.js';
import { fakeIo as fakeIoWithEnv } from '../helpers/cli-io.js';

/** The commands that act on AWS read the config named by FAILOVER_CONFIG (never the example by default). */
const fakeIo = () => fakeIoWithEnv({ FAILOVER_CONFIG: 'examples/config.json' });
import { loadConfigFile } from '../../lib/config/index.js';

const events = mockClient(EventBridgeClient);
const CALLER = 'arn:aws:sts::123456789012:assumed-role/oncall/alice';

const realResolve = callerIdentity.resolve;
beforeEach(() => {
  events.reset();
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  callerIdentity.resolve = async () => CALLER;
});
afterEach(() => {
  callerIdentity.resolve = realResolve;
});

describe('failover start', () => {
  it('puts one operator request on the product bus in the control Region, which accept-trigger accepts as an operator trigger', async () => {
    const t = fakeIo();
    const code = await run(['start', 'orders', '--reason', 'planned maintenance of us-east-1', '--yes'], t.io);
    expect(t.stderr()).toBe('');
    expect(code).toBe(0);
    expect(t.stdout()).toContain(`requested a failover of orders as ${CALLER} on bus failover-events (us-west-2)`);
    expect(events).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const entry = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({ EventBusName: 'failover-events', Source: 'rds-failover.operator', DetailType: 'Failover Requested' });
    expect(await events.call(0).thisValue.config.region()).toBe('us-west-2');
    // The event as EventBridge delivers it to the rule's target.
    const delivered = { source: entry.Source, 'detail-type': entry.DetailType, time: (entry.Time as Date).toISOString(), detail: JSON.parse(entry.Detail!) };
    const { config } = loadConfigFile('examples/config.json');
    const trigger = acceptTrigger(config.databases[0]!, delivered, {
      prefix: 'failover',
      executionId: 'arn:aws:states:us-west-2:123456789012:execution:failover-failover:x',
      now: new Date(),
    });
    expect(trigger).toMatchObject({ kind: 'operator', requestedBy: CALLER, summary: `Failover requested by ${CALLER}: planned maintenance of us-east-1` });
  });

  it.each([
    ['an unknown database', ['start', 'billing', '--reason', 'x', '--yes']],
    ['no reason', ['start', 'orders', '--yes']],
    ['an empty reason', ['start', 'orders', '--reason', '   ', '--yes']],
    ['a reason over 1000 characters', ['start', 'orders', '--reason', 'x'.repeat(1001), '--yes']],
    ['no --yes', ['start', 'orders', '--reason', 'x']],
  ])('refuses (exit 2, nothing sent): %s', async (_what, argv) => {
    const t = fakeIo();
    expect(await run(argv, t.io), argv.join(' ')).toBe(2);
    expect(events).not.toHaveReceivedAnyCommand();
  });

  it('an AccessDenied names the bus and Region and says what to do (exit 1)', async () => {
    events.on(PutEventsCommand).rejects(Object.assign(new Error('not authorized to perform: events:PutEvents'), { name: 'AccessDeniedException' }));
    const t = fakeIo();
    expect(await run(['start', 'orders', '--reason', 'x', '--yes'], t.io)).toBe(1);
    expect(t.stderr()).toContain('AccessDeniedException: not authorized to perform: events:PutEvents (bus failover-events in us-west-2)');
    expect(t.stderr()).toContain('what to do: your identity may not call events:PutEvents on bus failover-events in us-west-2');
  });

  it('says so (exit 1) when EventBridge does not accept the entry', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'not allowed' }] });
    const t = fakeIo();
    expect(await run(['start', 'orders', '--reason', 'x', '--yes'], t.io)).toBe(1);
    expect(t.stderr()).toContain('not accepted by EventBridge (AccessDeniedException: not allowed); nothing was started');
  });
});
