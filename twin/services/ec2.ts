/**
 * EC2 security groups: CreateSecurityGroup (in a VPC: unknown VPC -> InvalidVpcID.NotFound, a
 * name already used in that VPC -> InvalidGroup.Duplicate; a new group has no ingress rule and
 * the default all-outbound egress rule), DescribeSecurityGroups (filters vpc-id, group-name,
 * group-id, tag:<key>), DescribeSecurityGroupRules (filters group-id, security-group-rule-id;
 * one entry per rule and source, with its rule id), AuthorizeSecurityGroupIngress (duplicate ->
 * InvalidPermission.Duplicate), RevokeSecurityGroupIngress by IpPermissions or by
 * SecurityGroupRuleIds, never both (all or nothing: a rule that does not match exactly, ports and
 * source, is InvalidPermission.NotFound in a non-default VPC and then NO rule of the request is
 * revoked; in the default VPC the rest is revoked and the rule listed in UnknownIpPermissions; an
 * unknown rule id is InvalidSecurityGroupRuleId.NotFound and revokes nothing; docs/aws-behaviour.md
 * "Revoking ingress rules").
 * The network model asks {@link Ec2Service.allowsIngress} when a NEW connection is opened: rule
 * changes never cut tracked connections; untracked flows (all-open rules both ways) are cut.
 */
import { awsError } from '../errors.js';
import type { Authorization } from '../iam.js';
import type { ConnectionSource, NetworkView, RdsView, TwinCore } from '../ports.js';
import { arn, supportOnly, type CallCtx, type OpHandler, type ServiceModel } from './base.js';

export interface IpPermission {
  IpProtocol?: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges?: { CidrIp?: string; Description?: string }[];
  Ipv6Ranges?: { CidrIpv6?: string; Description?: string }[];
  UserIdGroupPairs?: { GroupId?: string; Description?: string; UserId?: string }[];
  PrefixListIds?: { PrefixListId?: string; Description?: string }[];
}

interface Rule {
  id: string;
  protocol: string;
  from: number;
  to: number;
  source: { kind: 'cidr' | 'cidr6' | 'group' | 'prefix'; value: string };
  description?: string;
}

interface Group {
  id: string;
  name: string;
  description: string;
  vpcId: string;
  region: string;
  defaultVpc: boolean;
  ingress: Rule[];
  egress: Rule[];
  tags: Record<string, string>;
}

/** The VPC the twin's databases live in when a setup names none (ids are per Region). */
export const DEFAULT_TWIN_VPC = 'vpc-0abc1234def567890';

export type { ConnectionSource } from '../ports.js';

const PROTOCOLS: Record<string, string> = { '-1': '-1', all: '-1', tcp: 'tcp', '6': 'tcp', udp: 'udp', '17': 'udp', icmp: 'icmp', '1': 'icmp' };
const ruleKey = (r: Omit<Rule, 'id' | 'description'>) => `${r.protocol}|${r.from}|${r.to}|${r.source.kind}|${r.source.value}`;

function ipv4ToInt(ip: string): number | undefined {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return undefined;
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}
/** IPv4 CIDR membership. */
export function inCidr(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  const bits = Number(bitsText ?? 32);
  const a = ipv4ToInt(ip);
  const b = ipv4ToInt(net ?? '');
  if (a === undefined || b === undefined) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (a & mask) === (b & mask);
}

/** What the ec2 model needs of the world (twin/ports.ts). */
export type Ec2World = TwinCore & { readonly network: Pick<NetworkView, 'onSecurityGroupChange'>; readonly rds: Pick<RdsView, 'allInstances' | 'allClusters'> };

export class Ec2Service implements ServiceModel {
  readonly key = 'ec2' as const;
  private readonly groups = new Map<string, Group>(); // region/id
  private readonly vpcs = new Set<string>(); // region/vpcId
  private readonly subnets = new Map<string, { vpcId: string; databases: Set<string> }>(); // region/subnetId
  /** Network interfaces added by a setup (anything but the databases', which come from RDS). */
  private readonly interfaces: Array<{
    region: string;
    id: string;
    description: string;
    groups: string[];
    vpcId: string;
    requesterId?: string;
    interfaceType: string;
  }> = [];

