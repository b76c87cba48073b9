/**
 * Who is calling: the drill runner wraps each Lambda invocation / probe in
 * `twinContext.run({ vantage, region, principal }, fn)`. The SDK twin reads the principal from it
 * (IAM), the SQL connector reads the vantage point and its Region (network partitions, outages).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Principal } from './iam.js';

export interface TwinCallContext {
  /** Vantage point name (a probe site, `heartbeat-in-region`, `app`, ...). */
  readonly vantage?: string;
  /** Region the caller runs in (a Lambda function's Region). */
  readonly region?: string;
  /** IAM identity of the caller; absent = the IAM check is skipped (and counted as unchecked). */
  readonly principal?: Principal;
  /** Function name, for the write log and the timeline. */
  readonly functionName?: string;
}

/** The async call context. Export name is a contract for the drill runner. */
export const twinContext = new AsyncLocalStorage<TwinCallContext>();

/** The current caller, or an anonymous one. */
export const currentCaller = (): TwinCallContext => twinContext.getStore() ?? {};
