import { describe, expect, it } from 'vitest';
import { auroraReadiness, coldStackState, instanceReadiness } from '../../../lambdas/check-standby/core.js';

const SRC = 'arn:aws:rds:us-east-1:123456789012:db:orders-primary';
const host = 'orders-replica.abc.us-west-2.rds.amazonaws.com';

describe('instanceReadiness', () => {
  const hot = { readiness: 'hot', phase: 'promote' } as const;
  const warm = { readiness: 'warm', promotedInstanceClass: 'db.r6g.xlarge', phase: 'promote' } as const;
  const warmScale = { ...warm, phase: 'scale-up' } as const;
  it.each([
    [
      'hot, promoted and available',
      { status: 'available', endpoint: host },
      hot,
      { ready: true, status: 'available', endpoint: host, needsScaleUp: false, writable: true },
    ],
    [
      'hot, still a replica',
      { status: 'available', source: SRC, endpoint: host },
      hot,
      { ready: false, status: 'available', endpoint: host, needsScaleUp: false, writable: false },
    ],
    [
      'hot, promoted, RDS still backing it up (takes writes: DNS may follow)',
      { status: 'backing-up', endpoint: host },
      hot,
      { ready: false, status: 'backing-up', endpoint: host, needsScaleUp: false, writable: true },
    ],
    [
      'hot, still a replica while the promotion is modifying it',
      { status: 'modifying', source: SRC, endpoint: host },
      hot,
      { ready: false, status: 'modifying', endpoint: host, needsScaleUp: false, writable: false },
    ],
    [
      'hot, promoted but renaming (its DNS name changes)',
      { status: 'renaming', endpoint: host },
      hot,
      { ready: false, status: 'renaming', endpoint: host, needsScaleUp: false, writable: false },
    ],
    [
      'hot, promoted but failed',
      { status: 'failed', endpoint: host },
      hot,
      { ready: false, status: 'failed', endpoint: host, needsScaleUp: false, writable: false },
    ],
    [
      'warm, promoted, small class, backing up',
      { status: 'backing-up', instanceClass: 'db.r6g.large', endpoint: host },
      warm,
      { ready: false, status: 'backing-up', endpoint: host, needsScaleUp: true, writable: true },
    ],
    [
      'hot, promoted, backing up, but no endpoint reported yet',
      { status: 'backing-up' },
      hot,
      { ready: false, status: 'backing-up', endpoint: null, needsScaleUp: false, writable: false },
    ],
    ['hot, promotion rebooting', { status: 'rebooting' }, hot, { ready: false, status: 'rebooting', endpoint: null, needsScaleUp: false, writable: false }],
    [
      'warm, promoted, small class',
      { status: 'available', instanceClass: 'db.r6g.large', endpoint: host },
      warm,
      { ready: true, status: 'available', endpoint: host, needsScaleUp: true, writable: true },
    ],
    [
      'warm scale-up, still small',
      { status: 'available', instanceClass: 'db.r6g.large' },
      warmScale,
      { ready: false, status: 'available', endpoint: null, needsScaleUp: true, writable: false },
    ],
    [
      'warm scale-up, modifying',
      { status: 'modifying', instanceClass: 'db.r6g.large', pendingClass: 'db.r6g.xlarge' },
      warmScale,
      { ready: false, status: 'modifying', endpoint: null, needsScaleUp: true, writable: false },
    ],
    [
      'warm scale-up, done',
      { status: 'available', instanceClass: 'db.r6g.xlarge', endpoint: host },
      warmScale,
      { ready: true, status: 'available', endpoint: host, needsScaleUp: false, writable: true },
    ],
    [
      'warm scale-up, at class but another change pending',
      { status: 'available', instanceClass: 'db.r6g.xlarge', pendingClass: 'db.r6g.2xlarge' },
      warmScale,
      { ready: false, status: 'available', endpoint: null, needsScaleUp: false, writable: false },
    ],
    [
      'warm without target class',
      { status: 'available', instanceClass: 'db.r6g.large' },
      { readiness: 'warm', phase: 'scale-up' } as const,
      { ready: true, status: 'available', endpoint: null, needsScaleUp: false, writable: true },
    ],
  ])('%s', (_name, view, expectations, expected) => expect(instanceReadiness(view, expectations)).toEqual(expected));
});

describe('auroraReadiness', () => {
  it.each([
    [
      { isWriter: true, clusterStatus: 'available', endpoint: 'w.cluster' },
      { ready: true, status: 'available', endpoint: 'w.cluster', needsScaleUp: false, writable: true },
    ],
    [
      { isWriter: false, clusterStatus: 'available' },
      { ready: false, status: 'available (not yet the writer)', endpoint: null, needsScaleUp: false, writable: false },
    ],
    [
      { isWriter: true, failoverStatus: 'failing-over', clusterStatus: 'available' },
      { ready: false, status: 'global-failing-over', endpoint: null, needsScaleUp: false, writable: false },
    ],
    [
      { isWriter: true, clusterStatus: 'modifying' },
      { ready: false, status: 'modifying', endpoint: null, needsScaleUp: false, writable: false },
    ],
  ])('%j', (view, expected) => expect(auroraReadiness(view)).toEqual(expected));
});

describe('coldStackState', () => {
  it.each([
    ['UPDATE_COMPLETE', true, 'complete'],
    ['CREATE_COMPLETE', true, 'complete'],
    ['UPDATE_COMPLETE', false, 'waiting'],
    ['UPDATE_IN_PROGRESS', true, 'waiting'],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', true, 'waiting'],
    ['UPDATE_ROLLBACK_IN_PROGRESS', false, 'failed'],
    ['UPDATE_ROLLBACK_COMPLETE', false, 'failed'],
    ['UPDATE_ROLLBACK_FAILED', false, 'failed'],
    ['UPDATE_FAILED', true, 'failed'],
    ['ROLLBACK_COMPLETE', false, 'failed'],
    ['DELETE_IN_PROGRESS', false, 'failed'],
  ])('%s (active %s) -> %s', (status, active, state) => expect(coldStackState(status, active)).toBe(state));
});
