import 'aws-sdk-client-mock-vitest/extend';
import {
  ChangeResourceRecordSetsCommand,
  InvalidChangeBatch,
  InvalidInput,
  ListResourceRecordSetsCommand,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  Route53Client,
  Route53ServiceException,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { hotDb, regionsOf } from '../shared/failover-steps-fixture.js';

process.env.AWS_REGION = 'us-west-2';
const { handler } = await import('../../../lambdas/switch-dns/handler.js');

const r53 = mockClient(Route53Client);
const OLD = 'orders-primary.c9akciq32.us-east-1.rds.amazonaws.com';
const NEW = 'orders-replica.c9akciq32.us-west-2.rds.amazonaws.com';
const event = (over: Record<string, unknown> = {}) => ({ database: hotDb(), target: NEW, epoch: 4, incidentId: 'inc-7', ...over });
const listed = (value: string | null) =>
  r53.on(ListResourceRecordSetsCommand).resolves({
    ResourceRecordSets: value === null ? [] : [{ Name: 'writer.orders.internal.', Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: value }] }],
    IsTruncated: false,
    MaxItems: 1,
  });

beforeEach(() => {
  r53.reset();
  listed(OLD);
  r53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: '/change/C2682N5HXP0BZ4', Status: 'PENDING', SubmittedAt: new Date() } });
});

describe('switch-dns handler', () => {
  it('UPSERTs the CNAME to the new writer and returns the bare change id (Route 53 in us-east-1)', async () => {
    expect(await handler(event())).toEqual({ changeId: 'C2682N5HXP0BZ4', previous: OLD, current: NEW });
    expect(r53).toHaveReceivedCommandWith(ListResourceRecordSetsCommand, {
      HostedZoneId: 'Z0EXAMPLE',
      StartRecordName: 'writer.orders.internal',
      StartRecordType: 'CNAME',
      MaxItems: 1,
    });
    expect(r53).toHaveReceivedCommandExactlyOnceWith(ChangeResourceRecordSetsCommand, {
      HostedZoneId: 'Z0EXAMPLE',
      ChangeBatch: {
        Comment: 'rds-failover orders: incident inc-7, epoch 4',
        Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'writer.orders.internal', Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: NEW }] } }],
      },
    });
    expect(await regionsOf(r53, ChangeResourceRecordSetsCommand)).toEqual(['us-east-1']);
  });

  it.each([
    ['exactly', NEW],
    ['with a trailing dot and other case', `${NEW.toUpperCase()}.`],
  ])('already pointing at the target (%s) -> changeId null, no change', async (_name, value) => {
    listed(value);
    expect(await handler(event())).toEqual({ changeId: null, previous: value.replace(/\.$/, ''), current: NEW });
    expect(r53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
  });

  it('creates the record when it does not exist yet (previous null)', async () => {
    listed(null);
    expect(await handler(event())).toEqual({ changeId: 'C2682N5HXP0BZ4', previous: null, current: NEW });
  });

  it('drops a trailing dot from the target', async () => {
    await handler(event({ target: `${NEW}.` }));
    expect(r53).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      ChangeBatch: expect.objectContaining({
        Changes: [expect.objectContaining({ ResourceRecordSet: expect.objectContaining({ ResourceRecords: [{ Value: NEW }] }) })],
      }),
    });
  });

  it.each([
    [
      'PriorRequestNotComplete',
      new PriorRequestNotComplete({ message: 'The request was rejected because Route 53 was still processing a prior request.', $metadata: {} }),
      'TransientAwsError',
    ],
    [
      'Throttling',
      new Route53ServiceException({ name: 'Throttling', message: 'Rate exceeded', $fault: 'client', $metadata: { httpStatusCode: 400 } }),
      'TransientAwsError',
    ],
    [
      'InvalidChangeBatch',
      new InvalidChangeBatch({
        message:
          '[RRSet of type CNAME with DNS name writer.orders.internal. is not permitted because a conflicting RRSet of type A with the same DNS name already exists in zone orders.internal.]',
        $metadata: {},
      }),
      'DnsSwitchFailedError',
    ],
    ['InvalidInput', new InvalidInput({ message: 'Invalid request', $metadata: {} }), 'DnsSwitchFailedError'],
    [
      'AccessDenied',
      new Route53ServiceException({
        name: 'AccessDenied',
        message: 'not authorized to perform: route53:ChangeResourceRecordSets',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
      }),
      'DnsSwitchFailedError',
    ],
  ])('ChangeResourceRecordSets %s -> %s', async (_name, error, name) => {
    r53.on(ChangeResourceRecordSetsCommand).rejects(error);
    await expect(handler(event())).rejects.toMatchObject({ name });
  });

  it('an unknown hosted zone -> DnsSwitchFailedError before any change', async () => {
    r53.on(ListResourceRecordSetsCommand).rejects(new NoSuchHostedZone({ message: 'No hosted zone found with ID: Z0EXAMPLE', $metadata: {} }));
    await expect(handler(event())).rejects.toMatchObject({ name: 'DnsSwitchFailedError', message: expect.stringContaining('NoSuchHostedZone') });
    expect(r53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
  });

  it('refuses to point the record at itself', async () => {
    await expect(handler(event({ target: 'writer.orders.internal.' }))).rejects.toMatchObject({ name: 'DnsSwitchFailedError' });
    expect(r53).not.toHaveReceivedAnyCommand();
  });

  it('refuses a malformed input before doing anything', async () => {
    await expect(handler(event({ target: '' }))).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(r53).not.toHaveReceivedAnyCommand();
  });
});
