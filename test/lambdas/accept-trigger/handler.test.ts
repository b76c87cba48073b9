import { beforeAll, describe, expect, it } from 'vitest';
import { exampleDatabase } from '../shared/database-fixture.js';

process.env.RESOURCE_PREFIX = 'acme';
let handler: (event: unknown) => Promise<unknown>;
beforeAll(async () => {
  ({ handler } = await import('../../../lambdas/accept-trigger/handler.js'));
});

const db = exampleDatabase();
const executionId = 'arn:aws:states:us-west-2:123456789012:execution:acme-failover:7f3c';
const alarm = (name: string) => ({
  source: 'aws.cloudwatch',
  'detail-type': 'CloudWatch Alarm State Change',
  detail: { alarmName: name, state: { value: 'ALARM', reason: 'r', timestamp: '2026-05-01T08:00:00.000+0000' } },
});

describe('accept-trigger handler', () => {
  it('accepts an alarm named with RESOURCE_PREFIX and returns the output contract', async () => {
    await expect(handler({ database: db, event: alarm('acme-orders-heartbeat-cross-region'), executionId })).resolves.toEqual({
      kind: 'alarm',
      source: 'acme-orders-heartbeat-cross-region',
      at: '2026-05-01T08:00:00.000Z',
      summary: 'Alarm acme-orders-heartbeat-cross-region went to ALARM: r',
      incidentId: '7f3c',
      approvalTimeoutSeconds: 1800,
      watchIntervalSeconds: 45,
      promotionTimeoutSeconds: 7200,
      rounds: [
        { round: 1, waitSeconds: 0 },
        { round: 2, waitSeconds: 10 },
        { round: 3, waitSeconds: 10 },
      ],
    });
  });

  it('refuses a foreign alarm with InvalidTriggerError', async () => {
    await expect(handler({ database: db, event: alarm('failover-orders-heartbeat-in-region'), executionId })).rejects.toMatchObject({
      name: 'InvalidTriggerError',
      message: expect.stringContaining('alarm "failover-orders-heartbeat-in-region" does not belong to database "orders"'),
    });
  });

  it('accepts a re-delivered trigger as the original one, marked as re-delivered (the output contract holds)', async () => {
    const heldBy = 'arn:aws:states:us-west-2:123456789012:execution:acme-failover:drill-1';
    const event = {
      source: 'rds-failover.lease',
      'detail-type': 'Failover Trigger Redelivered',
      detail: {
        database: 'orders',
        releasedBy: heldBy,
        trigger: { kind: 'rds-event', source: 'RDS-EVENT-0031', at: '2026-05-01T08:00:00.000Z', summary: 'RDS event RDS-EVENT-0031 on orders-primary', heldBy },
      },
    };
    await expect(handler({ database: db, event, executionId })).resolves.toMatchObject({
      kind: 'rds-event',
      source: 'RDS-EVENT-0031',
      at: '2026-05-01T08:00:00.000Z',
      summary: 'RDS event RDS-EVENT-0031 on orders-primary (re-delivered)',
      incidentId: '7f3c',
      redelivered: { releasedBy: heldBy, heldBy },
    });
  });

  it.each([
    ['no executionId', { database: db, event: alarm('acme-orders-heartbeat-in-region') }, /executionId/],
    ['an empty executionId', { database: db, event: alarm('acme-orders-heartbeat-in-region'), executionId: '' }, /executionId/],
    ['a database that is not a config', { database: { name: 'orders' }, event: {}, executionId }, /database/],
    ['not an object', 'hello', /expected object/i],
  ])('throws InvalidInputError for %s', async (_label, input, message) => {
    const err = await handler(input).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'InvalidInputError' });
    expect((err as Error).message).toMatch(message);
  });
});
