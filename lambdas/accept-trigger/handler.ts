/**
 * accept-trigger: the first state of the failover workflow. Checks that the event is a genuine
 * trigger for this database and derives the incident id, approval timeout and probe rounds.
 * No side effects at all: a refused trigger ({@link InvalidTriggerError}) changes nothing.
 *
 * Env: RESOURCE_PREFIX (default "failover"; names the trigger alarms).
 */
import * as z from 'zod';
import { acceptTriggerInput, acceptTriggerOutput, type AcceptTriggerOutput } from '../shared/contracts.js';
import { InvalidInputError } from '../shared/errors.js';
import { acceptTrigger } from './core.js';

const PREFIX = process.env.RESOURCE_PREFIX || 'failover';

export const handler = async (event: unknown): Promise<AcceptTriggerOutput> => {
  const input = acceptTriggerInput.safeParse(event);
  if (!input.success) throw new InvalidInputError(`accept-trigger input is invalid: ${z.prettifyError(input.error)}`);
  const { database, event: trigger, executionId } = input.data;
  return acceptTriggerOutput.parse(acceptTrigger(database, trigger, { prefix: PREFIX, executionId, now: new Date() }));
};
