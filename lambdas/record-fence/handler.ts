/**
 * record-fence: keeps in the fence record `FENCE#<incidentId>` what fence-primary is about to
 * change (the ingress rules it will revoke, an instance's original VPC security groups), BEFORE it
 * changes it. fence-primary throws RecordOriginalsFirst with them, having changed nothing; the
 * workflow catches that and invokes this function with the error, then the fence again with the
 * record this returns. Merged into what is there, never overwriting an original already kept (a
 * re-run that sees the isolation group, or fewer rules, never loses the first originals); written
 * with optimistic locking (a `version` attribute), read again and merged again when another
 * writer came first.
 *
 * Env: TABLE_NAME, AWS_REGION (control Region, for the table).
 */
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { awsErrorName, toFailoverError } from '../shared/aws-errors.js';
import { ownRegion, regional } from '../shared/clients.js';
import { recordFenceInput, recordFenceOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { InvalidInputError, TransientAwsError } from '../shared/errors.js';
import { mergeFenceRecord, recordOfItem, type FenceRecord } from '../shared/fence-record.js';
import { logger } from '../shared/logger.js';
import { fenceRecordKey } from '../shared/names.js';
import { unsavedOf, versionOfItem } from './core.js';

const TABLE_NAME = process.env.TABLE_NAME ?? '';
const REGION = ownRegion();
/** Read-merge-write rounds when another writer changed the record meanwhile. */
const ROUNDS = 3;

const isConditionFailure = (err: unknown): boolean => err instanceof ConditionalCheckFailedException || awsErrorName(err) === 'ConditionalCheckFailedException';

export const handler = defineHandler('record-fence', { input: recordFenceInput, output: recordFenceOutput }, async (input) => {
  const unsaved = unsavedOf(input.unsaved.Cause);
  const parsed = unsaved.ok ? recordFenceOutput.safeParse(unsaved.value) : undefined;
  if (!parsed?.success) {
    const problem = unsaved.ok ? 'the cause is not a fence record (revoked, isolated)' : unsaved.problem;
    logger.error('nothing to record: the fence error carries no fence record; nothing was written', { incidentId: input.incidentId, problem });
    throw new InvalidInputError(`record-fence: invalid input: ${problem}`, { function: 'record-fence' });
  }
  const ddb = regional(DynamoDBClient, REGION);
  for (let round = 1; round <= ROUNDS; round++) {
    const item = await readItem(ddb, input.incidentId);
    const { record, changed } = mergeFenceRecord(recordOfItem(item), parsed.data);
    if (!changed) {
      logger.info('fence originals already recorded', { database: input.database, incidentId: input.incidentId });
      return record;
    }
    if (await writeRecord(ddb, input, record, versionOfItem(item))) {
      logger.info('fence originals recorded', {
        database: input.database,
        incidentId: input.incidentId,
        epoch: input.epoch,
        revokedGroups: parsed.data.revoked.map((r) => r.groupId),
        isolatedInstances: parsed.data.isolated.map((i) => i.instanceId),
      });
      return record;
    }
  }
  throw new TransientAwsError(`the fence record of ${input.incidentId} kept changing under ${ROUNDS} writes`, { incidentId: input.incidentId });
});

async function readItem(ddb: DynamoDBClient, incidentId: string): Promise<Record<string, unknown> | undefined> {
  try {
    const out = await ddb.send(new GetItemCommand({ TableName: TABLE_NAME, Key: marshall(fenceRecordKey(incidentId)), ConsistentRead: true }));
    return out.Item ? unmarshall(out.Item) : undefined;
  } catch (err) {
    throw toFailoverError(err, 'DynamoDB GetItem (fence record)');
  }
}

/** Writes the merged record if nobody wrote it since it was read (`version`): false when somebody did. */
async function writeRecord(
  ddb: DynamoDBClient,
  input: { database: string; incidentId: string; epoch: number },
  record: FenceRecord,
  version: number | undefined,
): Promise<boolean> {
  const now = new Date().toISOString();
  try {
    await ddb.send(
      new UpdateItemCommand({
        TableName: TABLE_NAME,
        Key: marshall(fenceRecordKey(input.incidentId)),
        UpdateExpression:
          'SET revoked = :revoked, isolated = :isolated, #database = :database, epoch = :epoch, updatedAt = :now, createdAt = if_not_exists(createdAt, :now), #version = :next',
        ConditionExpression: version === undefined ? 'attribute_not_exists(#version)' : '#version = :version',
        ExpressionAttributeNames: { '#database': 'database', '#version': 'version' },
        ExpressionAttributeValues: marshall(
          {
            ':revoked': record.revoked,
            ':isolated': record.isolated,
            ':database': input.database,
            ':epoch': input.epoch,
            ':now': now,
            ':next': (version ?? 0) + 1,
            ...(version === undefined ? {} : { ':version': version }),
          },
          { removeUndefinedValues: true, convertClassInstanceToMap: true },
        ),
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw toFailoverError(err, 'DynamoDB UpdateItem (fence record)');
  }
}
