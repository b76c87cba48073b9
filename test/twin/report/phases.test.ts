import { describe, expect, it } from 'vitest';
import { failureTime, phaseBands, runEnd } from '../../../twin/report/phases.js';
import { fixture } from './fixtures.js';

const bands = (name: Parameters<typeof fixture>[0]) => phaseBands(fixture(name)).map((b) => [b.name, b.start, b.end]);

describe('phaseBands', () => {
  it('derives the failover bands from the incident phases in the timeline', () => {
    expect(bands('failed-over')).toEqual([
      ['detect', 300, 421],
      ['verify', 421, 455],
      ['decide', 455, 461],
      ['promote', 461, 561],
      ['dns', 561, 566],
      ['verify-writes', 566, 650],
      ['failed-over', 650, 7200],
    ]);
  });

  it('shows the approval wait and the fence when a human approved', () => {
    expect(bands('broken')).toEqual([
      ['detect', 120, 215],
      ['verify', 215, 260],
      ['decide', 260, 261],
      ['approval', 261, 301],
      ['fence', 301, 320],
      ['promote', 320, 420],
      ['dns', 420, 480],
      ['verify-writes', 480, 532],
      ['failed-over', 532, 3600],
    ]);
  });

  it('ends at a false alarm', () => {
    expect(bands('false-alarm')).toEqual([['verify', 601, 640]]);
  });

  it("uses the report's own phases when it has them", () => {
    const report = fixture('failed-back');
    expect(phaseBands(report)).toEqual(report.phases);
  });

  it("gives a failback run's stages their own bands (never fence or promote), as the game day records them", () => {
    const marks: Array<[number, string, string]> = [
      [302, 'failover', 'detected'],
      [322, 'failover', 'verdict'],
      [322, 'failover', 'promoting'],
      [402, 'failover', 'promoted'],
      [402, 'failover', 'dns-switched'],
      [462, 'failover', 'writes-verified'],
      [462, 'failover', 'failed-over'],
      [2562, 'failback', 'failback-started'],
      [2571, 'failback', 'fenced'],
      [3291, 'failback', 'old-primary-preserved'],
      [3291, 'failback', 'standby-rebuilding'],
      [7779, 'failback', 'failback-stable'],
      [7779, 'failback', 'failback-approval'],
      [9000, 'failback', 'approved'],
      [9010, 'failback', 'fenced'],
      [9182, 'failback', 'failed-back'],
      [12158, 'failback', 'standby-rebuilt'],
    ];
    const report = {
      ...fixture('false-alarm'),
      failureAt: 300,
      runForSeconds: 14400,
      timeline: marks.map(([t, stateMachine, phase]) => ({ t, source: 'workflow' as const, event: phase, detail: { phase, stateMachine } })),
    };
    const got = phaseBands(report).map((b) => [b.name, b.start, b.end]);
    expect(got).toEqual([
      ['detect', 300, 302],
      ['verify', 302, 322],
      ['promote', 322, 402],
      ['verify-writes', 402, 462],
      ['failed-over', 462, 2562],
      ['failback', 2562, 2571],
      ['failback-rebuild', 2571, 7779],
      ['failback-approval', 7779, 9000],
      ['failback-switchover', 9000, 9182],
      ['failed-back', 9182, 14400],
    ]);
    expect(got.filter(([name, start]) => (start as number) >= 2562 && ['fence', 'promote', 'dns'].includes(name as string))).toEqual([]);
  });

  it('names a band after an unknown phase', () => {
    const report = { ...fixture('false-alarm'), timeline: [{ t: 10, source: 'workflow' as const, event: 'x', detail: { phase: 'rebuilding' } }] };
    expect(phaseBands(report).map((b) => [b.name, b.start, b.end])).toEqual([['rebuilding', 10, 3600]]);
  });
});

describe('failureTime', () => {
  it("is the report's failureAt when given", () => {
    expect(failureTime(fixture('broken'))).toBe(120);
  });

  it('is the first failure fault of the timeline when something failed over', () => {
    expect(failureTime(fixture('failed-back'))).toBe(300);
  });

  it('is null when nothing failed over and the report does not say', () => {
    expect(failureTime(fixture('false-alarm'))).toBeNull();
  });
});

describe('runEnd', () => {
  it('is the horizon, or the last entry when later', () => {
    expect(runEnd(fixture('failed-over'))).toBe(7200);
    const { runForSeconds: _omit, ...rest } = fixture('failed-over');
    expect(runEnd(rest)).toBe(652);
  });
});
