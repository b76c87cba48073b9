import { describe, expect, it } from 'vitest';
import { runLocal, namedError, type AslDefinition } from './local-sfn.js';

const def: AslDefinition = {
  StartAt: 'Rounds',
  States: {
    Rounds: {
      Type: 'Map',
      ItemsPath: '$.rounds',
      MaxConcurrency: 1,
      ItemSelector: { 'round.$': '$$.Map.Item.Value.round', 'wait.$': '$$.Map.Item.Value.wait' },
      ItemProcessor: {
        StartAt: 'Pause',
        States: {
          Pause: { Type: 'Wait', SecondsPath: '$.wait', Next: 'Probe' },
          Probe: { Type: 'Task', Resource: 'arn:aws:lambda:us-west-2:123456789012:function:p', End: true },
        },
      },
      ResultPath: '$.results',
      Next: 'Act',
    },
    Act: {
      Type: 'Task',
      Resource: 'arn:aws:lambda:us-west-2:123456789012:function:act',
      Retry: [{ ErrorEquals: ['TransientAwsError'], MaxAttempts: 2, IntervalSeconds: 5 }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Escalate' }],
      End: true,
    },
    Escalate: { Type: 'Fail', Error: 'Escalated' },
  },
};

describe('runLocal (the local interpreter harness)', () => {
  it('runs Map iterations with zeroed waits and routes tasks by state name', async () => {
    const seen: unknown[] = [];
    const r = await runLocal(
      def,
      {
        rounds: [
          { round: 1, wait: 0 },
          { round: 2, wait: 3600 },
        ],
      },
      {
        Probe: (i) => {
          seen.push(i.round);
          return { ok: true };
        },
        Act: () => 'done',
      },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(seen).toEqual([1, 2]);
    expect(r.output).toBe('done');
  });

  it('retries by error name, then catches into the escalate path', async () => {
    let calls = 0;
    const r = await runLocal(
      def,
      { rounds: [] },
      {
        Act: () => {
          calls++;
          throw namedError('TransientAwsError');
        },
      },
    );
    expect(calls).toBe(3);
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('Escalated');
    expect(r.entered).toContain('Escalate');
  });

  it('throws when a Task state has no handler, even though a Catch would route around it', async () => {
    await expect(runLocal(def, { rounds: [] }, {})).rejects.toThrow('no handler for Task state(s): Act');
  });
});