  constructor(private readonly world: Ec2World) {}

  readonly operations: Record<string, OpHandler> = {
    DescribeSecurityGroups: (i, c) => this.describeSecurityGroups(i, c),
    DescribeSecurityGroupRules: (i, c) => this.describeSecurityGroupRules(i, c),
    CreateSecurityGroup: (i, c) => this.createSecurityGroupOp(i, c),
    AuthorizeSecurityGroupIngress: (i, c) => this.authorizeSecurityGroupIngress(i, c),
    RevokeSecurityGroupIngress: (i, c) => this.revokeSecurityGroupIngress(i, c),
    DescribeNetworkInterfaces: (i, c) => this.describeNetworkInterfaces(i, c),
  };

  authorization(
    operation: string,
    input: { GroupId?: string; VpcId?: string; TagSpecifications?: { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[] },
    ctx: CallCtx,
  ): Authorization {
    const action = `ec2:${operation}`;
    if (operation === 'DescribeSecurityGroups' || operation === 'DescribeSecurityGroupRules' || operation === 'DescribeNetworkInterfaces')
      return { action, resources: ['*'] };
    if (operation === 'CreateSecurityGroup') {
      // SAR: the VPC and the new group (its id is unknown before: security-group/*); tags on create
      // are request tags (aws:RequestTag/<key>).
      const context: Record<string, string> = {};
      for (const spec of input.TagSpecifications ?? []) for (const t of spec.Tags ?? []) if (t.Key) context[`aws:RequestTag/${t.Key}`] = t.Value ?? '';
      return {
        action,
        resources: [`arn:aws:ec2:${ctx.region}:${this.world.accountId}:vpc/${input.VpcId ?? '*'}`, arn.securityGroup(ctx.region, '*')],
        context,
      };
    }
    return { action, resources: [arn.securityGroup(ctx.region, input.GroupId ?? '*')] };
  }

  // ------------------------------------------------------------------ setup

  /** Creates a security group (setup). Default egress: all traffic to 0.0.0.0/0. */
  createSecurityGroup(spec: {
    region: string;
    id: string;
    name?: string;
    vpcId?: string;
    defaultVpc?: boolean;
    ingress?: IpPermission[];
    egress?: IpPermission[];
    tags?: Record<string, string>;
  }): void {
    this.vpcs.add(`${spec.region}/${spec.vpcId ?? DEFAULT_TWIN_VPC}`);
    const g: Group = {
      id: spec.id,
      name: spec.name ?? spec.id,
      description: spec.name ?? spec.id,
      vpcId: spec.vpcId ?? 'vpc-0abc1234def567890',
      region: spec.region,
      defaultVpc: spec.defaultVpc ?? false,
      ingress: [],
      egress: [],
      tags: { ...(spec.tags ?? {}) },
    };
    g.ingress = (spec.ingress ?? []).flatMap((p) => this.flatten(p));
    g.egress = (spec.egress ?? [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }]).flatMap((p) => this.flatten(p));
    this.groups.set(`${spec.region}/${spec.id}`, g);
  }

  /** Declares a VPC (setup): security groups can be created in it. */
  /**
   * Setup: a network interface of something else (an application's instance, a load balancer)
   * with these security groups, so a group shared with other resources can be rehearsed.
   */
  addNetworkInterface(spec: {
    region: string;
    id: string;
    description: string;
    groups: string[];
    vpcId?: string;
    interfaceType?: string;
    requesterId?: string;
  }): void {
    this.interfaces.push({
      region: spec.region,
      id: spec.id,
      description: spec.description,
      groups: [...spec.groups],
      vpcId: spec.vpcId ?? DEFAULT_TWIN_VPC,
      interfaceType: spec.interfaceType ?? 'interface',
      ...(spec.requesterId ? { requesterId: spec.requesterId } : {}),
    });
  }

