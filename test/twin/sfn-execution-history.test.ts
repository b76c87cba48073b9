/**
 * The twin's Step Functions GetExecutionHistory (docs/aws-behaviour.md §6, "Execution history"):
 * ids and previousEventId, oldest first or `reverseOrder`, pages of `maxResults` (≤ 1000) with a
 * `nextToken` bound to the same arguments, `includeExecutionData: false`, the start/redrive/end
 * events, the errors and the authorization (states:GetExecutionHistory on the execution ARN).
 */
import { GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from 'vitest';
import { useSdkTwin } from '../helpers/sdk-twin.js';
import { twinContext } from '../../twin/context.js';
import type { World } from '../../twin/world.js';
import { exampleWorld } from './helpers.js';

const twin = useSdkTwin(exampleWorld);
let w: World;
beforeEach(() => (w = twin.world));

async function started(): Promise<{ sfn: SFNClient; arn: string }> {
  const sm = w.sfn.stateMachineArn('us-west-2', 'failover');
  w.sfn.registerStateMachine(sm, () => undefined, 'arn:aws:iam::123456789012:role/failover-sm');
  w.sfn.registerRedriver(sm, () => undefined);
  const sfn = new SFNClient({ region: 'us-west-2' });
  const arn = (await sfn.send(new StartExecutionCommand({ stateMachineArn: sm, name: 'run-1', input: '{"database":{"name":"orders"}}' }))).executionArn!;
  return { sfn, arn };
}

describe('GetExecutionHistory', () => {
  it('numbers the events from 1, each naming the one before, oldest first; start and end written by the service', async () => {
    const { sfn, arn } = await started();
    await w.clock.advanceBy(1000);
    w.sfn.appendHistory(arn, 'TaskStateEntered', { name: 'Accept the trigger', input: '{}', inputDetails: { truncated: false } });
    w.sfn.appendHistory(arn, 'LambdaFunctionScheduled', {
      resource: 'arn:aws:lambda:us-west-2:123456789012:function:f',
      input: '{}',
      inputDetails: { truncated: false },
    });
    w.sfn.setExecutionStatus(arn, 'FAILED', { error: 'States.TaskFailed', cause: 'boom' });
    const out = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn }));
    expect(out.events?.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
      [1, 0, 'ExecutionStarted'],
      [2, 1, 'TaskStateEntered'],
      [3, 2, 'LambdaFunctionScheduled'],
      [4, 3, 'ExecutionFailed'],
    ]);
    expect(out.events?.[0]?.executionStartedEventDetails).toEqual({
      input: '{"database":{"name":"orders"}}',
      inputDetails: { truncated: false },
      roleArn: 'arn:aws:iam::123456789012:role/failover-sm',
    });
    expect(out.events?.[1]?.stateEnteredEventDetails?.name).toBe('Accept the trigger');
    expect(out.events?.[3]?.executionFailedEventDetails).toEqual({ error: 'States.TaskFailed', cause: 'boom' });
    expect(out.events?.[0]?.timestamp).toEqual(new Date(w.startMs));
    expect(out.events?.[1]?.timestamp).toEqual(new Date(w.startMs + 1000));
    expect(out.nextToken).toBeUndefined();
  });

  it('pages with maxResults and a nextToken valid only with the same arguments; reverseOrder gives the newest first', async () => {
    const { sfn, arn } = await started();
    for (let i = 0; i < 4; i++) w.sfn.appendHistory(arn, 'PassStateEntered', { name: `s${i}`, input: '{}', inputDetails: { truncated: false } });
    const first = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 2 }));
    expect(first.events?.map((e) => e.id)).toEqual([1, 2]);
    const second = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 2, nextToken: first.nextToken }));
    expect(second.events?.map((e) => e.id)).toEqual([3, 4]);
    const third = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 2, nextToken: second.nextToken }));
    expect(third.events?.map((e) => e.id)).toEqual([5]);
    expect(third.nextToken).toBeUndefined();
    await expect(
      sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 2, reverseOrder: true, nextToken: first.nextToken })),
    ).rejects.toMatchObject({ name: 'InvalidToken' });
    const reversed = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, reverseOrder: true }));
    expect(reversed.events?.map((e) => e.id)).toEqual([5, 4, 3, 2, 1]);
    await expect(sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1001 }))).rejects.toMatchObject({ name: 'ValidationException' });
    const zero = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 0 }));
    expect(zero.events).toHaveLength(5);
  });

  it('includeExecutionData: false leaves out inputs, outputs and task parameters', async () => {
    const { sfn, arn } = await started();
    w.sfn.appendHistory(arn, 'TaskScheduled', {
      resourceType: 'aws-sdk:rds',
      resource: 'describeDBInstances',
      region: 'us-east-1',
      parameters: '{"DbInstanceIdentifier":"x"}',
    });
    const out = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, includeExecutionData: false }));
    expect(out.events?.[0]?.executionStartedEventDetails).toEqual({ roleArn: 'arn:aws:iam::123456789012:role/failover-sm' });
    expect(out.events?.[1]?.taskScheduledEventDetails).toEqual({ resourceType: 'aws-sdk:rds', resource: 'describeDBInstances', region: 'us-east-1' });
  });

  it('writes ExecutionRedriven, then the new end', async () => {
    const { sfn, arn } = await started();
    w.sfn.setExecutionStatus(arn, 'ABORTED');
    // The SDK twin does not route RedriveExecution (the product never calls it): through the world.
    await w.call('sfn', 'RedriveExecution', { executionArn: arn }, { region: 'us-west-2' });
    w.sfn.setExecutionStatus(arn, 'SUCCEEDED', { output: { ok: true } });
    const out = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn }));
    expect(out.events?.map((e) => e.type)).toEqual(['ExecutionStarted', 'ExecutionAborted', 'ExecutionRedriven', 'ExecutionSucceeded']);
    expect(out.events?.[2]?.executionRedrivenEventDetails).toEqual({ redriveCount: 1 });
    expect(out.events?.[3]?.executionSucceededEventDetails).toEqual({ output: '{"ok":true}', outputDetails: { truncated: false } });
  });

  it('refuses an unknown execution, a malformed ARN, and a caller without states:GetExecutionHistory on that execution', async () => {
    const { sfn, arn } = await started();
    await expect(sfn.send(new GetExecutionHistoryCommand({ executionArn: `${arn}-nope` }))).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    await expect(
      sfn.send(new GetExecutionHistoryCommand({ executionArn: 'arn:aws:states:us-west-2:123456789012:stateMachine:failover' })),
    ).rejects.toMatchObject({ name: 'InvalidArn' });
    w.iam.putRole('reader', [
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'states:GetExecutionHistory', Resource: `${arn.replace(/:run-1$/, '')}:other` }] },
    ]);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const denied: any = await twinContext
      .run({ principal: w.iam.assumeRole('reader') }, () => sfn.send(new GetExecutionHistoryCommand({ executionArn: arn })))
      .catch((e) => e);
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toContain(`states:GetExecutionHistory on resource: ${arn}`);
    w.iam.putRole('reader2', [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'states:GetExecutionHistory', Resource: arn }] }]);
    const allowed = await twinContext.run({ principal: w.iam.assumeRole('reader2') }, () => sfn.send(new GetExecutionHistoryCommand({ executionArn: arn })));
    expect(allowed.events?.[0]?.type).toBe('ExecutionStarted');
  });
});
