/**
 * evaluate-verdict: the quorum verdict over every round of probes (confirmed-down, healthy or
 * ambiguous), with a reason a person on call understands. Pure: parses and calls the core.
 *
 * Env: none.
 */
import { evaluateVerdictInput, evaluateVerdictOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { evaluateVerdict } from './core.js';

export const handler = defineHandler('evaluate-verdict', { input: evaluateVerdictInput, output: evaluateVerdictOutput }, async (input) => {
  return evaluateVerdict(input.rounds, input.quorum);
});
