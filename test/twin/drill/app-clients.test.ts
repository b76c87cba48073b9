import { describe, expect, it } from 'vitest';
import { AppClients } from '../../../twin/drill/app-clients.js';
import { exampleAppDatabase } from './app-database.js';
import { PRIMARY, RECORD, REPLICA, ZONE_ID, endpointOf, exampleWorld } from '../helpers.js';

/** The example world with the application's table and a deployed-database view of it. */
async function setup() {
  const w = exampleWorld();
  const db = await exampleAppDatabase(w);
  // The example's database: the instances and record of the example world.
  expect([db.config.primary.instanceId, db.config.standby.instanceId, db.config.dns.hostedZoneId, db.config.dns.recordName]).toEqual([
    PRIMARY.id,
    REPLICA.id,
    ZONE_ID,
    RECORD,
  ]);
  return { w, db, setupWrites: w.network.writes.length };
}

describe('AppClients: world.writesPerSecond', () => {
  it.each([
    ['default: each client commits every second', undefined, 20, 0],
    ['2 per second', 2, 40, 0],
    ['a fraction: one commit every 5 s, a writability check in the other seconds', 0.2, 4, 16],
    ['quiet (0): only writability checks, no commit', 0, 0, 20],
  ] as const)('%s', async (_label, rate, commits, checks) => {
    const { w, db, setupWrites } = await setup();
    const clients = new AppClients(w, db, rate);
    clients.start(w.clock.now() + 1000);
    await w.clock.advanceBy(10_000);
    expect(w.network.writes.length - setupWrites).toBe(commits);
    const ok = clients.successes();
    expect(ok.filter((a) => a.check)).toHaveLength(checks);
    expect(ok).toHaveLength(commits + checks);
    expect(new Set(ok.map((a) => a.target))).toEqual(new Set([PRIMARY.id])); // RTO and the writer at the end are still measured
  });

  it('a writability check that reaches a read-only database fails like a refused write and reconnects', async () => {
    const { w, db } = await setup();
    w.route53.putRecord(ZONE_ID, { Name: RECORD, Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: endpointOf(REPLICA) }] });
    const clients = new AppClients(w, db, 0);
    clients.start(w.clock.now() + 1000);
    await w.clock.advanceBy(3_000);
    expect(clients.attempts.every((a) => !a.ok && a.check && /^25006: the database is read-only/.test(a.error ?? ''))).toBe(true);
    expect(clients.attempts.length).toBeGreaterThan(0);
  });
});
