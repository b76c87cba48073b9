/**
 * fence-primary as the failover workflow runs it (lib/workflow/kit/step.ts `fenceWithRecord`): the
 * first fence state gives no `saved`; a RecordOriginalsFirst is caught, record-fence merges the
 * part it carries into the table's record and returns the whole record, and the fence is invoked
 * again with that record as `saved` (and again, while it keeps asking).
 */
import type { FenceRecord } from '../../../lambdas/shared/fence-record.js';

/** A fence that still asks to keep originals after this many calls is a loop that does not end: the test fails. */
export const MAX_FENCE_CALLS = 10;

/**
 * Calls `handler` with `event` (as given: no `saved` unless the event has one), and on each
 * RecordOriginalsFirst hands the record part its message carries to `keep` (record-fence: merge it
 * into the table's record, return the whole record) and calls again with `saved` = what `keep`
 * returned. Any other error is thrown as it is.
 */
export async function fenceLikeTheWorkflow<O>(
  handler: (event: unknown) => Promise<O>,
  event: object,
  keep: (unsaved: FenceRecord, message: string) => FenceRecord,
): Promise<O> {
  let input: object = event;
  for (let call = 1; call <= MAX_FENCE_CALLS; call++) {
    try {
      return await handler(input);
    } catch (err) {
      if ((err as Error | undefined)?.name !== 'RecordOriginalsFirst') throw err;
      const { message } = err as Error;
      input = { ...event, saved: keep(JSON.parse(message) as FenceRecord, message) };
    }
  }
  throw new Error(`fence-primary still asked to keep originals after ${MAX_FENCE_CALLS} calls: the save loop does not end`);
}
