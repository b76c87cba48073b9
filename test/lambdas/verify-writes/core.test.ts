import { describe, expect, it } from 'vitest';
import { hasCredentials, isReadOnlyAnswer, readOnlyQuery, verifyTarget } from '../../../lambdas/verify-writes/core.js';
import { auroraDb, hotDb } from '../shared/failover-steps-fixture.js';

describe('verifyTarget', () => {
  it.each([
    ['the DNS name and the default PostgreSQL port', hotDb(), { host: 'writer.orders.internal', port: 5432 }],
    [
      'a trailing dot dropped',
      hotDb((r) => {
        r.dns.recordName = 'writer.orders.internal.';
      }),
      { host: 'writer.orders.internal', port: 5432 },
    ],
    [
      "the standby's port first",
      hotDb((r) => {
        Object.assign(r.standby, { port: 6432 });
        Object.assign(r.primary, { port: 7432 });
      }),
      { host: 'writer.orders.internal', port: 6432 },
    ],
    [
      'MySQL default port',
      hotDb((r) => {
        r.engine = 'mysql';
      }),
      { host: 'writer.orders.internal', port: 3306 },
    ],
    ['Aurora PostgreSQL', auroraDb(), { host: 'writer.orders.internal', port: 5432 }],
  ])('%s', (_name, db, target) => expect(verifyTarget(db)).toEqual(target));
});

describe('hasCredentials', () => {
  it.each([
    [hotDb(), true],
    [
      hotDb((r) => {
        r.credentials = { iamUser: 'failover' } as never;
      }),
      true,
    ],
    [
      hotDb((r) => {
        delete (r as { credentials?: unknown }).credentials;
      }),
      false,
    ],
    [
      hotDb((r) => {
        r.credentials = { databaseName: 'orders' } as never;
      }),
      false,
    ],
  ])('%#', (db, yes) => expect(hasCredentials(db)).toBe(yes));
});

describe('read-only answers', () => {
  it('asks PostgreSQL whether it is in recovery and MySQL whether it is read-only', () => {
    expect(readOnlyQuery('postgres')).toEqual({ sql: 'SELECT pg_is_in_recovery() AS in_recovery', column: 'in_recovery' });
    expect(readOnlyQuery('aurora-postgresql').column).toBe('in_recovery');
    expect(readOnlyQuery('mysql')).toEqual({ sql: 'SELECT @@global.read_only AS read_only', column: 'read_only' });
    expect(readOnlyQuery('aurora-mysql').column).toBe('read_only');
  });
  it.each([
    [[{ in_recovery: false }], 'in_recovery', false],
    [[{ in_recovery: true }], 'in_recovery', true],
    [[{ in_recovery: 'f' }], 'in_recovery', false],
    [[{ in_recovery: 't' }], 'in_recovery', true],
    [[{ pg_is_in_recovery: false }], 'in_recovery', false],
    [[{ read_only: 0 }], 'read_only', false],
    [[{ read_only: 1 }], 'read_only', true],
    [[{ read_only: 'OFF' }], 'read_only', false],
    [[{ read_only: 'ON' }], 'read_only', true],
    [[{ read_only: 1n }], 'read_only', true],
    [[], 'read_only', null],
    [[{ read_only: null }], 'read_only', null],
    [[{ read_only: 'maybe' }], 'read_only', null],
  ])('%o -> %s', (rows, column, answer) => expect(isReadOnlyAnswer(rows, column)).toBe(answer));
});
