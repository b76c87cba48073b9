/**
 * Which revoked ingress rules are still missing from a security group. Rules are compared one
 * source at a time (protocol, ports and one CIDR, IPv6 CIDR, prefix list or group), descriptions
 * ignored, so a partly restored group gets exactly the rules it lacks (AuthorizeSecurityGroupIngress
 * refuses the whole call when one rule already exists).
 */

/** An EC2 IpPermission as DescribeSecurityGroups returns it (and as the fence record keeps it). */
export interface Permission {
  IpProtocol?: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges?: Array<{ CidrIp?: string; Description?: string }>;
  Ipv6Ranges?: Array<{ CidrIpv6?: string; Description?: string }>;
  PrefixListIds?: Array<{ PrefixListId?: string; Description?: string }>;
  UserIdGroupPairs?: Array<{ GroupId?: string; UserId?: string; Description?: string }>;
}

/** One rule with one source, and the comparison key that ignores its description. */
export interface AtomicRule {
  key: string;
  permission: Permission;
}

const base = (p: Permission) => ({
  IpProtocol: p.IpProtocol ?? '-1',
  ...(p.FromPort !== undefined ? { FromPort: p.FromPort } : {}),
  ...(p.ToPort !== undefined ? { ToPort: p.ToPort } : {}),
});
const head = (p: Permission): string => `${p.IpProtocol ?? '-1'}|${p.FromPort ?? ''}|${p.ToPort ?? ''}`;
const desc = (d: string | undefined) => (d ? { Description: d } : {});

/** Splits permissions into one rule per source. */
export function atomicRules(permissions: readonly Permission[]): AtomicRule[] {
  const rules: AtomicRule[] = [];
  for (const p of permissions) {
    for (const r of p.IpRanges ?? [])
      if (r.CidrIp) rules.push({ key: `${head(p)}|cidr|${r.CidrIp}`, permission: { ...base(p), IpRanges: [{ CidrIp: r.CidrIp, ...desc(r.Description) }] } });
    for (const r of p.Ipv6Ranges ?? [])
      if (r.CidrIpv6)
        rules.push({ key: `${head(p)}|cidr6|${r.CidrIpv6}`, permission: { ...base(p), Ipv6Ranges: [{ CidrIpv6: r.CidrIpv6, ...desc(r.Description) }] } });
    for (const r of p.PrefixListIds ?? [])
      if (r.PrefixListId)
        rules.push({
          key: `${head(p)}|pl|${r.PrefixListId}`,
          permission: { ...base(p), PrefixListIds: [{ PrefixListId: r.PrefixListId, ...desc(r.Description) }] },
        });
    for (const r of p.UserIdGroupPairs ?? []) {
      if (!r.GroupId) continue;
      rules.push({
        key: `${head(p)}|sg|${r.UserId ?? ''}|${r.GroupId}`,
        permission: { ...base(p), UserIdGroupPairs: [{ GroupId: r.GroupId, ...(r.UserId ? { UserId: r.UserId } : {}), ...desc(r.Description) }] },
      });
    }
  }
  return rules;
}

/** The saved rules the group does not have now (no duplicates). */
export function missingRules(saved: readonly Permission[], current: readonly Permission[]): Permission[] {
  const present = new Set(atomicRules(current).map((r) => r.key));
  const out: Permission[] = [];
  for (const rule of atomicRules(saved)) {
    if (present.has(rule.key)) continue;
    present.add(rule.key);
    out.push(rule.permission);
  }
  return out;
}

/** An instance a fence isolated, as the fence record keeps it. */
export interface IsolatedInstance {
  region: string;
  instanceId: string;
  vpcId: string;
  isolationGroupId: string;
  originalGroupIds: string[];
}

export type IsolationRestore = { kind: 'modify' | 'done' | 'skip' | 'busy'; detail: string };

const MODIFIABLE = new Set(['available', 'storage-optimization']);

/**
 * What undoing an isolation needs, from the instance now at the site's identifier (`status`
 * undefined: none). Only an instance that still has the isolation group is changed; one without
 * it (a rebuilt replica, or already restored) is left alone.
 */
export function isolationRestorePlan(
  status: string | undefined,
  groups: ReadonlyArray<{ id: string; status: string }>,
  entry: IsolatedInstance,
): IsolationRestore {
  if (status === undefined)
    return {
      kind: 'skip',
      detail: `no instance ${entry.instanceId} now (the fenced one was preserved under another name): a replica rebuilt here gets the original groups ${entry.originalGroupIds.join(', ')}`,
    };
  if (entry.originalGroupIds.length === 0) return { kind: 'skip', detail: `no original groups were recorded for ${entry.instanceId}: left as it is` };
  if (!groups.some((g) => g.id === entry.isolationGroupId)) {
    const back = entry.originalGroupIds.every((id) => groups.some((g) => g.id === id));
    return {
      kind: 'done',
      detail: back
        ? `${entry.instanceId} has its original groups`
        : `${entry.instanceId} is not isolated (groups ${groups.map((g) => g.id).join(', ') || 'none'}): left alone`,
    };
  }
  if (MODIFIABLE.has(status)) return { kind: 'modify', detail: `${entry.instanceId} is isolated in ${entry.isolationGroupId}` };
  if (status === 'stopped')
    return {
      kind: 'skip',
      detail: `${entry.instanceId} is stopped (a stopped instance cannot be modified): it stays isolated; restore ${entry.originalGroupIds.join(', ')} after starting it`,
    };
  return { kind: 'busy', detail: `${entry.instanceId} is ${status}: its groups cannot be changed now` };
}
