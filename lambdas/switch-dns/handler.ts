/**
 * switch-dns: points the writer CNAME at the new writer's endpoint (UPSERT), unless it already
 * points there (then `changeId` is null: idempotent). Route 53 is a global service: the client
 * talks to us-east-1. Throttling and PriorRequestNotComplete (after the SDK's retries) are
 * TransientAwsError; a refused change, an unknown zone, bad input or access denied is
 * DnsSwitchFailedError.
 *
 * Env: none. Client: Route 53 (us-east-1).
 */
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { toFailoverError } from '../shared/aws-errors.js';
import { regional } from '../shared/clients.js';
import { switchDnsInput, switchDnsOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { DnsSwitchFailedError, TransientError, type FailoverError } from '../shared/errors.js';
import { logger } from '../shared/logger.js';
import { bareChangeId, changeComment, currentCname, sameName } from './core.js';

/** Route 53's API endpoint Region. */
export const ROUTE53_REGION = 'us-east-1';

/** Transient stays transient (retried); every other failure means the record cannot be switched. */
function toDnsError(err: unknown, operation: string): FailoverError {
  const e = toFailoverError(err, operation);
  return e instanceof TransientError ? e : new DnsSwitchFailedError(e.message, e.details, { cause: e.cause });
}

export const handler = defineHandler('switch-dns', { input: switchDnsInput, output: switchDnsOutput }, async (input) => {
  const { hostedZoneId, recordName, ttlSeconds } = input.database.dns;
  const target = input.target.replace(/\.$/, '');
  if (sameName(target, recordName)) throw new DnsSwitchFailedError(`refusing to point ${recordName} at itself`);
  const route53 = regional(Route53Client, ROUTE53_REGION);

  let previous: string | null;
  try {
    const listed = await route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: hostedZoneId, StartRecordName: recordName, StartRecordType: 'CNAME', MaxItems: 1 }),
    );
    previous = currentCname(listed.ResourceRecordSets ?? [], recordName);
  } catch (err) {
    throw toDnsError(err, `ListResourceRecordSets ${hostedZoneId}`);
  }
  if (previous !== null && sameName(previous, target)) {
    logger.info('record already points at the target', { database: input.database.name, recordName, target });
    return { changeId: null, previous, current: target };
  }

  let changeId: string;
  try {
    const out = await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: hostedZoneId,
        ChangeBatch: {
          Comment: changeComment(input.database.name, input.incidentId, input.epoch),
          Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: recordName, Type: 'CNAME', TTL: ttlSeconds, ResourceRecords: [{ Value: target }] } }],
        },
      }),
    );
    changeId = bareChangeId(out.ChangeInfo?.Id ?? '');
  } catch (err) {
    throw toDnsError(err, `ChangeResourceRecordSets ${recordName}`);
  }
  if (!changeId) throw new DnsSwitchFailedError(`ChangeResourceRecordSets ${recordName} returned no change id`);
  logger.info('record switched', { database: input.database.name, incidentId: input.incidentId, epoch: input.epoch, recordName, previous, target, changeId });
  return { changeId, previous, current: target };
});
