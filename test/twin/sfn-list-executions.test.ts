/** The twin's Step Functions ListExecutions (docs/aws-behaviour.md §6): newest first, by status, paged. */
import { ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from 'vitest';
import { useSdkTwin } from '../helpers/sdk-twin.js';
import type { World } from '../../twin/world.js';
import { exampleWorld } from './helpers.js';

const twin = useSdkTwin(exampleWorld);
let w: World;
beforeEach(() => (w = twin.world));

describe('ListExecutions', () => {
  it('lists one state machine newest first, filters by status and pages with nextToken', async () => {
    const sm = w.sfn.stateMachineArn('us-west-2', 'failover');
    const other = w.sfn.stateMachineArn('us-west-2', 'failback');
    w.sfn.registerStateMachine(sm, () => undefined);
    w.sfn.registerStateMachine(other, () => undefined);
    const sfn = new SFNClient({ region: 'us-west-2' });
    const arns: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      arns.push((await sfn.send(new StartExecutionCommand({ stateMachineArn: sm, name, input: '{}' }))).executionArn!);
      await w.clock.advanceBy(1000);
    }
    await sfn.send(new StartExecutionCommand({ stateMachineArn: other, name: 'x', input: '{}' }));
    w.sfn.setExecutionStatus(arns[0]!, 'SUCCEEDED');

    const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn: sm }));
    expect(all.executions?.map((e) => [e.name, e.status])).toEqual([
      ['c', 'RUNNING'],
      ['b', 'RUNNING'],
      ['a', 'SUCCEEDED'],
    ]);
    expect(all.nextToken).toBeUndefined();

    const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn: sm, statusFilter: 'RUNNING' }));
    expect(running.executions?.map((e) => e.name)).toEqual(['c', 'b']);

    const first = await sfn.send(new ListExecutionsCommand({ stateMachineArn: sm, maxResults: 2 }));
    expect(first.executions?.map((e) => e.name)).toEqual(['c', 'b']);
    const second = await sfn.send(new ListExecutionsCommand({ stateMachineArn: sm, maxResults: 2, nextToken: first.nextToken }));
    expect(second.executions?.map((e) => e.name)).toEqual(['a']);
    expect(second.nextToken).toBeUndefined();
  });

  it("refuses a state machine that does not exist (or another Region's)", async () => {
    const sm = w.sfn.stateMachineArn('us-west-2', 'failover');
    w.sfn.registerStateMachine(sm, () => undefined);
    await expect(
      new SFNClient({ region: 'us-west-2' }).send(new ListExecutionsCommand({ stateMachineArn: w.sfn.stateMachineArn('us-west-2', 'nope') })),
    ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(new SFNClient({ region: 'us-east-1' }).send(new ListExecutionsCommand({ stateMachineArn: sm }))).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });
  });
});
