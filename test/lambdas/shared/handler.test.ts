import { describe, expect, it } from 'vitest';
import { defineActionHandler, defineHandler } from '../../../lambdas/shared/handler.js';
import { describeIssues } from '../../../lambdas/shared/issues.js';
import { CONTRACTS } from '../../../lambdas/shared/contracts.js';
import { exampleDatabase as hotDb } from './database-fixture.js';

const catching = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('defineHandler', () => {
  const planFailback = defineHandler('plan-failback', CONTRACTS['plan-failback'], () => ({
    aurora: false,
    approvalTimeoutSeconds: 60,
    rebuild: { intervalSeconds: 60, checks: 10 },
    stability: { windowSeconds: 0, intervalSeconds: 60, checks: 1 },
    drain: { intervalSeconds: 60, steps: [] },
    hasTraffic: false,
  }));

  it('runs the body on a valid input and returns its output', async () => {
    await expect(planFailback({ database: hotDb() })).resolves.toMatchObject({ aurora: false, hasTraffic: false });
  });

  it.each([
    ['no input at all', undefined, /plan-failback: invalid input: \(input\): is required \(expected object\) \(got nothing\)/],
    ['no database', {}, /plan-failback: invalid input: database: is required \(expected object\) \(got nothing\)/],
    [
      'a bad Region',
      { database: { ...hotDb(), primary: { ...hotDb().primary, region: 'mars-1' } } },
      /database\.primary\.region: must be an AWS Region code such as us-east-1 \(got "mars-1"\)/,
    ],
    ['a string', 'hello', /\(input\): expected object, received string \(got "hello"\)/],
  ])('%s: InvalidInputError naming the path and the bad value, body not run', async (_label, event, message) => {
    let ran = false;
    const h = defineHandler('plan-failback', CONTRACTS['plan-failback'], () => {
      ran = true;
      throw new Error('must not run');
    });
    const err = await catching(h(event));
    expect(err).toMatchObject({ name: 'InvalidInputError' });
    expect((err as Error).message).toMatch(message);
    expect(ran).toBe(false);
  });

  it('an output that breaks the contract is an InvalidOutputError naming the path and value', async () => {
    const h = defineHandler('switch-dns', CONTRACTS['switch-dns'], () => ({ changeId: 7, previous: null, current: 'x' }) as never);
    const err = await catching(h({ database: hotDb(), target: 'new.example.com', epoch: 1, incidentId: 'inc-1' }));
    expect(err).toMatchObject({ name: 'InvalidOutputError' });
    expect((err as Error).message).toMatch(/switch-dns: invalid output: changeId: expected string, received number \(got 7\)/);
  });

  it('applies the input and output defaults of the contract', async () => {
    const h = defineHandler('fence-primary', CONTRACTS['fence-primary'], (input) => {
      expect(input.site).toBe('primary');
      return { confirmed: true, actions: [], revoked: [], instanceStatus: null };
    });
    await expect(h({ database: hotDb(), epoch: 1, incidentId: 'inc-1' })).resolves.toEqual({
      confirmed: true,
      deferred: false,
      cutPending: false,
      actions: [],
      revoked: [],
      isolated: [],
      instanceStatus: null,
    });
  });

  it('never shows a task token (or any key named like a secret) in the message', async () => {
    const h = defineHandler('request-approval', CONTRACTS['request-approval'], () => ({ approvalId: 'a', expiresAt: 'b' }));
    const err = await catching(
      h({ database: hotDb(), taskToken: 'x'.repeat(3000), incidentId: 'inc-1', step: 'failover', decision: 'promote', reasons: ['r'], timeoutSeconds: 60 }),
    );
    expect((err as Error).message).toMatch(/taskToken: must be at most 2048 character\(s\) long \(got \(not shown\)\)/);
    expect((err as Error).message).not.toContain('xxxx');
  });

  it("an action handler parses with the action's own contract", async () => {
    const h = defineActionHandler('request-approval', 'supersede', CONTRACTS['request-approval'].actions.supersede, (input) => ({
      superseded: [input.trigger],
    }));
    await expect(h({ database: hotDb(), action: 'supersede', trigger: 'an alarm' })).resolves.toEqual({ superseded: ['an alarm'] });
    await expect(h({ database: hotDb(), action: 'supersede' })).rejects.toThrow(/request-approval \(supersede\): invalid input: trigger: is required/);
  });
});

describe('describeIssues', () => {
  it('lists at most ten issues and says how many more', () => {
    const parsed = CONTRACTS['evaluate-verdict'].input.safeParse({ quorum: 1, rounds: [Array.from({ length: 12 }, () => ({}))] });
    expect(parsed.success).toBe(false);
    const text = describeIssues(parsed.error?.issues ?? [], {});
    expect(text.split('; ').length).toBe(11);
    expect(text).toMatch(/\.\.\. and \d+ more$/);
  });
});
