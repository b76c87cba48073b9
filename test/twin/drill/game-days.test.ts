/**
 * Game days on the twin (docs/game-days.md "Drill runs", "Schedules"): the real synthesized app,
 * its EventBridge Scheduler schedule, drill rule, state machine and functions.
 * - a scheduled drill end to end: the schedule fires, the drill run takes the lease, says DRILL and
 *   how to stop it, fails the drill pair over, and the incident record is marked as a drill;
 * - a drill while a real incident holds the lease stands down and says so;
 * - a drill's approval works as in a real incident, and its question says DRILL;
 * - the run-time guard: a drill rule whose input names a production pair without the opt-in (a
 *   config that validate refuses, forced into the templates here) starts a run that refuses it and
 *   touches nothing;
 * - the twin refuses a schedule whose role may not put events on the bus.
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../../twin/drill/deploy.js';
import { runDrill } from '../../../twin/drill/run.js';
import type { ResolvedApp } from '../../../twin/drill/synth.js';
import { DATABASES_PER_STACK } from '../../../lib/naming.js';
import type { Scenario } from '../../../twin/scenario/index.js';
import { loadScenarioFile } from '../../../twin/scenario/load.js';
import type { World } from '../../../twin/world.js';

const file = (name: string): string => fileURLToPath(new URL(`../../../scenarios/${name}.json`, import.meta.url));

interface Seen {
  incidents: Record<string, unknown>[];
  subjects: string[];
  messages: string[];
  invocations: number;
  deadLetters: number;
  failed: { error?: string; cause?: string; entered: string[] }[];
  /** The FIS experiments started, with the templates' tags. */
  experiments: { id: string; tags: Record<string, string> }[];
}

async function drill(
  name: string,
  transformApp?: (app: ResolvedApp) => void,
  transformScenario?: (scenario: Scenario) => Scenario,
): Promise<{ seen: Seen; report: Awaited<ReturnType<typeof runDrill>>; stacks: string[] }> {
  const seen: Seen = { incidents: [], subjects: [], messages: [], invocations: 0, deadLetters: 0, failed: [], experiments: [] };
  const loaded = loadScenarioFile(file(name));
  const scenario = transformScenario ? transformScenario(loaded) : loaded;
  const stacks: string[] = [];
  const report = await runDrill(scenario, {
    seed: 1,
    transformApp: (app) => {
      for (const stack of Object.values(app.stacks))
        if (Object.values(stack.resolved.Resources).some((r) => r.Type === 'AWS::Scheduler::Schedule')) stacks.push(stack.name);
      transformApp?.(app);
    },
    onFinish: (w: World, d: Deployment) => {
      seen.incidents = w.dynamodb
        .items(d.controlRegion, d.tableName)
        .map((i) => unmarshall(i as never))
        .filter((i) => String(i.pk).startsWith('INCIDENT#'));
      const mine = w.sns.published.filter((m) => m.topicArn === d.topicArn);
      seen.subjects = mine.map((m) => m.subject ?? '');
      seen.messages = mine.map((m) => m.message);
      seen.invocations = w.scheduler.invocations.filter((i) => i.deliveredAt).length;
      seen.deadLetters = w.scheduler.deadLetters.length;
      seen.failed = d.sfn.executions.filter((e) => e.status === 'FAILED').map((e) => ({ error: e.error, cause: e.cause, entered: e.entered }));
      seen.experiments = w.fis.started.map((e) => ({ id: e.id, tags: w.fis.templateTags(e.templateId) ?? {} }));
    },
  });
  return { seen, report, stacks };
}

/**
 * The scenario with `n` more databases (no game day) before its own, so that its databases' triggers
 * and schedule go to a `databases` stack (the control stack holds the first DATABASES_PER_STACK).
 */
const after =
  (n: number) =>
  (scenario: Scenario): Scenario => {
    const [first] = scenario.config.databases;
    const fillers = Array.from({ length: n }, (_, i) => {
      const { gameDay: _gameDay, ...rest } = structuredClone(first!);
      return {
        ...rest,
        name: `filler-${i}`,
        primary: { ...rest.primary, instanceId: `filler-${i}-primary` },
        standby: { ...rest.standby, instanceId: `filler-${i}-replica` },
        dns: { ...rest.dns, recordName: `writer.filler-${i}.internal` },
        // Its own secret: the twin gives each database's instances the password of its secret.
        ...(rest.credentials
          ? { credentials: { ...rest.credentials, secretArn: (rest.credentials.secretArn ?? '').replace('secret:orders/', `secret:filler-${i}/`) } }
          : {}),
      };
    });
    return { ...scenario, config: { ...scenario.config, databases: [...fillers, ...scenario.config.databases] } as Scenario['config'] };
  };

