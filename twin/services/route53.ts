/**
 * Route 53 (global): hosted zones, record sets (simple and weighted; CNAME, A, AAAA, TXT...),
 * all-or-nothing ChangeResourceRecordSets with AWS's InvalidChangeBatch messages (docs/aws-behaviour.md §2),
 * changes PENDING -> INSYNC within 60 s, GetChange, ListResourceRecordSets in Route 53's order,
 * and a resolver for the network model that follows CNAMEs through the records that are INSYNC.
 *
 * Throttling: the account's 5 requests/s (all Route 53 APIs) is a quota of every drill's world
 * (`DEFAULT_API_QUOTAS`, twin/world.ts); PriorRequestNotComplete only when a fault asks for it
 * (`world.apiError(...)`).
 */
import { awsError } from '../errors.js';
import type { Authorization } from '../iam.js';
import type { TwinCore } from '../ports.js';
import { arn, clone, supportOnly, type CallCtx, type OpHandler, type ServiceModel } from './base.js';

/**
 * A record name as the condition key `route53:ChangeResourceRecordSetsNormalizedRecordNames` holds
 * it: lower case, no trailing dot, and every character other than a-z, 0-9, `-`, `_` and `.` as a
 * backslash and three octal digits (`*` is `\052`); an escape already written that way is kept.
 */
export function normalizedRecordName(name: string): string {
  const lower = name.toLowerCase().replace(/\.$/, '');
  let out = '';
  for (let i = 0; i < lower.length; i++) {
    const ch = lower[i]!;
    if (ch === '\\' && /^[0-7]{3}$/.test(lower.slice(i + 1, i + 4))) {
      out += lower.slice(i, i + 4);
      i += 3;
    } else if (/[a-z0-9\-_.]/.test(ch)) out += ch;
    else out += `\\${ch.charCodeAt(0).toString(8).padStart(3, '0')}`;
  }
  return out;
}

export interface RecordSet {
  Name: string;
  Type: string;
  SetIdentifier?: string;
  Weight?: number;
  TTL?: number;
  ResourceRecords?: { Value: string }[];
  AliasTarget?: { HostedZoneId: string; DNSName: string; EvaluateTargetHealth: boolean };
  HealthCheckId?: string;
  Failover?: string;
  Region?: string;
}

interface Zone {
  id: string;
  name: string;
  privateZone: boolean;
  /** What the API shows (changes appear at once, docs/aws-behaviour.md §2). */
  records: RecordSet[];
  /** What the name servers answer (changes land at INSYNC). */
  served: RecordSet[];
  callerReference: string;
}

interface Change {
  id: string;
  status: 'PENDING' | 'INSYNC';
  submittedAt: number;
  comment?: string;
}

type ChangeAction = { Action: 'CREATE' | 'DELETE' | 'UPSERT'; ResourceRecordSet: RecordSet };

