/**
 * Detection by a failed heartbeat, end to end on the twin (docs/design.md, "Detection"): a Region
 * outage (no RDS event, the in-Region heartbeat cannot run) is verified within a minute of its
 * onset at the median phase, started by the control Region's heartbeat; a heartbeat that fails at
 * one site only starts verifications that stand down, never a failover, and asks only until its
 * alarm fires.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shifted } from '../../../bench/detection.js';
import { PROJECT_ROOT } from '../../../lib/paths.js';
import { runDrill } from '../../../twin/drill/run.js';
import type { Report, TimelineEntry } from '../../../twin/report/types.js';
import { loadScenarioFile } from '../../../twin/scenario/index.js';

const load = (name: string) => loadScenarioFile(join(PROJECT_ROOT, 'scenarios', `${name}.json`));
const faultAt = (r: Report) => r.timeline.find((e) => e.source === 'fault')!.t;
const triggers = (r: Report): TimelineEntry[] =>
  r.timeline.filter((e) => e.source === 'workflow' && typeof (e.detail as { trigger?: unknown }).trigger === 'string');
const verdicts = (r: Report): TimelineEntry[] => r.timeline.filter((e) => e.source === 'workflow' && (e.detail as { phase?: string }).phase === 'verdict');

describe('detection by a failed heartbeat', () => {
  it('a Region outage 30 s before the next heartbeat: the cross-Region heartbeat asks, the verdict comes within a minute', async () => {
    const report = await runDrill(shifted(load('region-outage'), 30), { seed: 3 });
    const onset = faultAt(report);
    const [first] = triggers(report);
    expect((first!.detail as { trigger: string }).trigger).toBe('heartbeat');
    expect(first!.event).toMatch(/Heartbeat of orders failed \(cross-region\)/);
    const verdict = verdicts(report).find((e) => e.t >= onset)!;
    expect(verdict.t - onset).toBeGreaterThan(30); // it waited for the next heartbeat
    expect(verdict.t - onset).toBeLessThanOrEqual(60);
    expect(report.invariants.every((i) => i.held)).toBe(true);
  });

  it('a heartbeat that fails at one site only: verifications that stand down (healthy), no failover, and no more requests once its alarm is in ALARM', async () => {
    const report = await runDrill(load('partition-one-vantage'), { seed: 1 });
    expect(report.outcome).toBe('no-failover');
    expect(report.failovers).toBe(0);
    const kinds = triggers(report).map((e) => (e.detail as { trigger: string }).trigger);
    // The partition lasts 35 minutes: the heartbeat asks at its first two failures, then its alarm
    // (in ALARM from the second minute on) has started a run and the heartbeat stays quiet.
    expect(kinds).toEqual(['heartbeat', 'heartbeat', 'alarm']);
    expect(verdicts(report)).toHaveLength(3);
    expect(report.timeline.filter((e) => /false alarm: the primary is healthy/.test(e.event))).toHaveLength(3);
  });
});
