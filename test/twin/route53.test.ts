import { ChangeResourceRecordSetsCommand, GetChangeCommand, InvalidChangeBatch, NoSuchHostedZone, Route53Client } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { useSdkTwin } from '../helpers/sdk-twin.js';
import type { DatabaseConfig } from '../../lambdas/shared/config-schema.js';
import { hostedZoneNames } from '../../twin/drill/deploy.js';
import { DEFAULT_API_QUOTAS, World } from '../../twin/world.js';
import { RECORD, ZONE_ID, endpointOf, exampleWorld, PRIMARY, REPLICA } from './helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const G = { region: 'us-east-1' };
const errOf = (fn: () => unknown): any => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
};
const cname = (name: string, value: string, extra: object = {}) => ({ Name: name, Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: value }], ...extra });
const change = (w: World, changes: object[]) =>
  w.route53.changeResourceRecordSets({ HostedZoneId: ZONE_ID, ChangeBatch: { Changes: changes as never } }, G) as any;

describe('Route 53 ChangeResourceRecordSets', () => {
  it('UPSERT switches the record: PENDING with a /change/ id, visible in the API at once, INSYNC within 60 s, DNS follows at INSYNC', async () => {
    const w = exampleWorld();
    const out = change(w, [{ Action: 'UPSERT', ResourceRecordSet: cname(RECORD, endpointOf(REPLICA)) }]);
    expect(out.ChangeInfo.Id).toMatch(/^\/change\/C[A-Z0-9]{13}$/);
    expect(out.ChangeInfo.Status).toBe('PENDING');
    const listed = (
      w.route53.listResourceRecordSets({ HostedZoneId: `/hostedzone/${ZONE_ID}`, StartRecordName: RECORD, StartRecordType: 'CNAME', MaxItems: 1 }, G) as any
    ).ResourceRecordSets[0];
    expect(listed.ResourceRecords[0].Value).toBe(endpointOf(REPLICA));
    expect(w.route53.resolve(RECORD)!.final).toBe(`${endpointOf(PRIMARY)}.`);
    await w.clock.advanceBy(60_000);
    expect((w.route53.getChange({ Id: out.ChangeInfo.Id }, G) as any).ChangeInfo.Status).toBe('INSYNC');
    expect(w.route53.resolve(RECORD)).toEqual({ chain: [`${RECORD}.`, `${endpointOf(REPLICA)}.`], final: `${endpointOf(REPLICA)}.`, ttl: 30 });
  });

  it('repeating an UPSERT is a no-op; CREATE of an existing record fails', () => {
    const w = exampleWorld();
    change(w, [{ Action: 'UPSERT', ResourceRecordSet: cname(RECORD, endpointOf(PRIMARY)) }]);
    const e = errOf(() => change(w, [{ Action: 'CREATE', ResourceRecordSet: cname(RECORD, endpointOf(REPLICA)) }]));
    expect(e).toBeInstanceOf(InvalidChangeBatch);
    expect(e.message).toBe("[Tried to create resource record set [name='writer.orders.internal.', type='CNAME'] but it already exists]");
    expect(e.$metadata.httpStatusCode).toBe(400);
  });

  it('DELETE must match every value; the whole batch fails and nothing is applied', () => {
    const w = exampleWorld();
    const e = errOf(() =>
      change(w, [
        { Action: 'UPSERT', ResourceRecordSet: cname('other.orders.internal', 'x.example.com') },
        { Action: 'DELETE', ResourceRecordSet: cname(RECORD, endpointOf(REPLICA)) },
        { Action: 'DELETE', ResourceRecordSet: cname('gone.orders.internal', 'y') },
      ]),
    );
    expect(e.message).toBe(
      "[Tried to delete resource record set [name='writer.orders.internal.', type='CNAME'] but the values provided do not match the current values, " +
        "Tried to delete resource record set [name='gone.orders.internal.', type='CNAME'] but it was not found]",
    );
    expect(w.route53.records(ZONE_ID).map((r) => r.Name)).not.toContain('other.orders.internal.');
  });

  it('deleting the same set twice in one batch fails; DELETE + CREATE in one batch works', () => {
    const w = exampleWorld();
    const current = cname(RECORD, endpointOf(PRIMARY));
    expect(
      errOf(() =>
        change(w, [
          { Action: 'DELETE', ResourceRecordSet: current },
          { Action: 'DELETE', ResourceRecordSet: current },
        ]),
      ).name,
    ).toBe('InvalidChangeBatch');
    change(w, [
      { Action: 'DELETE', ResourceRecordSet: current },
      { Action: 'CREATE', ResourceRecordSet: cname(RECORD, endpointOf(REPLICA)) },
    ]);
    expect(w.route53.records(ZONE_ID).find((r) => r.Type === 'CNAME')!.ResourceRecords![0]!.Value).toBe(endpointOf(REPLICA));
  });

  it('weighted records: set-identifier in messages, Weight rules, weight 0 never answered unless all are 0', async () => {
    const w = exampleWorld();
    const wr = (id: string, weight: number, value: string) => cname('traffic.orders.internal', value, { SetIdentifier: id, Weight: weight });
    change(w, [
      { Action: 'CREATE', ResourceRecordSet: wr('blue', 100, 'blue.example.com') },
      { Action: 'CREATE', ResourceRecordSet: wr('green', 0, 'green.example.com') },
    ]);
    expect(errOf(() => change(w, [{ Action: 'CREATE', ResourceRecordSet: wr('blue', 1, 'b') }])).message).toBe(
      "[Tried to create resource record set [name='traffic.orders.internal.', type='CNAME', set-identifier='blue'] but it already exists]",
    );
    expect(errOf(() => change(w, [{ Action: 'CREATE', ResourceRecordSet: wr('x', 256, 'b') }])).name).toBe('InvalidInput');
    expect(errOf(() => change(w, [{ Action: 'CREATE', ResourceRecordSet: cname('traffic.orders.internal', 'plain') }])).name).toBe('InvalidChangeBatch');
    await w.clock.advanceBy(60_000);
    for (let i = 0; i < 20; i++) expect(w.route53.resolve('traffic.orders.internal')!.final).toBe('blue.example.com.');
    change(w, [{ Action: 'UPSERT', ResourceRecordSet: wr('blue', 0, 'blue.example.com') }]);
    await w.clock.advanceBy(60_000);
    const seen = new Set(Array.from({ length: 40 }, () => w.route53.resolve('traffic.orders.internal')!.final));
    expect(seen).toEqual(new Set(['blue.example.com.', 'green.example.com.']));
  });

  it('an UPSERT replaces the whole record set: a weighted record UPSERTed without its HealthCheckId loses the health check', () => {
    const w = exampleWorld();
    const wr = (id: string, weight: number, extra: object = {}) =>
      cname('traffic.orders.internal', `${id}.example.com`, { SetIdentifier: id, Weight: weight, ...extra });
    const list = () =>
      (
        w.route53.listResourceRecordSets({ HostedZoneId: ZONE_ID, StartRecordName: 'traffic.orders.internal', StartRecordType: 'CNAME' }, G) as any
      ).ResourceRecordSets.filter((r: any) => r.Name === 'traffic.orders.internal.');
    change(w, [{ Action: 'CREATE', ResourceRecordSet: wr('blue', 100, { HealthCheckId: 'hc-blue' }) }]);
    expect(list()[0].HealthCheckId).toBe('hc-blue');
    change(w, [{ Action: 'UPSERT', ResourceRecordSet: wr('blue', 50, { HealthCheckId: 'hc-blue' }) }]);
    expect(list()[0]).toMatchObject({ Weight: 50, HealthCheckId: 'hc-blue' });
    change(w, [{ Action: 'UPSERT', ResourceRecordSet: wr('blue', 40) }]);
    expect(list()[0].Weight).toBe(40);
    expect(list()[0].HealthCheckId).toBeUndefined();
  });

  it('names outside the zone, CNAME conflicts and missing TTL are rejected', () => {
    const w = exampleWorld();
    expect(errOf(() => change(w, [{ Action: 'UPSERT', ResourceRecordSet: cname('x.other.internal', 'y') }])).message).toBe(
      '[RRSet with DNS name x.other.internal. is not permitted in zone orders.internal.]',
    );
    expect(
      errOf(() => change(w, [{ Action: 'UPSERT', ResourceRecordSet: { Name: RECORD, Type: 'A', TTL: 30, ResourceRecords: [{ Value: '10.0.0.1' }] } }])).name,
    ).toBe('InvalidChangeBatch');
    expect(errOf(() => change(w, [{ Action: 'UPSERT', ResourceRecordSet: { Name: RECORD, Type: 'CNAME', ResourceRecords: [{ Value: 'x' }] } }])).name).toBe(
      'InvalidInput',
    );
    expect(errOf(() => w.route53.changeResourceRecordSets({ HostedZoneId: 'ZNOPE', ChangeBatch: { Changes: [] } }, G))).toBeInstanceOf(NoSuchHostedZone);
  });

  it('changes to one zone become INSYNC in submission order', async () => {
    const w = exampleWorld();
    const a = change(w, [{ Action: 'UPSERT', ResourceRecordSet: cname(RECORD, 'a.example.com') }]).ChangeInfo.Id;
    const b = change(w, [{ Action: 'UPSERT', ResourceRecordSet: cname(RECORD, 'b.example.com') }]).ChangeInfo.Id;
    await w.clock.runUntilIdle();
    expect((w.route53.getChange({ Id: a }, G) as any).ChangeInfo.Status).toBe('INSYNC');
    expect((w.route53.getChange({ Id: b }, G) as any).ChangeInfo.Status).toBe('INSYNC');
    expect(w.route53.resolve(RECORD)!.final).toBe('b.example.com.');
    expect(errOf(() => w.route53.getChange({ Id: '/change/CNOPE' }, G)).name).toBe('NoSuchChange');
  });
});

