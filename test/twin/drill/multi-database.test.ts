/**
 * Two databases in one config, their writer records in one hosted zone, the same Regions: a fault
 * of the scenario's database fails over that database only; the other keeps its writer, its DNS
 * record and its quiet alarms, and every invariant is judged per database.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { alarmName } from '../../../lambdas/shared/names.js';
import type { Deployment } from '../../../twin/drill/deploy.js';
import type { DrillFacts } from '../../../twin/drill/measure.js';
import { runDrill } from '../../../twin/drill/run.js';
import { exitStatus } from '../../../twin/report/judge.js';
import type { Report } from '../../../twin/report/types.js';
import { loadScenarioFile } from '../../../twin/scenario/index.js';
import type { World } from '../../../twin/world.js';

const DIR = fileURLToPath(new URL('../../../scenarios/', import.meta.url));

interface Seen {
  report: Report;
  world: World;
  deployment: Deployment;
  facts: DrillFacts;
}

async function drill(file: string): Promise<Seen> {
  let seen: Omit<Seen, 'report'> | undefined;
  const report = await runDrill(loadScenarioFile(join(DIR, file)), {
    seed: 1,
    onFinish: (world, deployment, facts) => {
      seen = { world, deployment, facts };
    },
  });
  return { report, ...seen! };
}

/** What the healthy database looks like at the end, from the twin's ground truth. */
function healthy({ world, deployment, facts }: Seen, name: string, crashAt: number) {
  const d = deployment.databases[name]!;
  const prefix = deployment.app.config.prefix;
  const primary = world.rds.getInstance(d.primary.id, d.primary.region)!;
  const standby = world.rds.getInstance(d.standby.id, d.standby.region)!;
  return {
    primary: { status: primary.status, replica: primary.source !== undefined, crashed: primary.crashed },
    standbyIsReplica: standby.source?.id,
    record: world.route53.resolve(d.config.dns.recordName)?.final.replace(/\.$/, ''),
    alarmsFired: [
      ...world.cloudwatch.alarmHistory(d.primary.region, alarmName(prefix, name, 'in-region')),
      ...world.cloudwatch.alarmHistory(deployment.controlRegion, alarmName(prefix, name, 'cross-region')),
    ].filter((h) => h.to === 'ALARM').length,
    runsThatActed: facts.executions.filter(
      (e) => e.database === name && e.steps.some((s) => s.folder === 'manage-lease' && (s.output as { acquired?: boolean } | undefined)?.acquired === true),
    ).length,
    promotions: facts.promotions.filter((p) => p.database === name).length,
    writesAfterTheCrash: facts.writes.filter((w) => w.database === name && w.at > facts.startMs + crashAt * 1000 && w.target === d.primary.id).length > 0,
  };
}

describe.each([
  ['two-databases-shared-zone.json', 'orders', 'payments'],
  ['two-databases-second-fails.json', 'payments', 'orders'],
])('%s', (file, failing, other) => {
  let seen: Seen;

  it(`fails over ${failing} and passes, every invariant judged per database`, async () => {
    seen = await drill(file);
    const { report } = seen;
    expect(report.database).toBe(failing);
    expect(report.outcome).toBe('failed-over');
    expect(report.writer).toBe(seen.deployment.databases[failing]!.standby.id);
    for (const inv of report.invariants) {
      expect(inv.held, `${inv.name}: ${inv.detail}`).toBe(true);
      expect(inv.detail).toMatch(new RegExp(`(^|\\| )${failing}: `));
      expect(inv.detail).toMatch(new RegExp(`(^|\\| )${other}: `));
    }
    expect(exitStatus(report)).toBe(0);
  });

  it(`leaves ${other} alone: its primary keeps its writes, its record, its standby, and its alarms stay quiet`, () => {
    const d = seen.deployment.databases[other]!;
    expect(healthy(seen, other, 300)).toEqual({
      primary: { status: 'available', replica: false, crashed: false },
      standbyIsReplica: d.primary.id,
      record: d.primary.endpoint,
      alarmsFired: 0,
      runsThatActed: 0,
      promotions: 0,
      writesAfterTheCrash: true,
    });
  });

  it('attributes every write, promotion and DNS check to a database', () => {
    expect(seen.facts.writes.filter((w) => w.database === undefined)).toEqual([]);
    expect(seen.facts.promotions.map((p) => p.database)).toEqual([failing]);
    expect(seen.facts.dnsChecks.length).toBeGreaterThan(0);
    for (const c of seen.facts.dnsChecks) expect(c.database).toBe(seen.facts.executions.find((e) => e.arn === c.executionArn)?.database);
  });
});
