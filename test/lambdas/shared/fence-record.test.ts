import { describe, expect, it } from 'vitest';
import {
  firstPermissions,
  firstRevoked,
  mergeFenceRecord,
  RecordOriginalsFirst,
  UNSAVED_CHARS,
  unsavedOfCause,
  type FenceRecord,
} from '../../../lambdas/shared/fence-record.js';

const rule = (port: number, description = '') => ({
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  IpRanges: [{ CidrIp: '10.0.0.0/8', Description: description }],
});
const iso = (originalGroupIds: string[], isolationGroupId = 'sg-iso') => ({
  region: 'us-east-1',
  instanceId: 'db-1',
  vpcId: 'vpc-1',
  isolationGroupId,
  originalGroupIds,
});

describe('the fence record', () => {
  it('merging what a fence asks to keep, then the same again, changes nothing the second time (the fence loop ends)', () => {
    const cases: Array<[FenceRecord, FenceRecord]> = [
      [
        { revoked: [], isolated: [] },
        { revoked: [{ groupId: 'sg-1', permissions: [rule(5432), rule(6432)] }], isolated: [] },
      ],
      [
        { revoked: [{ groupId: 'sg-1', permissions: [rule(5432)] }], isolated: [] },
        { revoked: [{ groupId: 'sg-1', permissions: [rule(6432), rule(5432)] }], isolated: [] },
      ],
      [
        { revoked: [], isolated: [iso(['sg-app'])] },
        { revoked: [], isolated: [iso([], 'sg-iso-2')] },
      ],
      [
        { revoked: [], isolated: [] },
        { revoked: [], isolated: [iso(['sg-a', 'sg-b'])] },
      ],
    ];
    for (const [saved, unsaved] of cases) {
      const first = mergeFenceRecord(saved, unsaved);
      expect(first.changed).toBe(true);
      expect(mergeFenceRecord(first.record, unsaved)).toEqual({ record: first.record, changed: false });
    }
  });

  it('an original kept first is never replaced (a re-run sees the isolation group only)', () => {
    const { record } = mergeFenceRecord({ revoked: [], isolated: [iso(['sg-app'])] }, { revoked: [], isolated: [iso([])] });
    expect(record.isolated).toEqual([iso(['sg-app'])]);
  });

  it('one error carries at most UNSAVED_CHARS of rules, at least one; the rest is kept in the next rounds', () => {
    const many = Array.from({ length: 400 }, (_, i) => rule(1000 + i, 'x'.repeat(200)));
    const first = firstPermissions(many);
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(many.length);
    expect(JSON.stringify(first).length).toBeLessThanOrEqual(UNSAVED_CHARS + first.length);
    expect(firstPermissions([rule(1, 'y'.repeat(UNSAVED_CHARS * 2))])).toHaveLength(1);
    // Rounds until everything is kept: each keeps the next share.
    let saved: FenceRecord = { revoked: [], isolated: [] };
    let rounds = 0;
    for (;;) {
      const known = new Set((saved.revoked[0]?.permissions ?? []).map((p) => JSON.stringify(p)));
      const added = many.filter((p) => !known.has(JSON.stringify(p)));
      if (added.length === 0) break;
      saved = mergeFenceRecord(saved, { revoked: [{ groupId: 'sg-1', permissions: firstPermissions(added) }], isolated: [] }).record;
      rounds++;
    }
    expect(saved.revoked[0]!.permissions).toHaveLength(400);
    expect(rounds).toBe(Math.ceil(JSON.stringify(many).length / UNSAVED_CHARS));
  });

  it('several groups share one budget: whole groups in order, the one that passes it cut, the rest left for the next round', () => {
    const big = (n: number) => Array.from({ length: n }, (_, i) => rule(2000 + i, 'z'.repeat(300)));
    const parts = [
      { groupId: 'sg-1', permissions: big(10) },
      { groupId: 'sg-2', permissions: big(100) },
      { groupId: 'sg-3', permissions: big(5) },
    ];
    const first = firstRevoked(parts);
    expect(first.map((p) => p.groupId)).toEqual(['sg-1', 'sg-2']);
    expect(first[0]!.permissions).toHaveLength(10);
    expect(first[1]!.permissions.length).toBeGreaterThan(0);
    expect(first[1]!.permissions.length).toBeLessThan(100);
    expect(JSON.stringify(first).length).toBeLessThanOrEqual(UNSAVED_CHARS + 200);
    expect(
      firstRevoked([
        { groupId: 'sg-1', permissions: [] },
        { groupId: 'sg-2', permissions: [rule(1)] },
      ]),
    ).toEqual([{ groupId: 'sg-2', permissions: [rule(1)] }]);
  });

  it("the error's cause as AWS gives it (the error payload as JSON text) stays under Step Functions' 32,768 characters", () => {
    const many = Array.from({ length: 400 }, (_, i) => rule(1000 + i, 'd"é'.repeat(80)));
    const err = new RecordOriginalsFirst({ revoked: [{ groupId: 'sg-1', permissions: firstPermissions(many) }], isolated: [] });
    const cause = JSON.stringify({
      errorType: err.name,
      errorMessage: err.message,
      trace: Array(10).fill('    at closeGroup (file:///var/task/index.mjs:1:12345)'),
    });
    expect(cause.length).toBeLessThan(32_768);
    expect(unsavedOfCause(cause)).toEqual(JSON.parse(err.message));
  });

  it('reads a cause that is the message itself, and nothing from text that is not JSON', () => {
    expect(unsavedOfCause('{"revoked":[],"isolated":[]}')).toEqual({ revoked: [], isolated: [] });
    expect(unsavedOfCause('Task timed out')).toBeUndefined();
    expect(unsavedOfCause(JSON.stringify({ errorMessage: 'not json' }))).toBeUndefined();
  });
});
