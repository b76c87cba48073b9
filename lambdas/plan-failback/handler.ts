/**
 * plan-failback: the failback's derived numbers (approval timeout in seconds, bounds of every wait
 * loop, the traffic drain steps), computed once at the start of the run. Pure: no AWS call.
 *
 * Env: none.
 */
import { planFailbackInput, planFailbackOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { planFailback } from './core.js';

export const handler = defineHandler('plan-failback', { input: planFailbackInput, output: planFailbackOutput }, async (input) => {
  return planFailback(input.database);
});
