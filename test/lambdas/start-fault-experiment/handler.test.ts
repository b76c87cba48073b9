/** The handler over the real FIS client, mocked with aws-sdk-client-mock. */
import 'aws-sdk-client-mock-vitest/extend';
import {
  FisClient,
  FisServiceException,
  ListExperimentsCommand,
  ListExperimentTemplatesCommand,
  StartExperimentCommand,
  StopExperimentCommand,
} from '@aws-sdk/client-fis';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';

process.env.AWS_REGION = 'us-west-2';
const { handler } = await import('../../../lambdas/start-fault-experiment/handler.js');

// @aws-sdk/client-fis 3.523.0 (the newest the registry offers) is typed against an older
// @smithy/types than aws-sdk-client-mock: the same classes, typed loosely for the mock.
/* eslint-disable @typescript-eslint/no-explicit-any */
const List = ListExperimentTemplatesCommand as any;
const Start = StartExperimentCommand as any;
const ListRuns = ListExperimentsCommand as any;
const Stop = StopExperimentCommand as any;
const fis: any = mockClient(FisClient as any);
const event = { database: 'orders-drill', region: 'us-east-1', fault: 'reboot-with-failover', incidentId: 'orders-drill#3', prefix: 'failover' };
const tags = (fault: string) => ({ 'failover:database': 'orders-drill', 'failover:fault': fault, 'failover:prefix': 'failover' });
const started = new Map<string, string>();
const regions: string[] = [];

beforeEach(() => {
  fis.reset();
  started.clear();
  regions.length = 0;
  fis.on(List).callsFake(async (input: { nextToken?: string }, getClient: () => FisClient) => {
    regions.push(await getClient().config.region());
    return input.nextToken === '1'
      ? { experimentTemplates: [{ id: 'EXTreboot', tags: tags('reboot-with-failover') }] }
      : { experimentTemplates: [{ id: 'EXTdisrupt', tags: tags('disrupt-connectivity') }], nextToken: '1' };
  });
  fis.on(Start).callsFake(async (input: { clientToken: string; experimentTemplateId: string }) => {
    const id = started.get(input.clientToken) ?? `EXP${started.size + 1}`;
    started.set(input.clientToken, id);
    return {
      experiment: { id, experimentTemplateId: input.experimentTemplateId, state: { status: 'initiating' }, startTime: new Date('2026-03-01T00:05:01Z') },
    };
  });
});

