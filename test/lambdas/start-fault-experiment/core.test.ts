import { describe, expect, it } from 'vitest';
import {
  AmbiguousExperimentTemplate,
  CLIENT_TOKEN_MAX,
  clientTokenFor,
  matchTemplate,
  NoExperimentTemplate,
  startFaultExperimentInput,
  type StartFaultExperimentInput,
} from '../../../lambdas/start-fault-experiment/core.js';

const input: StartFaultExperimentInput = {
  database: 'orders-drill',
  region: 'us-east-1',
  fault: 'disrupt-connectivity',
  incidentId: 'orders-drill#7',
  prefix: 'failover',
};
const tags = (database: string, fault: string, prefix = 'failover') => ({ 'failover:database': database, 'failover:fault': fault, 'failover:prefix': prefix });

describe('matchTemplate', () => {
  const cases: Array<
    [string, Array<{ id?: string; tags?: Record<string, string> }>, string | typeof NoExperimentTemplate | typeof AmbiguousExperimentTemplate]
  > = [
    [
      'the one template tagged for the pair, fault and prefix',
      [
        { id: 'EXTa', tags: tags('orders-drill', 'reboot-with-failover') },
        { id: 'EXTb', tags: tags('orders-drill', 'disrupt-connectivity') },
      ],
      'EXTb',
    ],
    ['none: another drill pair', [{ id: 'EXTa', tags: tags('payments-drill', 'disrupt-connectivity') }], NoExperimentTemplate],
    [
      'none: another prefix (another deployment in the account)',
      [{ id: 'EXTa', tags: tags('orders-drill', 'disrupt-connectivity', 'staging') }],
      NoExperimentTemplate,
    ],
    ['none: an untagged template', [{ id: 'EXTa' }], NoExperimentTemplate],
    ['none: no template at all', [], NoExperimentTemplate],
    [
      'two with the same tags: refused, never guessed',
      [
        { id: 'EXTa', tags: tags('orders-drill', 'disrupt-connectivity') },
        { id: 'EXTb', tags: tags('orders-drill', 'disrupt-connectivity') },
      ],
      AmbiguousExperimentTemplate,
    ],
  ];
  it.each(cases)('%s', (_, templates, expected) => {
    if (typeof expected === 'string') expect(matchTemplate(templates, input)).toBe(expected);
    else expect(() => matchTemplate(templates, input)).toThrow(expected);
  });

  it('names the error as Retry/Catch match it', () => {
    expect(() => matchTemplate([], input)).toThrow(
      expect.objectContaining({
        name: 'NoExperimentTemplate',
        message: expect.stringMatching(/disrupt-connectivity of orders-drill \(prefix failover\) in us-east-1/),
      }),
    );
  });
});

describe('clientTokenFor', () => {
  it.each([
    ['orders-drill#7', 'disrupt-connectivity', 'orders-drill#7.disrupt-connectivity'],
    ['has space', 'reboot-with-failover', 'has_space.reboot-with-failover'],
  ])('%s + %s -> %s', (incident, fault, token) => expect(clientTokenFor(incident, fault)).toBe(token));

  it('is stable per incident and fault, different across them, and within FIS limits for long ids', () => {
    const long = `arn:aws:states:us-west-2:123456789012:execution:failover-failover:${'x'.repeat(80)}`;
    const token = clientTokenFor(long, 'disrupt-connectivity');
    expect(token).toBe(clientTokenFor(long, 'disrupt-connectivity'));
    expect(token).not.toBe(clientTokenFor(`${long}y`, 'disrupt-connectivity'));
    expect(token).not.toBe(clientTokenFor(long, 'reboot-with-failover'));
    expect(token.length).toBeLessThanOrEqual(CLIENT_TOKEN_MAX);
    expect(token).toMatch(/^\S+$/);
  });
});

describe('startFaultExperimentInput', () => {
  it.each([
    [{ ...input, fault: 'region-outage' }, 'fault'],
    [{ ...input, region: 'US East' }, 'region'],
    [{ ...input, incidentId: '' }, 'incidentId'],
  ])('refuses %j (%s)', (bad, path) => {
    const r = startFaultExperimentInput.safeParse(bad);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual([path]);
  });
});