describe('Route 53 hosted zones shared by several records', () => {
  it('a record set up outside the zone is refused, as ChangeResourceRecordSets refuses it', () => {
    const w = exampleWorld();
    const e = errOf(() => w.route53.putRecord(ZONE_ID, cname('writer.payments.internal', 'payments.example.com')));
    expect(e).toBeInstanceOf(InvalidChangeBatch);
    expect(e.message).toBe('[RRSet with DNS name writer.payments.internal. is not permitted in zone orders.internal.]');
    expect(w.route53.records(ZONE_ID).map((r) => r.Name)).not.toContain('writer.payments.internal.');
  });

  it('two writer records in one zone both resolve, each to its own target', () => {
    const w = new World({ seed: 1 });
    w.route53.createHostedZone('internal', { id: ZONE_ID });
    w.route53.putRecord(ZONE_ID, cname('writer.orders.internal', 'orders-primary.example.com'));
    w.route53.putRecord(ZONE_ID, cname('writer.payments.internal', 'payments-primary.example.com'));
    expect(w.route53.resolve('writer.orders.internal')!.final).toBe('orders-primary.example.com.');
    expect(w.route53.resolve('writer.payments.internal')!.final).toBe('payments-primary.example.com.');
    expect(w.route53.hostedZoneName(`/hostedzone/${ZONE_ID}`)).toBe('internal.');
    expect(w.route53.hostedZoneName('ZNOPE')).toBeUndefined();
  });

  it.each([
    ['one record: its parent domain', [['Z1', 'writer.orders.internal']], { Z1: 'orders.internal' }],
    [
      'two databases in one zone: their common parent',
      [
        ['Z1', 'writer.orders.internal'],
        ['Z1', 'writer.payments.internal'],
      ],
      { Z1: 'internal' },
    ],
    [
      'deeper names: the longest common parent',
      [
        ['Z1', 'writer.orders.db.example.com'],
        ['Z1', 'writer.payments.db.example.com.'],
      ],
      { Z1: 'db.example.com' },
    ],
    [
      'a record that is a parent of another is not the apex',
      [
        ['Z1', 'orders.internal'],
        ['Z1', 'writer.orders.internal'],
      ],
      { Z1: 'internal' },
    ],
    [
      'traffic records count, case is ignored',
      [
        ['Z1', 'writer.orders.internal'],
        ['Z1', 'APP.orders.internal', true],
      ],
      { Z1: 'orders.internal' },
    ],
    [
      'separate zones stay separate',
      [
        ['Z1', 'writer.orders.internal'],
        ['Z2', 'writer.payments.internal'],
      ],
      { Z1: 'orders.internal', Z2: 'payments.internal' },
    ],
  ] as const)('the deployment names a zone after its records: %s', (_what, records, zones) => {
    expect(Object.fromEntries(hostedZoneNames(databasesWith(records)))).toEqual(zones);
  });

  it('the deployment refuses records with no common parent in one zone', () => {
    expect(() =>
      hostedZoneNames(
        databasesWith([
          ['Z1', 'writer.orders.internal'],
          ['Z1', 'writer.payments.example.com'],
        ]),
      ),
    ).toThrow(
      'twin deploy: hosted zone Z1 holds writer.orders.internal, writer.payments.example.com, which have no common parent domain (a zone has one domain)',
    );
  });
});

