import { describe, expect, it } from 'vitest';
import { handler } from '../../../lambdas/evaluate-verdict/handler.js';

const obs = (vantage: string, status: string, round = 1) => ({
  vantage,
  region: 'us-east-1',
  round,
  status,
  wrote: false,
  tcp: status !== 'unknown',
  latencyMs: 3,
});

describe('evaluate-verdict handler', () => {
  it('parses the rounds and returns the verdict contract', async () => {
    const rounds = [1, 2].map((r) => [obs('a', 'down', r), obs('b', 'down', r), obs('c', 'unknown', r)]);
    await expect(handler({ quorum: 2, rounds })).resolves.toEqual({
      verdict: 'confirmed-down',
      reason:
        '2 of 3 vantage points saw the primary down in every one of 2 rounds (quorum 2); none reached it or wrote to it (1 vantage point could not tell).',
      perRound: [
        { round: 1, up: 0, down: 2, unknown: 1, wrote: 0 },
        { round: 2, up: 0, down: 2, unknown: 1, wrote: 0 },
      ],
    });
  });

  it.each([
    ['quorum 0', { quorum: 0, rounds: [] }],
    ['no quorum', { rounds: [] }],
    ['an observation with an unknown status', { quorum: 1, rounds: [[obs('a', 'sideways')]] }],
    ['an observation without its round', { quorum: 1, rounds: [[{ ...obs('a', 'down'), round: undefined }]] }],
    ['rounds that are not arrays', { quorum: 1, rounds: [obs('a', 'down')] }],
  ])('%s: InvalidInputError', async (_label, event) => {
    await expect(handler(event)).rejects.toMatchObject({ name: 'InvalidInputError' });
  });
});
