/**
 * plan-failback: the failback's derived numbers (approval timeout in seconds, bounds of every wait
 * loop, the traffic drain steps), computed once at the start of the run. Pure: no AWS call.
 *
 * Env: none.
 */
import * as z from 'zod';
import { planFailbackInput, planFailbackOutput, type PlanFailbackOutput } from '../shared/contracts.js';
import { InvalidInputError } from '../shared/errors.js';
import { planFailback } from './core.js';

export const handler = async (event: unknown): Promise<PlanFailbackOutput> => {
  const parsed = planFailbackInput.safeParse(event);
  if (!parsed.success) throw new InvalidInputError(`plan-failback: invalid input: ${z.prettifyError(parsed.error)}`);
  return planFailbackOutput.parse(planFailback(parsed.data.database));
};
