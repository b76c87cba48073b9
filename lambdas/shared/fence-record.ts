/**
 * The fence record of an incident (`FENCE#<incidentId>`): the ingress rules a fence revoked and the
 * original VPC security groups of the instances it isolated, kept so a failback can give them back.
 *
 * fence-primary never writes it (it loads no DynamoDB client: docs/scale.md, "Function bundles and
 * the AWS SDK"). Before it changes anything whose original is not in the record it was given, it
 * throws RecordOriginalsFirst (./errors.ts) with what is missing and changes nothing; the workflow
 * catches that, record-fence merges it into the record (the same merge as here, so the loop ends),
 * and the fence is invoked again with the merged record. A change is never made before its
 * original is kept.
 */
export { RecordOriginalsFirst } from './errors.js';

/** The ingress rules revoked from one group (EC2 IpPermissions, one source each). */
export interface RevokedRules {
  groupId: string;
  permissions: unknown[];
}

/** One instance isolated by a fence: its original groups, kept so the failback can restore them. */
export interface IsolationRecord {
  region: string;
  instanceId: string;
  vpcId: string;
  isolationGroupId: string;
  originalGroupIds: string[];
}

/** What the fence record holds (revoked rules and isolated instances, every fence of the incident together). */
export interface FenceRecord {
  revoked: RevokedRules[];
  isolated: IsolationRecord[];
}

export const emptyFenceRecord = (): FenceRecord => ({ revoked: [], isolated: [] });

/** The record as the table holds it (absent: none yet; fields that are not lists count as empty). */
export function recordOfItem(item: Record<string, unknown> | undefined): FenceRecord {
  return {
    revoked: Array.isArray(item?.revoked) ? (item.revoked as FenceRecord['revoked']) : [],
    isolated: Array.isArray(item?.isolated) ? (item.isolated as FenceRecord['isolated']) : [],
  };
}

/** JSON with sorted keys, so equal rules compare equal whatever their key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Adds the rules about to be revoked from `groupId` to the saved ones (no duplicates), so a
 * re-run that finds fewer (or no) rules never loses what an earlier run revoked. `added`: the
 * permissions that were not saved yet.
 */
export function mergeRevoked(
  saved: readonly RevokedRules[],
  groupId: string,
  permissions: readonly unknown[],
): { revoked: RevokedRules[]; changed: boolean; added: unknown[] } {
  const revoked = saved.map((r) => ({ groupId: r.groupId, permissions: [...r.permissions] }));
  let entry = revoked.find((r) => r.groupId === groupId);
  if (!entry) {
    entry = { groupId, permissions: [] };
    revoked.push(entry);
  }
  const known = new Set(entry.permissions.map(stableJson));
  const added: unknown[] = [];
  for (const p of permissions) {
    const key = stableJson(p);
    if (!known.has(key)) {
      known.add(key);
      entry.permissions.push(p);
      added.push(p);
    }
  }
  return { revoked, changed: added.length > 0, added };
}

/** Adds or keeps the isolation record of one instance (the first originals recorded win). */
export function mergeIsolated(saved: readonly IsolationRecord[], entry: IsolationRecord): { isolated: IsolationRecord[]; changed: boolean } {
  const isolated = saved.map((r) => ({ ...r, originalGroupIds: [...r.originalGroupIds] }));
  const i = isolated.findIndex((r) => r.region === entry.region && r.instanceId === entry.instanceId);
  if (i < 0) return { isolated: [...isolated, entry], changed: true };
  const old = isolated[i]!;
  const merged: IsolationRecord = {
    ...old,
    vpcId: entry.vpcId,
    isolationGroupId: entry.isolationGroupId,
    originalGroupIds: old.originalGroupIds.length > 0 ? old.originalGroupIds : entry.originalGroupIds,
  };
  const changed = stableJson(merged) !== stableJson(old);
  isolated[i] = merged;
  return { isolated, changed };
}

/** `saved` with everything of `unsaved` merged in, and whether that changed it. */
export function mergeFenceRecord(saved: FenceRecord, unsaved: FenceRecord): { record: FenceRecord; changed: boolean } {
  let { revoked, isolated } = saved;
  let changed = false;
  for (const r of unsaved.revoked) {
    const m = mergeRevoked(revoked, r.groupId, r.permissions);
    if (m.changed) ({ revoked } = m);
    changed ||= m.changed;
  }
  for (const entry of unsaved.isolated) {
    const m = mergeIsolated(isolated, entry);
    if (m.changed) ({ isolated } = m);
    changed ||= m.changed;
  }
  return { record: { revoked, isolated }, changed };
}

/**
 * The largest part of the record one {@link RecordOriginalsFirst} carries, in JSON characters:
 * Step Functions keeps an error's cause up to 32,768 characters, and the cause is the function's
 * error (this message escaped inside it, with its type and trace). More is kept in several rounds.
 */
export const UNSAVED_CHARS = 16_000;

/** Permissions of `added`, in order, up to {@link UNSAVED_CHARS} of JSON (at least one). */
export function firstPermissions(added: readonly unknown[]): unknown[] {
  return firstRevoked([{ groupId: '', permissions: [...added] }])[0]?.permissions ?? [];
}

/**
 * The rules of `parts` (group by group, in order) up to {@link UNSAVED_CHARS} of JSON in all (at
 * least one rule); groups left with none are left out.
 */
export function firstRevoked(parts: readonly RevokedRules[]): RevokedRules[] {
  const out: RevokedRules[] = [];
  let chars = 0;
  let taken = 0;
  for (const part of parts) {
    const permissions: unknown[] = [];
    for (const p of part.permissions) {
      chars += JSON.stringify(p).length + 1;
      if (taken > 0 && chars > UNSAVED_CHARS) break;
      permissions.push(p);
      taken++;
    }
    if (permissions.length > 0) out.push({ groupId: part.groupId, permissions });
    if (permissions.length < part.permissions.length) break;
  }
  return out;
}

/**
 * The part of the record a caught {@link RecordOriginalsFirst} carries, from the error's Cause: AWS
 * gives the function's error payload as JSON text (`errorType`, `errorMessage`, `trace`), the
 * message alone is taken too. Undefined when it is neither.
 */
export function unsavedOfCause(cause: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cause);
  } catch {
    return undefined;
  }
  const message = (parsed as { errorMessage?: unknown } | null)?.errorMessage;
  if (typeof message !== 'string') return parsed;
  try {
    return JSON.parse(message);
  } catch {
    return undefined;
  }
}