describe('start-fault-experiment handler', () => {
  it('reads every page in the drill pair Region, starts the tagged template with the incident token and tags', async () => {
    await expect(handler(event)).resolves.toEqual({
      experimentId: 'EXP1',
      templateId: 'EXTreboot',
      state: 'initiating',
      startedAt: '2026-03-01T00:05:01.000Z',
      region: 'us-east-1',
    });
    expect(fis).toHaveReceivedCommandTimes(List, 2);
    expect(fis).toHaveReceivedNthCommandWith(List, 1, { maxResults: 100 });
    expect(fis).toHaveReceivedNthCommandWith(List, 2, { maxResults: 100, nextToken: '1' });
    expect(fis).toHaveReceivedCommandExactlyOnceWith(Start, {
      experimentTemplateId: 'EXTreboot',
      clientToken: 'orders-drill#3.reboot-with-failover',
      tags: { ...tags('reboot-with-failover'), 'failover:incident': 'orders-drill#3' },
    });
    expect(regions).toEqual(['us-east-1', 'us-east-1']);
  });

  it('a retry of the same incident answers the same experiment (same client token)', async () => {
    const first = await handler(event);
    const again = await handler(event);
    expect('experimentId' in again && again.experimentId).toBe('experimentId' in first && first.experimentId);
    const tokens = fis.commandCalls(Start).map((c: { args: [{ input: unknown }] }) => (c.args[0].input as { clientToken: string }).clientToken);
    expect(tokens).toHaveLength(2);
    expect(new Set(tokens).size).toBe(1);
  });

  it('NoExperimentTemplate when no template is tagged for the fault, and nothing is started', async () => {
    await expect(handler({ ...event, fault: 'failover-db-cluster' })).rejects.toMatchObject({ name: 'NoExperimentTemplate' });
    expect(fis).not.toHaveReceivedCommand(Start);
  });

  it('AmbiguousExperimentTemplate when two templates carry the same tags, and nothing is started', async () => {
    fis.on(List).resolves({
      experimentTemplates: [
        { id: 'EXTa', tags: tags('reboot-with-failover') },
        { id: 'EXTb', tags: tags('reboot-with-failover') },
      ],
    });
    await expect(handler(event)).rejects.toMatchObject({ name: 'AmbiguousExperimentTemplate' });
    expect(fis).not.toHaveReceivedCommand(Start);
  });

  it('bad input is InvalidInputError (no call)', async () => {
    await expect(handler({ ...event, fault: 'everything' })).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(fis.calls()).toHaveLength(0);
  });

  it('AWS failures: throttling is transient, access denied terminal', async () => {
    const error = (name: string, status: number) =>
      new FisServiceException({ name, $fault: status >= 500 || status === 429 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name });
    fis.on(Start).rejects(error('ThrottlingException', 429));
    await expect(handler(event)).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringMatching(/fis:StartExperiment failed: ThrottlingException/),
    });
    fis.on(Start).rejects(error('AccessDeniedException', 403));
    await expect(handler(event)).rejects.toMatchObject({ name: 'AwsCallFailedError' });
    fis.on(List).rejects(error('InternalServerException', 500));
    await expect(handler(event)).rejects.toMatchObject({ name: 'TransientAwsError', message: expect.stringMatching(/fis:ListExperimentTemplates/) });
  });

  describe("action 'stop': a real run stops its drill pair's experiments still running", () => {
    const stop = { action: 'stop', database: 'orders-drill', region: 'us-east-1', incidentId: 'orders-drill#9', prefix: 'failover' };
    const experiment = (id: string, templateId: string, status: string, prefix: string | null = 'failover') => ({
      id,
      experimentTemplateId: templateId,
      state: { status },
      tags: prefix === null ? {} : { 'failover:prefix': prefix, 'failover:database': 'orders-drill' },
    });
    beforeEach(() => {
      fis.on(List).resolves({
        experimentTemplates: [
          { id: 'EXTreboot', tags: tags('reboot-with-failover') },
          { id: 'EXTdisrupt', tags: tags('disrupt-connectivity') },
          // Another pair's template, and another deployment's (prefix) for the same pair: never touched.
          { id: 'EXTother', tags: { ...tags('disrupt-connectivity'), 'failover:database': 'billing-drill' } },
          { id: 'EXTforeign', tags: { ...tags('disrupt-connectivity'), 'failover:prefix': 'other' } },
        ],
      });
      fis.on(ListRuns).callsFake(async (input: { nextToken?: string }) =>
        input.nextToken === '2'
          ? {
              experiments: [
                experiment('EXPrun', 'EXTdisrupt', 'running'),
                experiment('EXPpending', 'EXTreboot', 'pending'),
                // Started by hand (no prefix tag): the grants cannot stop it; named, left.
                experiment('EXPhand', 'EXTdisrupt', 'running', null),
              ],
            }
          : {
              experiments: [
                experiment('EXPdone', 'EXTdisrupt', 'completed'),
                experiment('EXPstopped', 'EXTreboot', 'stopped'),
                experiment('EXPother', 'EXTother', 'running'),
                experiment('EXPforeign', 'EXTforeign', 'running'),
                experiment('EXPinit', 'EXTdisrupt', 'initiating'),
              ],
              nextToken: '2',
            },
      );
      fis.on(Stop).callsFake(async (input: { id: string }) => ({ experiment: { id: input.id, state: { status: 'stopping' } } }));
    });

    it("reads every page and stops only the pair's own experiments that still act, in the pair's Region", async () => {
      await expect(handler(stop)).resolves.toEqual({
        region: 'us-east-1',
        stopped: [
          { experimentId: 'EXPinit', templateId: 'EXTdisrupt', state: 'stopping' },
          { experimentId: 'EXPrun', templateId: 'EXTdisrupt', state: 'stopping' },
          { experimentId: 'EXPpending', templateId: 'EXTreboot', state: 'stopping' },
        ],
        left: [{ experimentId: 'EXPhand', templateId: 'EXTdisrupt' }],
      });
      expect(fis).toHaveReceivedCommandTimes(ListRuns, 2);
      expect(fis).toHaveReceivedNthCommandWith(ListRuns, 2, { maxResults: 100, nextToken: '2' });
      expect(fis.commandCalls(Stop).map((c: { args: [{ input: { id: string } }] }) => c.args[0].input.id)).toEqual(['EXPinit', 'EXPrun', 'EXPpending']);
      expect(fis).not.toHaveReceivedCommand(Start);
    });

    it('nothing running: an empty list; no template for the pair: not even a listing of experiments', async () => {
      fis.on(ListRuns).resolves({ experiments: [experiment('EXPdone', 'EXTdisrupt', 'completed')] });
      await expect(handler(stop)).resolves.toEqual({ region: 'us-east-1', stopped: [], left: [] });
      fis.on(List).resolves({ experimentTemplates: [] });
      fis.resetHistory();
      await expect(handler(stop)).resolves.toEqual({ region: 'us-east-1', stopped: [], left: [] });
      expect(fis).not.toHaveReceivedCommand(ListRuns);
      expect(fis).not.toHaveReceivedCommand(Stop);
    });

    it('an experiment gone meanwhile is skipped; other refusals are errors the workflow sees', async () => {
      const error = (name: string, status: number) => new FisServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
      fis.on(Stop, { id: 'EXPinit' }).rejects(error('ResourceNotFoundException', 404));
      const out = await handler(stop);
      expect('stopped' in out && out.stopped.map((x) => x.experimentId)).toEqual(['EXPrun', 'EXPpending']);
      fis.on(Stop, { id: 'EXPinit' }).rejects(error('AccessDeniedException', 403));
      await expect(handler(stop)).rejects.toMatchObject({ name: 'AwsCallFailedError', message: expect.stringMatching(/fis:StopExperiment/) });
    });

    it('a stop request never starts anything, even with a stray fault', async () => {
      await handler({ ...stop, fault: 'disrupt-connectivity' });
      expect(fis).not.toHaveReceivedCommand(Start);
      expect(fis).toHaveReceivedCommand(Stop);
    });
  });
});
