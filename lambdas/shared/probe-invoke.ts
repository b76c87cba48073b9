/**
 * Invokes the probe function of a vantage point (`<prefix>-probe` in its Region, RequestResponse):
 * the verification's remote vantage points (probe-vantage) and the failback's check that clients
 * reach the rebuilt original site (check-replica). The Lambda client loads on first use.
 */
import type * as z from 'zod/mini';
import { awsErrorName } from './aws-errors.js';
import { regional } from './clients.js';
import type { probeInput } from './contracts.js';
import { lazy } from './lazy.js';

/** What the invoke returned, or how it failed. */
export type InvokeResult = { functionError?: string; payload: string } | { error: string };

export const lambdaSdk = lazy(() => import('@aws-sdk/client-lambda'));

/** An error as `Name: message`. */
export const errorText = (err: unknown): string => `${awsErrorName(err)}: ${(err as Error)?.message ?? String(err)}`;

/** The probe's answer (payload, function error) or why the invoke failed; never throws. */
export async function invokeProbe(functionName: string, region: string, input: z.input<typeof probeInput>): Promise<InvokeResult> {
  const { InvokeCommand, LambdaClient } = await lambdaSdk();
  const lambda = regional(LambdaClient, region);
  try {
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(input)) }),
    );
    const payload = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    return out.FunctionError ? { functionError: out.FunctionError, payload } : { payload };
  } catch (err) {
    return { error: errorText(err) };
  }
}