/** Lowercase, fully qualified (trailing dot). */
export const fqdn = (name: string): string => {
  const n = name.toLowerCase();
  return n.endsWith('.') ? n : `${n}.`;
};
const stripZone = (id: string) => id.replace(/^\/hostedzone\//, '');
const stripChange = (id: string) => id.replace(/^\/change\//, '');
const same = (a: RecordSet, b: RecordSet) => a.Name === b.Name && a.Type === b.Type && (a.SetIdentifier ?? '') === (b.SetIdentifier ?? '');
const describe = (r: RecordSet) => `[name='${r.Name}', type='${r.Type}'${r.SetIdentifier !== undefined ? `, set-identifier='${r.SetIdentifier}'` : ''}]`;
const valuesEqual = (a: RecordSet, b: RecordSet) =>
  JSON.stringify({ ttl: a.TTL, v: (a.ResourceRecords ?? []).map((x) => x.Value).sort(), w: a.Weight, al: a.AliasTarget, hc: a.HealthCheckId }) ===
  JSON.stringify({ ttl: b.TTL, v: (b.ResourceRecords ?? []).map((x) => x.Value).sort(), w: b.Weight, al: b.AliasTarget, hc: b.HealthCheckId });

/** Is the (fully qualified) name in the zone's domain: the apex or a name under it? */
const inZone = (z: { name: string }, name: string): boolean => name === z.name || name.endsWith(`.${z.name}`);

/** Route 53's listing order: names with labels reversed, then type, then set identifier. */
const sortKey = (r: RecordSet) => `${r.Name.replace(/\.$/, '').split('.').reverse().join('.')}\u0000${r.Type}\u0000${r.SetIdentifier ?? ''}`;

/** What the route53 model needs of the world (twin/ports.ts). */
export type Route53World = TwinCore;

export class Route53Service implements ServiceModel {
  readonly key = 'route53' as const;
  private readonly zones = new Map<string, Zone>();
  private readonly changes = new Map<string, Change>();
  private readonly lastInsync = new Map<string, number>();

  constructor(private readonly world: Route53World) {}

  readonly operations: Record<string, OpHandler> = {
    ChangeResourceRecordSets: (i, c) => this.changeResourceRecordSets(i, c),
    GetChange: (i, c) => this.getChange(i, c),
    ListResourceRecordSets: (i, c) => this.listResourceRecordSets(i, c),
    GetHostedZone: (i, c) => this.getHostedZone(i, c),
  };

  authorization(
    operation: string,
    input: { HostedZoneId?: string; Id?: string; ChangeBatch?: { Changes?: { Action?: string; ResourceRecordSet?: { Name?: string; Type?: string } }[] } },
  ): Authorization {
    const action = `route53:${operation}`;
    if (operation === 'GetChange') return { action, resources: [arn.change(stripChange(input.Id ?? '*'))] };
    const resources = [arn.hostedZone(stripZone(input.HostedZoneId ?? input.Id ?? '*'))];
    if (operation !== 'ChangeResourceRecordSets') return { action, resources };
    // The request's record names, types and actions, as IAM sees them (docs/aws-behaviour.md "IAM condition keys of the narrowed policies").
    const changes = input.ChangeBatch?.Changes ?? [];
    const distinct = (values: (string | undefined)[]): string[] => [...new Set(values.filter((v): v is string => v !== undefined))];
    return {
      action,
      resources,
      context: {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': distinct(
          changes.map((c) => (c.ResourceRecordSet?.Name === undefined ? undefined : normalizedRecordName(c.ResourceRecordSet.Name))),
        ),
        'route53:ChangeResourceRecordSetsRecordTypes': distinct(changes.map((c) => c.ResourceRecordSet?.Type)),
        'route53:ChangeResourceRecordSetsActions': distinct(changes.map((c) => c.Action)),
      },
    };
  }

  // ------------------------------------------------------------------ setup

  /** Creates a hosted zone with its SOA and NS records. Returns the zone id (no prefix). */
  createHostedZone(name: string, options: { id?: string; privateZone?: boolean } = {}): string {
    const id = options.id ?? `Z${this.world.rng.stream('route53.ids').chars(20)}`;
    const zname = fqdn(name);
    const ns: RecordSet = { Name: zname, Type: 'NS', TTL: 172800, ResourceRecords: [1, 2, 3, 4].map((n) => ({ Value: `ns-${n}.awsdns-0${n}.org.` })) };
    const soa: RecordSet = {
      Name: zname,
      Type: 'SOA',
      TTL: 900,
      ResourceRecords: [{ Value: 'ns-1.awsdns-01.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400' }],
    };
    this.zones.set(id, { id, name: zname, privateZone: options.privateZone ?? true, records: [ns, soa], served: [clone(ns), clone(soa)], callerReference: id });
    return id;
  }

  /**
   * Sets a record directly (setup, immediately INSYNC). Like ChangeResourceRecordSets, it refuses a
   * name outside the zone: a zone answers only for its own domain.
   */
  putRecord(zoneId: string, record: RecordSet): void {
    const z = this.zone(zoneId);
    const r = { ...clone(record), Name: fqdn(record.Name) };
    if (!inZone(z, r.Name)) throw awsError('route53', 'InvalidChangeBatch', `[RRSet with DNS name ${r.Name} is not permitted in zone ${z.name}]`);
    for (const list of [z.records, z.served]) {
      const i = list.findIndex((x) => same(x, r));
      if (i >= 0) list[i] = clone(r);
      else list.push(clone(r));
    }
  }

  /** The zone's domain name (fully qualified), or undefined when there is no such zone. */
  hostedZoneName(id: string): string | undefined {
    return this.zones.get(stripZone(id))?.name;
  }

  private zone(id: string | undefined): Zone {
    const z = id ? this.zones.get(stripZone(id)) : undefined;
    if (!z) throw awsError('route53', 'NoSuchHostedZone', `No hosted zone found with ID: ${id ? stripZone(id) : ''}`);
    return z;
  }

  // ------------------------------------------------------------------ operations

  changeResourceRecordSets(input: { HostedZoneId?: string; ChangeBatch?: { Comment?: string; Changes?: ChangeAction[] } }, _ctx: CallCtx) {
    supportOnly('route53', 'ChangeResourceRecordSets', input, ['HostedZoneId', 'ChangeBatch']);
    const z = this.zone(input.HostedZoneId);
    const changes = input.ChangeBatch?.Changes ?? [];
    if (changes.length === 0) throw awsError('route53', 'InvalidInput', 'Invalid request: Expected at least one change in ChangeBatch');
    // Limits: 1000 ResourceRecord elements and 32,000 characters, UPSERT counting double.
    let rrCount = 0;
    let chars = 0;
    for (const c of changes) {
      const mult = c.Action === 'UPSERT' ? 2 : 1;
      rrCount += mult * (c.ResourceRecordSet.ResourceRecords?.length ?? 0);
      chars += mult * (c.ResourceRecordSet.ResourceRecords ?? []).reduce((a, r) => a + r.Value.length, 0);
    }
    if (rrCount > 1000) throw awsError('route53', 'InvalidChangeBatch', '[Number of records limit of 1000 exceeded.]');
    if (chars > 32000) throw awsError('route53', 'InvalidChangeBatch', '[Number of characters limit of 32000 exceeded.]');

    const working = z.records.map((r) => clone(r));
    const errors: string[] = [];
    for (const c of changes) {
      const raw = c.ResourceRecordSet;
      if (!raw?.Name || !raw.Type) throw awsError('route53', 'InvalidInput', 'Invalid request: ResourceRecordSet requires Name and Type');
      const r: RecordSet = { ...clone(raw), Name: fqdn(raw.Name) };
      this.validateRecord(z, r, c.Action);
      const i = working.findIndex((x) => same(x, r));
      switch (c.Action) {
        case 'CREATE':
          if (i >= 0) {
            errors.push(`Tried to create resource record set ${describe(r)} but it already exists`);
            continue;
          }
          break;
        case 'DELETE':
          if (i < 0) errors.push(`Tried to delete resource record set ${describe(r)} but it was not found`);
          else if (!valuesEqual(working[i]!, r))
            errors.push(`Tried to delete resource record set ${describe(r)} but the values provided do not match the current values`);
          else working.splice(i, 1);
          continue;
        case 'UPSERT':
          break;
        default:
          throw awsError(
            'route53',
            'InvalidInput',
            `Invalid request: Action must be CREATE, DELETE or UPSERT, got ${String((c as { Action: unknown }).Action)}`,
          );
      }
      const conflict = this.conflict(z, working, r);
      if (conflict) {
        errors.push(conflict);
        continue;
      }
      if (i >= 0) working[i] = r;
      else working.push(r);
    }
    if (errors.length > 0) throw awsError('route53', 'InvalidChangeBatch', `[${errors.join(', ')}]`);
    z.records = working;
    const id = `C${this.world.rng.stream('route53.ids').chars(13)}`;
    const change: Change = { id, status: 'PENDING', submittedAt: this.world.clock.now(), comment: input.ChangeBatch?.Comment };
    this.changes.set(id, change);
    // INSYNC "generally within 60 s"; changes to one zone land in submission order.
    const now = this.world.clock.now();
    const at = Math.max(now + Math.round(this.world.rng.stream('route53.insync').uniform(5_000, 60_000)), this.lastInsync.get(z.id) ?? 0);
    this.lastInsync.set(z.id, at);
    const batch = changes.map((c) => ({ Action: c.Action, ResourceRecordSet: { ...clone(c.ResourceRecordSet), Name: fqdn(c.ResourceRecordSet.Name) } }));
    this.world.log(
      'cloud',
      `route53 change ${id} submitted (${batch.map((b) => `${b.Action} ${b.ResourceRecordSet.Name} ${b.ResourceRecordSet.Type}`).join('; ')})`,
      { changeId: id, zone: z.id },
    );
    this.world.clock.schedule(
      { at },
      () => {
        for (const c of batch) {
          const i = z.served.findIndex((x) => same(x, c.ResourceRecordSet));
          if (c.Action === 'DELETE') {
            if (i >= 0) z.served.splice(i, 1);
          } else if (i >= 0) z.served[i] = clone(c.ResourceRecordSet);
          else z.served.push(clone(c.ResourceRecordSet));
        }
        change.status = 'INSYNC';
        this.world.log('cloud', `route53 change ${id} INSYNC`, { changeId: id, zone: z.id });
      },
      `route53 ${id} INSYNC`,
    );
    return { ChangeInfo: this.changeShape(change) };
  }

  private validateRecord(z: Zone, r: RecordSet, action: string): void {
    const bad = (m: string) => {
      throw awsError('route53', 'InvalidInput', `Invalid request: ${m}`);
    };
    const hasAlias = r.AliasTarget !== undefined;
    const where = `in Change with [Action=${action}, Name=${r.Name}, Type=${r.Type}, SetIdentifier=${r.SetIdentifier ?? 'null'}]`;
    if (hasAlias && (r.TTL !== undefined || r.ResourceRecords !== undefined)) {
      bad(`Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords]], but found more than one ${where}`);
    }
    if (!hasAlias && (r.TTL === undefined || !r.ResourceRecords?.length)) {
      bad(`Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords]], but found none ${where}`);
    }
    if (r.SetIdentifier !== undefined) {
      if (r.SetIdentifier.length < 1 || r.SetIdentifier.length > 128) bad('SetIdentifier must be 1 to 128 characters');
      if (r.Weight === undefined && r.Failover === undefined && r.Region === undefined)
        bad(`A weighted record set needs a Weight: [Name=${r.Name}, Type=${r.Type}, SetIdentifier=${r.SetIdentifier}]`);
      if (r.Weight !== undefined && (!Number.isInteger(r.Weight) || r.Weight < 0 || r.Weight > 255)) bad('Weight must be between 0 and 255');
      if (r.Weight !== undefined && (r.ResourceRecords?.length ?? 0) > 1) bad('A weighted record set must have exactly one ResourceRecord');
    } else if (r.Weight !== undefined) {
      bad('Weight requires a SetIdentifier');
    }
    if (r.Type === 'CNAME' && (r.ResourceRecords?.length ?? 0) > 1) {
      throw awsError('route53', 'InvalidChangeBatch', `[RRSet of type CNAME with DNS name ${r.Name} contains more than one value.]`);
    }
    if (!inZone(z, r.Name)) {
      throw awsError('route53', 'InvalidChangeBatch', `[RRSet with DNS name ${r.Name} is not permitted in zone ${z.name}]`);
    }
  }

  /** CNAME exclusivity, routed vs plain mixes, 100 weighted records per name/type. */
  private conflict(z: Zone, working: RecordSet[], r: RecordSet): string | undefined {
    const sameName = working.filter((x) => x.Name === r.Name && !same(x, r));
    if (r.Type === 'CNAME' && sameName.some((x) => x.Type !== 'CNAME')) {
      return `RRSet of type CNAME with DNS name ${r.Name} is not permitted as it conflicts with other records with the same DNS name in zone ${z.name}`;
    }
    if (r.Type !== 'CNAME' && sameName.some((x) => x.Type === 'CNAME')) {
      return `RRSet of type ${r.Type} with DNS name ${r.Name} is not permitted because a conflicting RRSet of type CNAME with the same DNS name already exists in zone ${z.name}`;
    }
    const sameType = sameName.filter((x) => x.Type === r.Type);
    if (r.SetIdentifier !== undefined && sameType.some((x) => x.SetIdentifier === undefined)) {
      return `RRSet with DNS name ${r.Name}, type ${r.Type}, SetIdentifier ${r.SetIdentifier} cannot be created as a non-weighted set exists with the same name and type.`;
    }
    if (r.SetIdentifier === undefined && sameType.some((x) => x.SetIdentifier !== undefined)) {
      return `RRSet with DNS name ${r.Name}, type ${r.Type} cannot be created as weighted sets exist with the same name and type.`;
    }
    if (r.SetIdentifier !== undefined && sameType.length >= 100) return `Too many weighted records for ${r.Name} ${r.Type}: at most 100.`;
    return undefined;
  }

  private changeShape(c: Change) {
    return { Id: `/change/${c.id}`, Status: c.status, SubmittedAt: new Date(c.submittedAt), ...(c.comment !== undefined ? { Comment: c.comment } : {}) };
  }

  getChange(input: { Id?: string }, _ctx: CallCtx) {
    supportOnly('route53', 'GetChange', input, ['Id']);
    const c = input.Id ? this.changes.get(stripChange(input.Id)) : undefined;
    if (!c) throw awsError('route53', 'NoSuchChange', `A change with the specified change ID does not exist: ${input.Id ?? ''}`);
    return { ChangeInfo: this.changeShape(c) };
  }

  getHostedZone(input: { Id?: string }, _ctx: CallCtx) {
    const z = this.zone(input.Id);
    return {
      HostedZone: {
        Id: `/hostedzone/${z.id}`,
        Name: z.name,
        CallerReference: z.callerReference,
        Config: { PrivateZone: z.privateZone },
        ResourceRecordSetCount: z.records.length,
      },
      DelegationSet: z.privateZone
        ? undefined
        : { NameServers: (z.records.find((r) => r.Type === 'NS')?.ResourceRecords ?? []).map((r) => r.Value.replace(/\.$/, '')) },
    };
  }

  listResourceRecordSets(
    input: { HostedZoneId?: string; StartRecordName?: string; StartRecordType?: string; StartRecordIdentifier?: string; MaxItems?: number | string },
    _ctx: CallCtx,
  ) {
    supportOnly('route53', 'ListResourceRecordSets', input, ['HostedZoneId', 'StartRecordName', 'StartRecordType', 'StartRecordIdentifier', 'MaxItems']);
    const z = this.zone(input.HostedZoneId);
    if (input.StartRecordType && !input.StartRecordName) throw awsError('route53', 'InvalidInput', 'Invalid request: StartRecordType requires StartRecordName');
    const max = Math.min(Number(input.MaxItems ?? 300), 300);
    const sorted = [...z.records].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
    let list = sorted;
    if (input.StartRecordName) {
      const start = sortKey({ Name: fqdn(input.StartRecordName), Type: input.StartRecordType ?? '', SetIdentifier: input.StartRecordIdentifier });
      list = sorted.filter((r) => sortKey(r) >= start);
    }
    const page = list.slice(0, max);
    const next = list[max];
    return {
      ResourceRecordSets: page.map((r) => clone(r)),
      IsTruncated: next !== undefined,
      MaxItems: String(max),
      ...(next
        ? { NextRecordName: next.Name, NextRecordType: next.Type, ...(next.SetIdentifier !== undefined ? { NextRecordIdentifier: next.SetIdentifier } : {}) }
        : {}),
    };
  }

  // ------------------------------------------------------------------ resolver

  /**
   * What a resolver gets for `name` now: follows CNAMEs (at most 8) through INSYNC records of
   * every zone; a weighted set answers one record chosen by weight (weight 0 only when all are 0).
   * Returns the chain, the final name (a name no zone holds, e.g. an RDS endpoint) and the lowest
   * TTL seen, or `undefined` for NXDOMAIN.
   */
  resolve(name: string): { chain: string[]; final: string; ttl: number } | undefined {
    let current = fqdn(name);
    const chain: string[] = [current];
    let ttl = Number.POSITIVE_INFINITY;
    for (let hop = 0; hop < 8; hop++) {
      const zone = this.zoneFor(current);
      if (!zone) return { chain, final: current, ttl: Number.isFinite(ttl) ? ttl : 60 };
      const candidates = zone.served.filter((r) => r.Name === current && (r.Type === 'CNAME' || r.Type === 'A' || r.Type === 'AAAA'));
      if (candidates.length === 0) return undefined;
      const cnames = candidates.filter((r) => r.Type === 'CNAME');
      const pool = cnames.length ? cnames : candidates;
      const chosen = this.pickWeighted(pool);
      ttl = Math.min(ttl, chosen.TTL ?? 60);
      if (chosen.Type !== 'CNAME') return { chain, final: current, ttl };
      const target = chosen.AliasTarget ? fqdn(chosen.AliasTarget.DNSName) : fqdn(chosen.ResourceRecords![0]!.Value);
      chain.push(target);
      current = target;
    }
    return undefined;
  }

  private zoneFor(name: string): Zone | undefined {
    let best: Zone | undefined;
    for (const z of this.zones.values()) {
      if (inZone(z, name) && (!best || z.name.length > best.name.length)) best = z;
    }
    return best;
  }

  private pickWeighted(pool: RecordSet[]): RecordSet {
    if (pool.length === 1 || pool.every((r) => r.SetIdentifier === undefined)) return pool[0]!;
    const sorted = [...pool].sort((a, b) => (a.SetIdentifier ?? '').localeCompare(b.SetIdentifier ?? ''));
    const total = sorted.reduce((a, r) => a + (r.Weight ?? 0), 0);
    const rng = this.world.rng.stream('route53.weighted');
    if (total === 0) return rng.pick(sorted);
    let x = rng.uniform(0, total);
    for (const r of sorted) {
      x -= r.Weight ?? 0;
      if (x < 0) return r;
    }
    return sorted[sorted.length - 1]!;
  }

  /** Records of a zone as the API shows them (test helper). */
  records(zoneId: string): RecordSet[] {
    return clone(this.zone(zoneId).records);
  }
}
