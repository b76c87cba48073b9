/**
 * One observation of the primary from one vantage point, as the verification Map needs it. Pure:
 * maps RDS control-plane statuses to up/down/unknown, builds the remote probe's input, and turns a
 * remote probe's answer (or its failure) into an observation. An unreachable vantage is an
 * observation (`unknown`), never an error.
 */
import * as z from 'zod/mini';
import type { DatabaseConfig } from '../shared/config-schema.js';
import { CONTROL_PLANE_VANTAGE, defaultPort } from '../shared/config-values.js';
import { probeInput, probeOutput, type ProbeVantageOutput } from '../shared/contracts.js';
import type { InvokeResult } from '../shared/probe-invoke.js';

/** Control-plane statuses in which the database serves (docs/aws-behaviour.md §1: instance and cluster statuses). */
const UP_STATUSES = new Set([
  'available',
  'backing-up',
  'modifying',
  'maintenance',
  'storage-optimization',
  'upgrading',
  'renaming',
  'resetting-master-credentials',
]);
const UP_PREFIXES = ['configuring-'];

/** Control-plane statuses in which the database does not serve. */
const DOWN_STATUSES = new Set(['failed', 'stopped', 'stopping', 'rebooting', 'storage-full', 'restore-error', 'deleting']);
const DOWN_PREFIXES = ['inaccessible-encryption-credentials', 'incompatible-'];

/**
 * up/down/unknown for an RDS instance or cluster status. Statuses that say neither (creating,
 * starting, failing-over, promoting, insufficient-capacity, anything new) are `unknown`.
 */
export function controlPlaneStatus(status: string | undefined): 'up' | 'down' | 'unknown' {
  if (!status) return 'unknown';
  const s = status.toLowerCase();
  if (UP_STATUSES.has(s) || UP_PREFIXES.some((p) => s.startsWith(p))) return 'up';
  if (DOWN_STATUSES.has(s) || DOWN_PREFIXES.some((p) => s.startsWith(p))) return 'down';
  return 'unknown';
}

/** What the control-plane call returned: a status, "not found", or an error (timeout, throttling after retries, denied). */
export type ControlPlaneResult = { status: string | undefined } | { notFound: true; error: string } | { error: string };

/** The observation of the `rds-api` vantage point. Never writes, never opens TCP. */
export function controlPlaneObservation(database: DatabaseConfig, round: number, result: ControlPlaneResult, latencyMs: number): ProbeVantageOutput {
  const base = { vantage: CONTROL_PLANE_VANTAGE, region: database.primary.region, round, tcp: false, wrote: false, latencyMs };
  if ('notFound' in result) return { ...base, status: 'down', error: result.error };
  if ('error' in result) return { ...base, status: 'unknown', error: result.error };
  const status = controlPlaneStatus(result.status);
  return status === 'up' ? { ...base, status } : { ...base, status, error: `RDS reports status "${result.status ?? '(none)'}"` };
}

/** Per-probe timeout: three of them (the probe's whole budget) stay under the 10 s request timeout of the invoke. */
export const PROBE_TIMEOUT_MS = 3_000;

/**
 * The input of the remote probe for this database and vantage point: the primary (its endpoint, else
 * the DNS name), with a heartbeat write; or `target`, an endpoint of either site, read only when
 * `write` is false (the failback's check that clients reach the rebuilt original site).
 */
export function buildProbeInput(
  database: DatabaseConfig,
  vantage: string,
  target?: { host: string; port?: number; write: boolean },
): z.input<typeof probeInput> {
  return {
    database: database.name,
    engine: database.engine,
    host: target?.host ?? database.primary.endpoint ?? database.dns.recordName,
    port: target?.port ?? database.primary.port ?? defaultPort(database.engine),
    ...(database.credentials?.secretArn ? { secretArn: database.credentials.secretArn } : {}),
    ...(database.credentials?.secretArn && database.credentials.secretReplicaRegions
      ? { secretReplicaRegions: [...database.credentials.secretReplicaRegions] }
      : {}),
    ...(database.credentials?.iamUser ? { iamUser: database.credentials.iamUser } : {}),
    ...(database.credentials?.databaseName ? { databaseName: database.credentials.databaseName } : {}),
    write: target?.write ?? true,
    timeoutMs: PROBE_TIMEOUT_MS,
    vantage,
  };
}

/**
 * The observation of a remote vantage point from its probe's answer. A function error, a payload
 * that is not a probe output, or a failed invoke is `unknown` (the vantage could not tell).
 */
export function remoteObservation(vantage: { name: string; region: string }, round: number, result: InvokeResult, latencyMs: number): ProbeVantageOutput {
  const unknown = (error: string): ProbeVantageOutput => ({
    vantage: vantage.name,
    region: vantage.region,
    round,
    status: 'unknown',
    tcp: false,
    wrote: false,
    latencyMs,
    error,
  });
  if ('error' in result) return unknown(`probe in ${vantage.region} could not be invoked: ${result.error}`);
  let body: unknown;
  try {
    body = result.payload ? JSON.parse(result.payload) : undefined;
  } catch {
    body = undefined;
  }
  if (result.functionError) {
    const { errorType, errorMessage } = (body ?? {}) as { errorType?: string; errorMessage?: string };
    return unknown(`probe in ${vantage.region} failed (${result.functionError}): ${errorType ?? 'Error'}: ${errorMessage ?? result.payload}`);
  }
  const parsed = probeOutput.safeParse(body);
  if (!parsed.success) return unknown(`probe in ${vantage.region} returned something that is not a probe result: ${result.payload.slice(0, 200)}`);
  return { ...parsed.data, vantage: vantage.name, round };
}
