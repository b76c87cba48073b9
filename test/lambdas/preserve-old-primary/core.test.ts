import { describe, expect, it } from 'vitest';
import { decidePreservation, isSourceOf, type PreserveFacts } from '../../../lambdas/preserve-old-primary/core.js';

const facts = (over: Partial<PreserveFacts> = {}): PreserveFacts => ({
  siteId: 'orders-primary',
  preservedId: 'orders-primary-old-8',
  snapshotId: 'orders-primary-pre-failback-8',
  original: { found: true, status: 'available' },
  preserved: { found: false },
  snapshot: { found: false },
  otherSite: { region: 'us-west-2', id: 'orders-replica' },
  ...over,
});

describe('decidePreservation: snapshot, then rename, then stop; never delete', () => {
  const cases: Array<[string, Partial<PreserveFacts>, string, string?]> = [
    ['available, no snapshot: snapshot first', {}, 'call', 'CreateDBSnapshot'],
    ['storage-optimization counts as available', { original: { found: true, status: 'storage-optimization' } }, 'call', 'CreateDBSnapshot'],
    ['backing-up, no snapshot: wait', { original: { found: true, status: 'backing-up' } }, 'wait'],
    ['failed, no snapshot: an operator must act', { original: { found: true, status: 'failed' } }, 'fail'],
    ['stopped, no snapshot: an operator must start it', { original: { found: true, status: 'stopped' } }, 'fail'],
    ['snapshot creating: wait', { snapshot: { found: true, status: 'creating' } }, 'wait'],
    ['snapshot failed: never renamed without a retained copy', { snapshot: { found: true, status: 'failed' } }, 'fail'],
    ['snapshot available, instance available: rename', { snapshot: { found: true, status: 'available' } }, 'call', 'ModifyDBInstance'],
    [
      'snapshot available, instance backing-up: wait',
      { snapshot: { found: true, status: 'available' }, original: { found: true, status: 'backing-up' } },
      'wait',
    ],
    ['renamed, rebooting: wait', { original: { found: false }, preserved: { found: true, status: 'renaming' } }, 'wait'],
    ['renamed, available: stop', { original: { found: false }, preserved: { found: true, status: 'available' } }, 'call', 'StopDBInstance'],
    ['stopping: wait', { preserved: { found: true, status: 'stopping' } }, 'wait'],
    ['stopped: done', { preserved: { found: true, status: 'stopped' } }, 'done'],
    ['renamed but failed: kept as it is, done', { preserved: { found: true, status: 'failed' } }, 'done'],
    ['someone deletes the preserved instance: stop and tell', { preserved: { found: true, status: 'deleting' } }, 'fail'],
    ['nothing there at all: done, nothing to preserve', { original: { found: false } }, 'done'],
    [
      'already rebuilt as a replica of the other site (ARN): done',
      { original: { found: true, status: 'available', source: 'arn:aws:rds:us-west-2:123456789012:db:orders-replica' } },
      'done',
    ],
    [
      'a replica of something else: stop and tell',
      { original: { found: true, status: 'available', source: 'arn:aws:rds:eu-west-1:123456789012:db:orders-replica' } },
      'fail',
    ],
  ];
  it.each(cases)('%s', (_label, over, kind, action) => {
    const d = decidePreservation(facts(over));
    expect(d.kind).toBe(kind);
    if (action) expect(d).toMatchObject({ action });
    expect(d.detail.length).toBeGreaterThan(5);
  });
});

describe('isSourceOf', () => {
  it.each([
    ['orders-replica', true],
    ['arn:aws:rds:us-west-2:123456789012:db:orders-replica', true],
    ['arn:aws:rds:us-east-1:123456789012:db:orders-replica', false],
    ['arn:aws:rds:us-west-2:123456789012:db:orders-replica-2', false],
    ['other', false],
  ])('%s', (source, expected) => expect(isSourceOf(source, { region: 'us-west-2', id: 'orders-replica' })).toBe(expected));
});
