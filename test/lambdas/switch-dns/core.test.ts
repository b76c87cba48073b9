import { describe, expect, it } from 'vitest';
import { bareChangeId, changeComment, currentCname, normalizeName, sameName } from '../../../lambdas/switch-dns/core.js';

describe('names', () => {
  it.each([
    ['Writer.Orders.Internal.', 'writer.orders.internal'],
    ['writer.orders.internal', 'writer.orders.internal'],
    [' x.example.com. ', 'x.example.com'],
  ])('normalizeName(%j) = %j', (a, b) => expect(normalizeName(a)).toBe(b));
  it.each([
    ['orders-replica.abc.us-west-2.rds.amazonaws.com.', 'ORDERS-REPLICA.abc.us-west-2.rds.amazonaws.com', true],
    ['orders-primary.abc.us-east-1.rds.amazonaws.com', 'orders-replica.abc.us-west-2.rds.amazonaws.com', false],
  ])('sameName(%j, %j) = %s', (a, b, same) => expect(sameName(a, b)).toBe(same));
});

describe('currentCname', () => {
  it.each([
    [
      'the record',
      [{ Name: 'writer.orders.internal.', Type: 'CNAME', ResourceRecords: [{ Value: 'orders-primary.abc.us-east-1.rds.amazonaws.com.' }] }],
      'orders-primary.abc.us-east-1.rds.amazonaws.com',
    ],
    ['the next record in order (ours is missing)', [{ Name: 'writer2.orders.internal.', Type: 'CNAME', ResourceRecords: [{ Value: 'x' }] }], null],
    ['another type at the name', [{ Name: 'writer.orders.internal.', Type: 'TXT', ResourceRecords: [{ Value: '"x"' }] }], null],
    ['an empty zone', [], null],
  ])('%s -> %j', (_name, listed, value) => expect(currentCname(listed, 'writer.orders.internal')).toBe(value));
});

describe('changes', () => {
  it('comments with the incident and the epoch', () => {
    expect(changeComment('orders', 'inc-7', 4)).toBe('rds-failover orders: incident inc-7, epoch 4');
    expect(changeComment('orders', 'i'.repeat(400), 4)).toHaveLength(256);
  });
  it.each([
    ['/change/C2682N5HXP0BZ4', 'C2682N5HXP0BZ4'],
    ['C2682N5HXP0BZ4', 'C2682N5HXP0BZ4'],
  ])('bareChangeId(%j) = %j', (id, bare) => expect(bareChangeId(id)).toBe(bare));
});