/** Databases whose writer record (or, with `true`, traffic record) is each of `records`. */
function databasesWith(records: ReadonlyArray<readonly [string, string, boolean?]>): DatabaseConfig[] {
  const out: DatabaseConfig[] = [];
  for (const [zone, name, traffic] of records) {
    if (traffic) {
      const last = out[out.length - 1]!;
      last.traffic = { hostedZoneId: zone, recordName: name } as DatabaseConfig['traffic'];
    } else out.push({ name: `db${out.length}`, dns: { hostedZoneId: zone, recordName: name, ttlSeconds: 30 } } as DatabaseConfig);
  }
  return out;
}

describe('Route 53 ListResourceRecordSets', () => {
  it('sorts by reversed labels then type, starts at StartRecordName/Type and pages', () => {
    const w = new World();
    const z = w.route53.createHostedZone('example.com');
    for (const n of ['b.example.com', 'a.example.com', 'www.a.example.com'])
      w.route53.putRecord(z, { Name: n, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.0.0.1' }] });
    w.route53.putRecord(z, { Name: 'a.example.com', Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"x"' }] });
    const all = (w.route53.listResourceRecordSets({ HostedZoneId: z }, G) as any).ResourceRecordSets.map((r: any) => `${r.Name} ${r.Type}`);
    expect(all).toEqual(['example.com. NS', 'example.com. SOA', 'a.example.com. A', 'a.example.com. TXT', 'www.a.example.com. A', 'b.example.com. A']);
    const page = w.route53.listResourceRecordSets({ HostedZoneId: z, StartRecordName: 'a.example.com', StartRecordType: 'TXT', MaxItems: 2 }, G) as any;
    expect(page.ResourceRecordSets.map((r: any) => `${r.Name} ${r.Type}`)).toEqual(['a.example.com. TXT', 'www.a.example.com. A']);
    expect(page).toMatchObject({ IsTruncated: true, NextRecordName: 'b.example.com.', NextRecordType: 'A', MaxItems: '2' });
  });
});

describe('Route 53 through the SDK', () => {
  const twin = useSdkTwin();
  it("accepts prefixed ids, throws InvalidChangeBatch, and with a drill's quotas allows 5 requests/s per account", async () => {
    const w = exampleWorld();
    w.quota('route53', DEFAULT_API_QUOTAS.route53);
    twin.use(w);
    const r53 = new Route53Client({ region: 'us-east-1' });
    const up = new ChangeResourceRecordSetsCommand({
      HostedZoneId: `/hostedzone/${ZONE_ID}`,
      ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: cname(RECORD, endpointOf(REPLICA)) as never }] },
    });
    const out = await r53.send(up);
    expect(out.ChangeInfo?.Status).toBe('PENDING');
    expect((await r53.send(new GetChangeCommand({ Id: out.ChangeInfo!.Id }))).ChangeInfo?.Status).toBe('PENDING');
    await expect(
      r53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: ZONE_ID,
          ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: cname(RECORD, 'x') as never }] },
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidChangeBatch);
    // three calls so far in this virtual second: two more pass, then the account's quota refuses
    expect(w.quotaOf('route53')).toEqual({ burst: 5, perSecond: 5, global: true });
    const first = await Promise.allSettled(Array.from({ length: 3 }, () => r53.send(new GetChangeCommand({ Id: out.ChangeInfo!.Id }))));
    expect(first.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    // the bucket refills at 5 per second: after 2 s it holds 5 again (never more)
    await w.clock.advanceBy(2000);
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => r53.send(new GetChangeCommand({ Id: out.ChangeInfo!.Id }))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason.name).toBe('Throttling');
    expect(rejected.reason.message).toBe('Rate exceeded');
    expect(rejected.reason.$metadata.attempts).toBe(3); // the SDK's own retries ran (and were throttled too)
  });
});
