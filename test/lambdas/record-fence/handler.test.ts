import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RecordOriginalsFirst, type FenceRecord } from '../../../lambdas/shared/fence-record.js';
import { awsError, regionsOf } from '../shared/failover-steps-fixture.js';

process.env.TABLE_NAME = 'failover-state';
process.env.AWS_REGION = 'us-west-2';
const { handler } = await import('../../../lambdas/record-fence/handler.js');

const ddb = mockClient(DynamoDBClient);
const KEY = { pk: { S: 'FENCE#inc-7' }, sk: { S: 'FENCE' } };
const SG1 = 'sg-0a1b2c3d4e5f60718';
const RULE_APP = { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: 'sg-0ccc0ccc0ccc0ccc0' }] };
const RULE_VPN = { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.8.0.0/16', Description: 'vpn' }] };
const ISOLATED = { region: 'us-east-1', instanceId: 'orders-primary', vpcId: 'vpc-1', isolationGroupId: 'sg-iso', originalGroupIds: ['sg-app'] };

/** The Catch output of a RecordOriginalsFirst as AWS gives it: the function's error payload as JSON text. */
const caught = (unsaved: FenceRecord) => {
  const err = new RecordOriginalsFirst(unsaved);
  return { Error: 'RecordOriginalsFirst' as const, Cause: JSON.stringify({ errorType: err.name, errorMessage: err.message, trace: ['at fence'] }) };
};
const event = (unsaved: FenceRecord | { Error: 'RecordOriginalsFirst'; Cause: string }) => ({
  database: 'orders',
  incidentId: 'inc-7',
  epoch: 3,
  unsaved: 'Cause' in unsaved ? unsaved : caught(unsaved),
});
const written = () => ddb.commandCalls(UpdateItemCommand).map((c) => ({ ...c.args[0].input, values: unmarshall(c.args[0].input.ExpressionAttributeValues!) }));

beforeEach(() => {
  ddb.reset();
  ddb.on(GetItemCommand).resolves({});
  ddb.on(UpdateItemCommand).resolves({});
});

describe('record-fence handler', () => {
  it('a first record: written whole, version 1, only if no version is there; returns the record', async () => {
    const out = await handler(event({ revoked: [{ groupId: SG1, permissions: [RULE_APP, RULE_VPN] }], isolated: [] }));
    expect(out).toEqual({ revoked: [{ groupId: SG1, permissions: [RULE_APP, RULE_VPN] }], isolated: [] });
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { TableName: 'failover-state', Key: KEY, ConsistentRead: true });
    const [w] = written();
    expect(w).toMatchObject({ TableName: 'failover-state', Key: KEY, ConditionExpression: 'attribute_not_exists(#version)' });
    expect(w!.values).toMatchObject({ ':revoked': out.revoked, ':isolated': [], ':database': 'orders', ':epoch': 3, ':next': 1 });
    expect(await regionsOf(ddb, UpdateItemCommand)).toEqual(['us-west-2']);
  });

  it('merges into what is kept: new rules added, an instance kept with its FIRST originals, the version checked', async () => {
    ddb.on(GetItemCommand).resolves({
      Item: marshall({ pk: 'FENCE#inc-7', sk: 'FENCE', version: 4, revoked: [{ groupId: SG1, permissions: [RULE_APP] }], isolated: [ISOLATED] }),
    });
    // A re-run saw the instance already in the isolation group: it would record no original group.
    const rerun = { ...ISOLATED, originalGroupIds: [] };
    const out = await handler(event({ revoked: [{ groupId: SG1, permissions: [RULE_VPN, RULE_APP] }], isolated: [rerun] }));
    expect(out).toEqual({ revoked: [{ groupId: SG1, permissions: [RULE_APP, RULE_VPN] }], isolated: [ISOLATED] });
    expect(written()[0]).toMatchObject({ ConditionExpression: '#version = :version', values: { ':version': 4, ':next': 5 } });
  });

  it('nothing new: nothing written, the record returned as it is', async () => {
    ddb.on(GetItemCommand).resolves({ Item: marshall({ pk: 'FENCE#inc-7', sk: 'FENCE', version: 2, revoked: [], isolated: [ISOLATED] }) });
    const out = await handler(event({ revoked: [], isolated: [ISOLATED] }));
    expect(out).toEqual({ revoked: [], isolated: [ISOLATED] });
    expect(ddb).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it('another writer came first: read and merged again, nothing of either lost', async () => {
    ddb
      .on(GetItemCommand)
      .resolvesOnce({})
      .resolves({ Item: marshall({ pk: 'FENCE#inc-7', sk: 'FENCE', version: 1, revoked: [{ groupId: SG1, permissions: [RULE_APP] }], isolated: [] }) });
    ddb
      .on(UpdateItemCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }))
      .resolves({});
    const out = await handler(event({ revoked: [{ groupId: SG1, permissions: [RULE_VPN] }], isolated: [] }));
    expect(out.revoked).toEqual([{ groupId: SG1, permissions: [RULE_APP, RULE_VPN] }]);
    expect(written().map((w) => w.values[':next'])).toEqual([1, 2]);
  });

  it('the message alone as the cause (not wrapped in the error payload) is read too', async () => {
    const err = new RecordOriginalsFirst({ revoked: [], isolated: [ISOLATED] });
    const out = await handler(event({ Error: 'RecordOriginalsFirst', Cause: err.message }));
    expect(out.isolated).toEqual([ISOLATED]);
  });

  it.each([
    ['not JSON', 'the fence failed'],
    ['JSON, not a record', JSON.stringify({ errorType: 'RecordOriginalsFirst', errorMessage: JSON.stringify({ revoked: 'all' }), trace: [] })],
    ['a payload whose message is not JSON', JSON.stringify({ errorType: 'RecordOriginalsFirst', errorMessage: 'nope', trace: [] })],
  ])('a cause that carries no fence record (%s): InvalidInputError, nothing read or written', async (_, Cause) => {
    await expect(handler(event({ Error: 'RecordOriginalsFirst', Cause }))).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(ddb).not.toHaveReceivedAnyCommand();
  });

  it('another error than RecordOriginalsFirst is refused by the contract', async () => {
    await expect(handler({ ...event({ revoked: [], isolated: [] }), unsaved: { Error: 'States.ALL', Cause: '{}' } })).rejects.toMatchObject({
      name: 'InvalidInputError',
    });
    expect(ddb).not.toHaveReceivedAnyCommand();
  });

  it('throttling of the table is thrown as TransientAwsError (retried by the workflow)', async () => {
    ddb.on(GetItemCommand).rejects(awsError('ProvisionedThroughputExceededException', 'slow down'));
    await expect(handler(event({ revoked: [], isolated: [ISOLATED] }))).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});
