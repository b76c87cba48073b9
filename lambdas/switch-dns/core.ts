/**
 * DNS switch decisions: does the writer record already point at the target, and the change to
 * send when it does not. Names compare case-insensitively and without the trailing dot (Route 53
 * answers `writer.orders.internal.`; configs usually omit the dot).
 */

/** Lower case, no trailing dot. */
export const normalizeName = (name: string): string => name.trim().replace(/\.$/, '').toLowerCase();

export const sameName = (a: string, b: string): boolean => normalizeName(a) === normalizeName(b);

/** A record set as listed by ListResourceRecordSets (the fields this function reads). */
export interface ListedRecord {
  Name?: string;
  Type?: string;
  SetIdentifier?: string;
  ResourceRecords?: { Value?: string }[];
  AliasTarget?: unknown;
}

/** The current value of the simple CNAME `recordName`, or null when the listing does not hold it. */
export function currentCname(listed: readonly ListedRecord[], recordName: string): string | null {
  const record = listed.find((r) => r.Type === 'CNAME' && r.Name !== undefined && sameName(r.Name, recordName));
  const value = record?.ResourceRecords?.[0]?.Value;
  return value ? value.replace(/\.$/, '') : null;
}

/** The ChangeBatch comment: who changed the record and why (max 256 characters). */
export function changeComment(database: string, incidentId: string, epoch: number): string {
  return `rds-failover ${database}: incident ${incidentId}, epoch ${epoch}`.slice(0, 256);
}

/** Route 53 returns `/change/C2682N5HXP0BZ4`; GetChange takes the bare id. */
export const bareChangeId = (id: string): string => id.replace(/^\/change\//, '');
