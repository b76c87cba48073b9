/**
 * DB instance states (DescribeDBInstances `DBInstanceStatus`) that decide whether a replica can be
 * promoted: the promotion itself and the data-loss check before the fence judge them one way.
 */

/** States a replica cannot be promoted from, and will not leave by waiting. */
const TERMINAL_STATUSES = new Set(['failed', 'stopped', 'storage-full', 'restore-error', 'deleting', 'delete-precheck']);
const TERMINAL_PREFIXES = ['incompatible-', 'inaccessible-'];

/** True when no promotion (or scale-up) of an instance in this state can succeed, now or by waiting. */
export const isTerminalStatus = (status: string): boolean => TERMINAL_STATUSES.has(status) || TERMINAL_PREFIXES.some((p) => status.startsWith(p));
