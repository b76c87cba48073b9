import { describe, expect, it } from 'vitest';
import { auroraDataBehind, describeFigure, instanceDataBehind, latestFigure, type LagPoint } from '../../../lambdas/shared/data-behind.js';

const p = (iso: string, value: number): LagPoint => ({ timestamp: new Date(iso), value });
const T0 = '2026-06-01T10:00:00.000Z';
const T1 = '2026-06-01T10:01:00.000Z';
const T2 = '2026-06-01T10:02:00.000Z';

describe('instanceDataBehind', () => {
  const table: Array<[string, string, LagPoint[], LagPoint[], Array<{ at: string; seconds: number; source: string }>]> = [
    [
      'MySQL: ReplicaLag (Seconds_Behind_Master) is the figure',
      'mysql',
      [p(T0, 3), p(T1, 0)],
      [],
      [
        { at: T0, seconds: 3, source: 'ReplicaLag' },
        { at: T1, seconds: 0, source: 'ReplicaLag' },
      ],
    ],
    ['MySQL ignores a slot metric', 'mysql', [p(T0, 7)], [p(T0, 0)], [{ at: T0, seconds: 7, source: 'ReplicaLag' }]],
    [
      'PostgreSQL, quiet source: slot lag 0 bytes makes the period 0 s behind whatever ReplicaLag says',
      'postgres',
      [p(T0, 240)],
      [p(T0, 0)],
      [{ at: T0, seconds: 0, source: 'OldestReplicationSlotLag' }],
    ],
    [
      'PostgreSQL, WAL not yet received: ReplicaLag stands (an upper bound)',
      'postgres',
      [p(T0, 120)],
      [p(T0, 30_720)],
      [{ at: T0, seconds: 120, source: 'ReplicaLag' }],
    ],
    ['PostgreSQL, slot metric unreadable: ReplicaLag alone', 'postgres', [p(T0, 90)], [], [{ at: T0, seconds: 90, source: 'ReplicaLag' }]],
    [
      'PostgreSQL, slot 0 in another period only',
      'postgres',
      [p(T0, 50), p(T1, 55)],
      [p(T0, 0), p(T1, 256)],
      [
        { at: T0, seconds: 0, source: 'OldestReplicationSlotLag' },
        { at: T1, seconds: 55, source: 'ReplicaLag' },
      ],
    ],
    [
      'aurora-postgresql engines count as PostgreSQL',
      'aurora-postgresql',
      [p(T0, 10)],
      [p(T0, 0)],
      [{ at: T0, seconds: 0, source: 'OldestReplicationSlotLag' }],
    ],
    ['-1 (replication not active) is no figure, even with slot 0', 'postgres', [p(T0, -1)], [p(T0, 0)], []],
    ['a slot datapoint without a ReplicaLag datapoint is no figure', 'postgres', [], [p(T0, 0)], []],
    ['NaN is no figure', 'mysql', [p(T0, Number.NaN)], [], []],
    [
      'sorted oldest first; a repeated period keeps its largest value',
      'mysql',
      [p(T2, 1), p(T0, 4), p(T0, 6)],
      [],
      [
        { at: T0, seconds: 6, source: 'ReplicaLag' },
        { at: T2, seconds: 1, source: 'ReplicaLag' },
      ],
    ],
  ];
  it.each(table)('%s', (_label, engine, replicaLag, slotLag, expected) => {
    const out = instanceDataBehind({ engine, replicaLag, slotLag }).map((f) => ({ at: f.at.toISOString(), seconds: f.seconds, source: f.source }));
    expect(out).toEqual(expected);
  });

  it.each([
    [
      "the heartbeats' WalBytesBehind of 0 makes the period 0 s behind when the slot metric is unreadable",
      [p(T0, 45)],
      [],
      [p(T0, 0)],
      { seconds: 0, source: 'WalBytesBehind' },
    ],
    ['WAL still to flush: ReplicaLag stands', [p(T0, 45)], [], [p(T0, 512)], { seconds: 45, source: 'ReplicaLag' }],
    ['either measure at 0 is enough (the slot metric named first)', [p(T0, 45)], [p(T0, 0)], [p(T0, 0)], { seconds: 0, source: 'OldestReplicationSlotLag' }],
    ['two sites in one period: the larger value counts', [p(T0, 45)], [], [p(T0, 0), p(T0, 256)], { seconds: 45, source: 'ReplicaLag' }],
    ['a WAL figure of another period does not count', [p(T1, 45)], [], [p(T0, 0)], { seconds: 45, source: 'ReplicaLag' }],
  ])('%s', (_label, replicaLag, slotLag, walBytesBehind, expected) => {
    const [f] = instanceDataBehind({ engine: 'postgres', replicaLag, slotLag, walBytesBehind });
    expect({ seconds: f?.seconds, source: f?.source }).toEqual(expected);
    expect(instanceDataBehind({ engine: 'mysql', replicaLag, walBytesBehind })[0]?.source).toBe('ReplicaLag');
  });

  it('keeps the overruled ReplicaLag for the detail', () => {
    const [f] = instanceDataBehind({ engine: 'postgres', replicaLag: [p(T0, 240)], slotLag: [p(T0, 0)] });
    expect(f?.replicaLagSeconds).toBe(240);
    expect(describeFigure(f!)).toBe(
      '0 s behind at 2026-06-01T10:00:00.000Z (OldestReplicationSlotLag of the source was 0 bytes: every commit had reached the replica; its ReplicaLag of 240 s was the time since the last commit, not data behind)',
    );
  });
});

describe('auroraDataBehind', () => {
  it('converts milliseconds to seconds', () => {
    expect(auroraDataBehind('AuroraGlobalDBRPOLag', [p(T0, 1500), p(T1, -1)])).toEqual([{ at: new Date(T0), seconds: 1.5, source: 'AuroraGlobalDBRPOLag' }]);
  });
});

describe('latestFigure', () => {
  const figures = instanceDataBehind({ engine: 'mysql', replicaLag: [p(T0, 1), p(T1, 2), p(T2, 3)] });
  it.each([
    ['no bounds: the newest', {}, 3],
    ['notAfter is inclusive', { notAfter: new Date(T1) }, 2],
    ['notBefore is inclusive', { notBefore: new Date(T2) }, 3],
    ['both', { notBefore: new Date(T0), notAfter: new Date('2026-06-01T10:00:59Z') }, 1],
    ['nothing in the window', { notBefore: new Date('2026-06-01T10:03:00Z') }, undefined],
  ] as const)('%s', (_label, window, seconds) => {
    expect(latestFigure(figures, window)?.seconds).toBe(seconds);
  });
});