  /**
   * DescribeNetworkInterfaces (filters `group-id`, `vpc-id`, `description`): each RDS instance's
   * interface (description `RDSNetworkInterface`, requester `amazon-rds`, its current VPC
   * security groups; an Aurora cluster's through its groups) and those added by a setup.
   */
  describeNetworkInterfaces(
    input: { Filters?: { Name?: string; Values?: string[] }[]; NetworkInterfaceIds?: string[]; MaxResults?: number; NextToken?: string },
    ctx: CallCtx,
  ) {
    supportOnly('ec2', 'DescribeNetworkInterfaces', input, ['Filters', 'NetworkInterfaceIds']);
    const hash = (text: string): string =>
      [...text]
        .reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7)
        .toString(16)
        .padStart(8, '0');
    const rds = [
      ...this.world.rds
        .allInstances()
        .filter((i) => i.region === ctx.region)
        .map((i) => ({ key: `${i.region}/${i.id}`, groups: i.vpcSecurityGroups.map((g) => g.VpcSecurityGroupId), vpcId: i.vpcId })),
      ...this.world.rds
        .allClusters()
        .filter((c) => c.region === ctx.region)
        .map((c) => ({ key: `${c.region}/cluster/${c.id}`, groups: [...c.securityGroupIds], vpcId: DEFAULT_TWIN_VPC })),
    ].map((r) => ({
      region: ctx.region,
      id: `eni-0${hash(r.key)}${hash(`${r.key}#`)}`.slice(0, 21),
      description: 'RDSNetworkInterface',
      groups: r.groups,
      vpcId: r.vpcId,
      requesterId: 'amazon-rds',
      interfaceType: 'interface',
    }));
    const all = [...rds, ...this.interfaces.filter((n) => n.region === ctx.region)];
    const matches = (n: (typeof all)[number]): boolean =>
      (input.NetworkInterfaceIds === undefined || input.NetworkInterfaceIds.includes(n.id)) &&
      (input.Filters ?? []).every((f) => {
        const values = f.Values ?? [];
        if (f.Name === 'group-id') return n.groups.some((g) => values.includes(g));
        if (f.Name === 'vpc-id') return values.includes(n.vpcId);
        if (f.Name === 'description') return values.includes(n.description);
        throw awsError('ec2', 'InvalidParameterValue', `The filter '${f.Name ?? ''}' is invalid`);
      });
    return {
      NetworkInterfaces: all.filter(matches).map((n) => ({
        NetworkInterfaceId: n.id,
        Description: n.description,
        VpcId: n.vpcId,
        InterfaceType: n.interfaceType,
        Status: 'in-use',
        Groups: n.groups.map((g) => ({ GroupId: g, GroupName: this.groups.get(`${n.region}/${g}`)?.name ?? g })),
        ...(n.requesterId ? { RequesterId: n.requesterId, RequesterManaged: true } : {}),
      })),
    };
  }

  declareVpc(region: string, vpcId: string): void {
    this.vpcs.add(`${region}/${vpcId}`);
  }

  /** The VPC of a group the twin knows, or undefined. */
  vpcOf(region: string, id: string): string | undefined {
    return this.groups.get(`${region}/${id}`)?.vpcId;
  }

  /**
   * Setup: a subnet of a VPC and the databases (instance or cluster ids) with a network interface
   * in it (their DB subnet group's subnets). FIS aws:network:disrupt-connectivity cuts them.
   */
  createSubnet(spec: { region: string; id: string; vpcId?: string; databases?: readonly string[] }): void {
    const key = `${spec.region}/${spec.id}`;
    const subnet = this.subnets.get(key) ?? { vpcId: spec.vpcId ?? 'vpc-0twin00database0', databases: new Set<string>() };
    for (const db of spec.databases ?? []) subnet.databases.add(db);
    this.subnets.set(key, subnet);
  }

  /** Does the subnet exist in the twin? */
  hasSubnet(region: string, id: string): boolean {
    return this.subnets.has(`${region}/${id}`);
  }

  /** The VPC of a subnet. */
  subnetVpc(region: string, id: string): string | undefined {
    return this.subnets.get(`${region}/${id}`)?.vpcId;
  }

  /** The databases with an interface in the subnet. */
  subnetDatabases(region: string, id: string): string[] {
    return [...(this.subnets.get(`${region}/${id}`)?.databases ?? [])];
  }

  /** Does the group exist in the twin? */
  hasGroup(region: string, id: string): boolean {
    return this.groups.has(`${region}/${id}`);
  }

  /** Is a new TCP connection to `port` admitted by any of these groups? */
  allowsIngress(region: string, groupIds: readonly string[], port: number, source: ConnectionSource = {}): { allowed: boolean; untracked: boolean } {
    let allowed = false;
    let untracked = false;
    for (const gid of groupIds) {
      const g = this.groups.get(`${region}/${gid}`);
      if (!g) continue;
      for (const r of g.ingress) {
        const protoOk = r.protocol === '-1' || r.protocol === 'tcp';
        const portOk = r.protocol === '-1' || (port >= r.from && port <= r.to);
        if (!protoOk || !portOk || !this.sourceMatches(r, source)) continue;
        allowed = true;
        const allOpenIn = r.protocol === '-1' && r.source.kind === 'cidr' && r.source.value === '0.0.0.0/0';
        const allOpenOut = g.egress.some((e) => e.protocol === '-1' && e.source.kind === 'cidr' && e.source.value === '0.0.0.0/0');
        if (allOpenIn && allOpenOut) untracked = true;
      }
    }
    return { allowed, untracked };
  }

  private sourceMatches(r: Rule, s: ConnectionSource): boolean {
    if (r.source.kind === 'cidr') return s.ip === undefined || inCidr(s.ip, r.source.value);
    if (r.source.kind === 'group') return s.securityGroupId === undefined || s.securityGroupId === r.source.value;
    return s.ip === undefined && s.securityGroupId === undefined;
  }

  private flatten(p: IpPermission): Rule[] {
    const protocol = PROTOCOLS[String(p.IpProtocol ?? '').toLowerCase()];
    if (!protocol) throw awsError('ec2', 'InvalidParameterValue', `Invalid value '${String(p.IpProtocol)}' for IP protocol. Unknown protocol.`);
    const from = protocol === '-1' ? -1 : (p.FromPort ?? -1);
    const to = protocol === '-1' ? -1 : (p.ToPort ?? -1);
    const sources: { source: Rule['source']; description?: string }[] = [
      ...(p.IpRanges ?? []).map((r) => ({ source: { kind: 'cidr' as const, value: r.CidrIp ?? '' }, description: r.Description })),
      ...(p.Ipv6Ranges ?? []).map((r) => ({ source: { kind: 'cidr6' as const, value: r.CidrIpv6 ?? '' }, description: r.Description })),
      ...(p.UserIdGroupPairs ?? []).map((r) => ({ source: { kind: 'group' as const, value: r.GroupId ?? '' }, description: r.Description })),
      ...(p.PrefixListIds ?? []).map((r) => ({ source: { kind: 'prefix' as const, value: r.PrefixListId ?? '' }, description: r.Description })),
    ];
    if (sources.length === 0)
      throw awsError('ec2', 'InvalidParameterValue', 'The request must contain at least one of IpRanges, Ipv6Ranges, UserIdGroupPairs or PrefixListIds.');
    return sources.map((s) => ({ id: `sgr-${this.world.rng.stream('ec2.ids').chars(17, '0123456789abcdef')}`, protocol, from, to, ...s }));
  }

  private group(region: string, id: string | undefined): Group {
    const g = id ? this.groups.get(`${region}/${id}`) : undefined;
    if (!g) throw awsError('ec2', 'InvalidGroup.NotFound', `The security group '${id ?? ''}' does not exist`);
    return g;
  }

  /** Regroups flattened rules into IpPermissions as EC2 returns them. */
  private permissions(rules: Rule[]): IpPermission[] {
    const byKey = new Map<string, IpPermission>();
    for (const r of rules) {
      const k = `${r.protocol}|${r.from}|${r.to}`;
      let p = byKey.get(k);
      if (!p) {
        p = {
          IpProtocol: r.protocol,
          ...(r.protocol === '-1' ? {} : { FromPort: r.from, ToPort: r.to }),
          IpRanges: [],
          Ipv6Ranges: [],
          UserIdGroupPairs: [],
          PrefixListIds: [],
        };
        byKey.set(k, p);
      }
      const d = r.description !== undefined ? { Description: r.description } : {};
      if (r.source.kind === 'cidr') p.IpRanges!.push({ CidrIp: r.source.value, ...d });
      else if (r.source.kind === 'cidr6') p.Ipv6Ranges!.push({ CidrIpv6: r.source.value, ...d });
      else if (r.source.kind === 'group') p.UserIdGroupPairs!.push({ GroupId: r.source.value, UserId: this.world.accountId, ...d });
      else p.PrefixListIds!.push({ PrefixListId: r.source.value, ...d });
    }
    return [...byKey.values()];
  }

  private ruleShape(g: Group, r: Rule, egress: boolean) {
    return {
      SecurityGroupRuleId: r.id,
      GroupId: g.id,
      GroupOwnerId: this.world.accountId,
      IsEgress: egress,
      IpProtocol: r.protocol,
      FromPort: r.from,
      ToPort: r.to,
      ...(r.source.kind === 'cidr'
        ? { CidrIpv4: r.source.value }
        : r.source.kind === 'cidr6'
          ? { CidrIpv6: r.source.value }
          : r.source.kind === 'group'
            ? { ReferencedGroupInfo: { GroupId: r.source.value, UserId: this.world.accountId } }
            : { PrefixListId: r.source.value }),
      ...(r.description !== undefined ? { Description: r.description } : {}),
    };
  }

  // ------------------------------------------------------------------ operations

  describeSecurityGroups(input: { GroupIds?: string[]; GroupNames?: string[]; Filters?: { Name: string; Values: string[] }[] }, ctx: CallCtx) {
    supportOnly('ec2', 'DescribeSecurityGroups', input, ['GroupIds', 'GroupNames', 'Filters', 'MaxResults', 'DryRun']);
    let list = [...this.groups.values()].filter((g) => g.region === ctx.region);
    if (input.GroupIds?.length) {
      for (const id of input.GroupIds) this.group(ctx.region, id);
      list = list.filter((g) => input.GroupIds!.includes(g.id));
    }
    if (input.GroupNames?.length) list = list.filter((g) => input.GroupNames!.includes(g.name));
    for (const f of input.Filters ?? []) {
      if (f.Name === 'group-id') list = list.filter((g) => f.Values.includes(g.id));
      else if (f.Name === 'vpc-id') list = list.filter((g) => f.Values.includes(g.vpcId));
      else if (f.Name === 'group-name') list = list.filter((g) => f.Values.includes(g.name));
      else if (f.Name.startsWith('tag:')) list = list.filter((g) => f.Values.includes(g.tags[f.Name.slice(4)] ?? '\u0000'));
      else throw awsError('ec2', 'InvalidParameterValue', `twin: the filter ${f.Name} is not modelled`);
    }
    return {
      SecurityGroups: list
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((g) => ({
          GroupId: g.id,
          GroupName: g.name,
          Description: g.description,
          VpcId: g.vpcId,
          OwnerId: this.world.accountId,
          IpPermissions: this.permissions(g.ingress),
          IpPermissionsEgress: this.permissions(g.egress),
          ...(Object.keys(g.tags).length ? { Tags: Object.entries(g.tags).map(([Key, Value]) => ({ Key, Value })) } : {}),
        })),
    };
  }

  createSecurityGroupOp(
    input: {
      GroupName?: string;
      Description?: string;
      VpcId?: string;
      TagSpecifications?: { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];
      DryRun?: boolean;
    },
    ctx: CallCtx,
  ) {
    supportOnly('ec2', 'CreateSecurityGroup', input, ['GroupName', 'Description', 'VpcId', 'TagSpecifications', 'DryRun']);
    if (!input.GroupName) throw awsError('ec2', 'MissingParameter', 'The request must contain the parameter groupName');
    if (!input.Description) throw awsError('ec2', 'MissingParameter', 'The request must contain the parameter groupDescription');
    if (input.GroupName.toLowerCase().startsWith('sg-'))
      throw awsError(
        'ec2',
        'InvalidParameterValue',
        `Value (${input.GroupName}) for parameter GroupName is invalid. Group names may not be in the format sg-*.`,
      );
    // The twin has no default VPC: a group is always created in a named VPC.
    if (!input.VpcId) throw awsError('ec2', 'VPCIdNotSpecified', 'No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.');
    if (!this.vpcs.has(`${ctx.region}/${input.VpcId}`)) throw awsError('ec2', 'InvalidVpcID.NotFound', `The vpc ID '${input.VpcId}' does not exist`);
    const taken = [...this.groups.values()].find((g) => g.region === ctx.region && g.vpcId === input.VpcId && g.name === input.GroupName);
    if (taken) throw awsError('ec2', 'InvalidGroup.Duplicate', `The security group '${input.GroupName}' already exists for VPC '${input.VpcId}'`);
    const tags: Record<string, string> = {};
    for (const spec of input.TagSpecifications ?? []) {
      if (spec.ResourceType !== 'security-group')
        throw awsError('ec2', 'InvalidParameterValue', `'${String(spec.ResourceType)}' is not a valid taggable resource type for this operation.`);
      for (const t of spec.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
    }
    const id = `sg-${this.world.rng.stream('ec2.ids').chars(17, '0123456789abcdef')}`;
    this.createSecurityGroup({ region: ctx.region, id, name: input.GroupName, vpcId: input.VpcId, tags });
    this.groups.get(`${ctx.region}/${id}`)!.description = input.Description;
    this.world.log('cloud', `security group ${id} (${input.GroupName}) created in ${input.VpcId}`, { groupId: id, vpcId: input.VpcId, region: ctx.region });
    return { GroupId: id, ...(Object.keys(tags).length ? { Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } : {}) };
  }

  authorizeSecurityGroupIngress(input: { GroupId?: string; IpPermissions?: IpPermission[]; DryRun?: boolean }, ctx: CallCtx) {
    supportOnly('ec2', 'AuthorizeSecurityGroupIngress', input, ['GroupId', 'IpPermissions', 'DryRun', 'TagSpecifications']);
    const g = this.group(ctx.region, input.GroupId);
    const rules = (input.IpPermissions ?? []).flatMap((p) => this.flatten(p));
    const existing = new Set(g.ingress.map(ruleKey));
    const seen = new Set<string>();
    for (const r of rules) {
      const k = ruleKey(r);
      if (existing.has(k) || seen.has(k)) {
        const proto = r.protocol === '-1' ? 'ALL' : r.protocol.toUpperCase();
        throw awsError(
          'ec2',
          'InvalidPermission.Duplicate',
          `the specified rule "peer: ${r.source.value}, ${proto}, from port: ${r.from}, to port: ${r.to}, ALLOW" already exists`,
        );
      }
      seen.add(k);
    }
    g.ingress.push(...rules);
    this.world.log('cloud', `ingress authorized on ${g.id}`, { groupId: g.id, rules: rules.length });
    return { Return: true, SecurityGroupRules: rules.map((r) => this.ruleShape(g, r, false)) };
  }

  /**
   * The rules of groups, one entry per rule (one source each), as DescribeSecurityGroupRules
   * returns them: filters `group-id` and `security-group-rule-id`, or `SecurityGroupRuleIds`
   * (an unknown id is InvalidSecurityGroupRuleId.NotFound). Egress rules are listed with
   * `IsEgress: true`.
   */
  describeSecurityGroupRules(
    input: { SecurityGroupRuleIds?: string[]; Filters?: { Name: string; Values: string[] }[]; MaxResults?: number; NextToken?: string; DryRun?: boolean },
    ctx: CallCtx,
  ) {
    supportOnly('ec2', 'DescribeSecurityGroupRules', input, ['SecurityGroupRuleIds', 'Filters', 'MaxResults', 'DryRun']);
    if (input.MaxResults !== undefined && (input.MaxResults < 5 || input.MaxResults > 1000)) {
      throw awsError(
        'ec2',
        'InvalidParameterValue',
        `Value ( ${input.MaxResults} ) for parameter maxResults is invalid. Parameter must be between 5 and 1000.`,
      );
    }
    const all = [...this.groups.values()]
      .filter((g) => g.region === ctx.region)
      .sort((a, b) => a.id.localeCompare(b.id))
      .flatMap((g) => [...g.ingress.map((r) => ({ g, r, egress: false })), ...g.egress.map((r) => ({ g, r, egress: true }))]);
    let list = all;
    if (input.SecurityGroupRuleIds?.length) {
      for (const id of input.SecurityGroupRuleIds) {
        if (!all.some((x) => x.r.id === id)) throw awsError('ec2', 'InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`);
      }
      list = list.filter((x) => input.SecurityGroupRuleIds!.includes(x.r.id));
    }
    for (const f of input.Filters ?? []) {
      if (f.Name === 'group-id') list = list.filter((x) => f.Values.includes(x.g.id));
      else if (f.Name === 'security-group-rule-id') list = list.filter((x) => f.Values.includes(x.r.id));
      else throw awsError('ec2', 'InvalidParameterValue', `twin: the filter ${f.Name} is not modelled`);
    }
    return { SecurityGroupRules: list.map((x) => this.ruleShape(x.g, x.r, x.egress)) };
  }

  revokeSecurityGroupIngress(input: { GroupId?: string; IpPermissions?: IpPermission[]; SecurityGroupRuleIds?: string[]; DryRun?: boolean }, ctx: CallCtx) {
    supportOnly('ec2', 'RevokeSecurityGroupIngress', input, ['GroupId', 'IpPermissions', 'SecurityGroupRuleIds', 'DryRun']);
    const g = this.group(ctx.region, input.GroupId);
    const byRuleId = input.SecurityGroupRuleIds ?? [];
    const byProperties = input.IpPermissions ?? [];
    // Rules are named either by their ids or by their properties, never both (inferred from the API reference).
    if (byRuleId.length > 0 && byProperties.length > 0) {
      throw awsError('ec2', 'InvalidParameterCombination', 'The parameter SecurityGroupRuleIds cannot be used with the parameter IpPermissions');
    }
    const wanted = byProperties.flatMap((p) => this.flatten(p));
    const matched: Rule[] = [];
    for (const id of byRuleId) {
      // An egress rule id, another group's rule or an unknown id: nothing is revoked.
      const r = g.ingress.find((x) => x.id === id);
      if (!r) throw awsError('ec2', 'InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`);
      if (!matched.includes(r)) matched.push(r);
    }
    const unknown: Rule[] = [];
    for (const w of wanted) {
      // Exact match on protocol, ports and source; the description is ignored.
      const r = g.ingress.find((x) => ruleKey(x) === ruleKey(w));
      if (r) {
        if (!matched.includes(r)) matched.push(r);
      } else unknown.push(w);
    }
    if (unknown.length && !g.defaultVpc) {
      // All or nothing: the rules of the request that did match are NOT revoked either.
      throw awsError('ec2', 'InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
    }
    g.ingress = g.ingress.filter((r) => !matched.includes(r));
    this.world.log('cloud', `ingress revoked on ${g.id}`, { groupId: g.id, rules: matched.length });
    this.world.network.onSecurityGroupChange(ctx.region, g.id);
    return {
      Return: true,
      RevokedSecurityGroupRules: matched.map((r) => this.ruleShape(g, r, false)),
      ...(unknown.length ? { UnknownIpPermissions: this.permissions(unknown) } : {}),
    };
  }
}
