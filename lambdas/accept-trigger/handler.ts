/**
 * accept-trigger: the first state of the failover workflow. Checks that the event is a genuine
 * trigger for this database and derives the incident id, approval timeout and probe rounds.
 * No side effects at all: a refused trigger ({@link InvalidTriggerError}) changes nothing.
 *
 * Env: RESOURCE_PREFIX (default "failover"; names the trigger alarms).
 */
import { acceptTriggerInput, acceptTriggerOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { acceptTrigger } from './core.js';

const PREFIX = process.env.RESOURCE_PREFIX || 'failover';

export const handler = defineHandler('accept-trigger', { input: acceptTriggerInput, output: acceptTriggerOutput }, async (input) => {
  const { database, event: trigger, executionId } = input;
  return acceptTrigger(database, trigger, { prefix: PREFIX, executionId, now: new Date() });
});