describe('game days on the twin', () => {
  it('a scheduled drill end to end: schedule → Drill Requested → drill run → fault → failed over, recorded and told as a drill', async () => {
    const { seen, report } = await drill('scheduled-drill');
    expect(report.outcome).toBe('failed-over');
    expect(report.failovers).toBe(1);
    expect(seen.invocations).toBe(1);
    expect(seen.deadLetters).toBe(0);
    // The drill's incident and the incident of the failback it started, both marked.
    const drills = seen.incidents.filter((i) => i.drill !== undefined && !String(i.pk).endsWith('-failback'));
    expect(drills).toHaveLength(1);
    expect(seen.incidents.filter((i) => i.drill !== undefined)).toHaveLength(2);
    const record = drills[0]!;
    expect(record.database).toBe('orders-drill');
    expect(record.drill).toEqual({ requestedFor: 'orders', fault: 'disrupt-connectivity', scheduled: true, objectives: { rtoSeconds: 900, rpoSeconds: 30 } });
    const timeline = record.timeline as { phase: string; at: string; detail: Record<string, unknown> }[];
    const phases = timeline.map((e) => e.phase);
    for (const p of ['detected', 'drill-started', 'fault-started', 'verdict', 'failed-over']) expect(phases).toContain(p);
    expect(phases.indexOf('drill-started')).toBeLessThan(phases.indexOf('fault-started'));
    expect(phases.indexOf('fault-started')).toBeLessThan(phases.indexOf('verdict'));
    // The FIS experiment itself injected the fault: one experiment, of the drill pair's
    // disrupt-connectivity template, whose id the record keeps.
    expect(seen.experiments).toHaveLength(1);
    expect(seen.experiments[0]!.tags).toMatchObject({
      'failover:database': 'orders-drill',
      'failover:fault': 'disrupt-connectivity',
      'failover:prefix': 'failover',
    });
    const fault = timeline.find((e) => e.phase === 'fault-started')!;
    expect(fault.detail).toMatchObject({ experimentId: seen.experiments[0]!.id, fault: 'disrupt-connectivity', region: 'us-east-1' });
    // The drill's RTO counts from the experiment's start (the fault's onset), and says so.
    const failedOver = timeline.find((e) => e.phase === 'failed-over')!;
    const drillRto = failedOver.detail.drillRto as { seconds: number; from: string; since: string };
    expect(drillRto.from).toBe('fault-onset');
    expect(drillRto.since).toBe(fault.detail.startedAt);
    expect(drillRto.seconds).toBe((Date.parse(failedOver.detail.writesVerifiedAt as string) - Date.parse(drillRto.since)) / 1000);
    // Nothing of the production database's own was recorded.
    expect(seen.incidents.some((i) => i.database === 'orders')).toBe(false);
    // Every notification of the drill run says DRILL; the first says how to stop it, the next gives the experiment's id.
    const ofDrill = seen.messages
      .map((m, i) => ({ m, s: seen.subjects[i]! }))
      .filter(({ m }) => m.includes(`Incident: ${String(record.pk).slice('INCIDENT#'.length)}\n`));
    expect(ofDrill.length).toBeGreaterThanOrEqual(3);
    // The failback the drill's failover started is part of the drill: every notification says DRILL.
    for (const subject of seen.subjects) expect(subject).toMatch(/^\[rds-failover\] DRILL orders-drill: /);
    expect(seen.subjects.some((subject) => subject.includes('failback started'))).toBe(true);
    const failback = seen.incidents.find((i) => String(i.pk).endsWith('-failback'))!;
    expect(failback.drill).toEqual(record.drill);
    const started = seen.messages.find((m) => m.includes('drill starting'))!;
    expect(started).toContain('aws stepfunctions stop-execution --region us-west-2 --execution-arn arn:aws:states:us-west-2:');
    expect(started).toContain('aws fis stop-experiment --region us-east-1');
    const faultStarted = seen.messages.find((m) => m.includes('Phase: fault-started'))!;
    expect(faultStarted).toContain(`aws fis stop-experiment --region us-east-1 --id ${seen.experiments[0]!.id}`);
    expect(report.invariants.every((i) => i.held)).toBe(true);
  }, 120_000);

  it('a drill while a real incident holds the lease stands down and says so; the real run fails over alone', async () => {
    const { seen, report } = await drill('drill-stands-down-during-incident');
    expect(report.outcome).toBe('failed-over');
    expect(report.failovers).toBe(1);
    const drills = seen.incidents.filter((i) => i.drill !== undefined);
    expect(drills).toHaveLength(1);
    expect((drills[0]!.timeline as { phase: string }[]).map((e) => e.phase)).toEqual(['drill-stood-down']);
    const real = seen.incidents.filter((i) => i.drill === undefined && i.database === 'orders-drill');
    expect(real).toHaveLength(1);
    expect(seen.subjects.filter((s) => s.includes('DRILL'))).toEqual([
      expect.stringMatching(/^\[rds-failover\] DRILL orders-drill: DRILL STOOD DOWN: another run holds the incident lease/),
    ]);
    // The drill stood down before its fault hook: no FIS experiment was started.
    expect(seen.experiments).toEqual([]);
  }, 120_000);

  it('approvals work as in a real incident: a drill pair in manual mode asks, the question says DRILL, the approval lets the drill fail over', async () => {
    const { seen, report } = await drill('scheduled-drill-approved');
    expect(report.outcome).toBe('failed-over');
    expect(report.failovers).toBe(1);
    expect(seen.subjects).toContain('[rds-failover] DRILL orders-drill: approval needed to fail over');
    const record = seen.incidents.find((i) => i.drill !== undefined)!;
    const phases = (record.timeline as { phase: string }[]).map((e) => e.phase);
    expect(phases.indexOf('approved')).toBeGreaterThan(phases.indexOf('drill-started'));
    expect(phases).toContain('failed-over');
  }, 120_000);

  it('the run-time guard: a drill rule that sends a production pair without the opt-in starts a run that refuses it, touching nothing', async () => {
    let forced = 0;
    const { seen, report } = await drill('scheduled-drill', (app) => {
      for (const stack of Object.values(app.stacks)) {
        for (const r of Object.values(stack.resolved.Resources)) {
          if (r.Type !== 'AWS::Events::Rule') continue;
          for (const t of (r.Properties?.Targets ?? []) as { InputTransformer?: { InputTemplate: string } }[]) {
            const tpl = t.InputTransformer?.InputTemplate;
            if (!tpl?.includes('"gameDay":{"requestedFor"')) continue;
            t.InputTransformer!.InputTemplate = tpl.replace('"drillTarget":true', '"drillTarget":false');
            forced++;
          }
        }
      }
    });
    expect(forced).toBe(1);
    const refused = seen.failed.filter((f) => f.error === 'InvalidTriggerError');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.cause).toContain('drill refused: "orders-drill" is a production pair');
    expect(refused[0]!.entered).toEqual(['Check the trigger belongs to this database', 'Refuse the trigger: nothing was changed']);
    expect(seen.incidents.filter((i) => i.drill !== undefined)).toEqual([]);
    // The refused drill never reached its fault hook: no experiment, nothing failed over.
    expect(seen.experiments).toEqual([]);
    expect(report.failovers).toBe(0);
  }, 120_000);

  it("a schedule in a databases stack (past the control stack's databases) uses the control stack's role by name and runs its drill", async () => {
    const { seen, report, stacks } = await drill('scheduled-drill', undefined, after(DATABASES_PER_STACK));
    expect(stacks).toEqual(['failover-databases-2']);
    expect(seen.invocations).toBe(1);
    expect(seen.deadLetters).toBe(0);
    expect(report.outcome).toBe('failed-over');
    expect(seen.incidents.filter((i) => i.drill !== undefined && i.database === 'orders-drill').length).toBeGreaterThan(0);
  }, 300_000);

  it('the twin refuses a schedule whose role may not put events on the product bus', async () => {
    await expect(
      drill('scheduled-drill', (app) => {
        for (const stack of Object.values(app.stacks)) {
          for (const r of Object.values(stack.resolved.Resources)) {
            if (r.Type !== 'AWS::IAM::Role' || !JSON.stringify(r.Properties?.AssumeRolePolicyDocument ?? {}).includes('scheduler.amazonaws.com')) continue;
            for (const p of (r.Properties?.Policies ?? []) as { PolicyDocument: { Statement: { Action: string | string[] }[] } }[]) {
              p.PolicyDocument.Statement = p.PolicyDocument.Statement.filter((s) => s.Action !== 'events:PutEvents');
            }
          }
        }
      }),
    ).rejects.toThrow(
      /twin deploy refused: schedule failover-orders-drill: its role .* may not events:PutEvents on arn:aws:events:us-west-2:123456789012:event-bus\/failover-events/,
    );
  }, 120_000);
});
