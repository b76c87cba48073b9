/**
 * The handler over a fake FIS client (the project has no @aws-sdk/client-fis to mock yet: see
 * lambdas/start-fault-experiment/handler.ts); the calls and their inputs are recorded as
 * aws-sdk-client-mock would.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler, type FisApi } from '../../../lambdas/start-fault-experiment/handler.js';

process.env.AWS_REGION = 'us-west-2';

type Call = { op: 'list' | 'start'; region: string; input: unknown };
let calls: Call[];
let pages: Array<{ experimentTemplates: { id: string; tags: Record<string, string> }[]; nextToken?: string }>;
let startError: Error | undefined;
const started = new Map<string, string>();

const fake = (region: string): FisApi => ({
  listExperimentTemplates: async (input) => {
    calls.push({ op: 'list', region, input });
    return pages[input.nextToken ? Number(input.nextToken) : 0]!;
  },
  startExperiment: async (input) => {
    calls.push({ op: 'start', region, input });
    if (startError) throw startError;
    const id = started.get(input.clientToken) ?? `EXP${started.size + 1}`;
    started.set(input.clientToken, id);
    return { experiment: { id, experimentTemplateId: input.experimentTemplateId, state: { status: 'initiating' } } };
  },
});
const handler = createHandler(fake);
const event = { database: 'orders-drill', region: 'us-east-1', fault: 'reboot-with-failover', incidentId: 'orders-drill#3', prefix: 'failover' };
const tags = (fault: string) => ({ 'failover:database': 'orders-drill', 'failover:fault': fault, 'failover:prefix': 'failover' });

beforeEach(() => {
  calls = [];
  startError = undefined;
  started.clear();
  pages = [
    { experimentTemplates: [{ id: 'EXTdisrupt', tags: tags('disrupt-connectivity') }], nextToken: '1' },
    { experimentTemplates: [{ id: 'EXTreboot', tags: tags('reboot-with-failover') }] },
  ];
});

describe('start-fault-experiment handler', () => {
  it('reads every page in the drill pair Region, starts the tagged template with the incident token and tags', async () => {
    await expect(handler(event)).resolves.toEqual({ experimentId: 'EXP1', templateId: 'EXTreboot', state: 'initiating' });
    expect(calls).toEqual([
      { op: 'list', region: 'us-east-1', input: { maxResults: 100 } },
      { op: 'list', region: 'us-east-1', input: { maxResults: 100, nextToken: '1' } },
      { op: 'start', region: 'us-east-1', input: { experimentTemplateId: 'EXTreboot', clientToken: 'orders-drill#3.reboot-with-failover', tags: { ...tags('reboot-with-failover'), 'failover:incident': 'orders-drill#3' } } },
    ]);
  });

  it('a retry of the same incident answers the same experiment (same client token)', async () => {
    const first = await handler(event);
    const again = await handler(event);
    expect(again.experimentId).toBe(first.experimentId);
    const tokens = calls.filter((c) => c.op === 'start').map((c) => (c.input as { clientToken: string }).clientToken);
    expect(new Set(tokens).size).toBe(1);
  });

  it('NoExperimentTemplate when no template is tagged for the fault, and nothing is started', async () => {
    await expect(handler({ ...event, fault: 'failover-db-cluster' })).rejects.toMatchObject({ name: 'NoExperimentTemplate' });
    expect(calls.some((c) => c.op === 'start')).toBe(false);
  });

  it('bad input is InvalidInputError (no call)', async () => {
    await expect(handler({ ...event, fault: 'everything' })).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(calls).toEqual([]);
  });

  it('AWS failures: throttling is transient, access denied terminal', async () => {
    startError = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });
    await expect(handler(event)).rejects.toMatchObject({ name: 'TransientAwsError', message: expect.stringMatching(/fis:StartExperiment failed: ThrottlingException/) });
    startError = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    await expect(handler(event)).rejects.toMatchObject({ name: 'AwsCallFailedError' });
  });
});
