/**
 * evaluate-verdict: the quorum verdict over every round of probes (confirmed-down, healthy or
 * ambiguous), with a reason a person on call understands. Pure: parses and calls the core.
 *
 * Env: none.
 */
import * as z from 'zod';
import { evaluateVerdictInput, evaluateVerdictOutput, type EvaluateVerdictOutput } from '../shared/contracts.js';
import { InvalidInputError } from '../shared/errors.js';
import { evaluateVerdict } from './core.js';

export const handler = async (event: unknown): Promise<EvaluateVerdictOutput> => {
  const parsed = evaluateVerdictInput.safeParse(event);
  if (!parsed.success) throw new InvalidInputError(`evaluate-verdict input is invalid: ${z.prettifyError(parsed.error)}`);
  return evaluateVerdictOutput.parse(evaluateVerdict(parsed.data.rounds, parsed.data.quorum));
};
