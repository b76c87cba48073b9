/**
 * record-fence's decisions, on plain data: what a caught RecordOriginalsFirst asks to keep, and
 * the fence record after it is merged in (lambdas/shared/fence-record.ts: the same merge the fence
 * uses to decide what is missing, so the fence's next call finds it all there).
 */
import { unsavedOfCause } from '../shared/fence-record.js';

/** The record's version (optimistic locking); undefined for an item written before versions, or none. */
export const versionOfItem = (item: Record<string, unknown> | undefined): number | undefined => (typeof item?.version === 'number' ? item.version : undefined);

/** What the caught error asks to keep: the Cause read as lambdas/shared/fence-record.ts writes it, or why it cannot be. */
export function unsavedOf(cause: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  const value = unsavedOfCause(cause);
  if (value === undefined) return { ok: false, problem: `the cause is not a fence record as JSON: ${cause.slice(0, 200)}` };
  return { ok: true, value };
}
