/**
 * Lambda concurrency in a drill: with an account concurrency too small for the probe fan-out (3,
 * of which the approval page reserves 2),
 * Step Functions' synchronous invocations past it fail with `Lambda.TooManyRequestsException`
 * (docs/aws-behaviour.md "API request quotas"), the workflow's Lambda service retry takes them,
 * and the hot crash still fails over with every invariant held.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import type { DrillFacts } from '../../../twin/drill/measure.js';
import { runDrill } from '../../../twin/drill/run.js';
import { exitStatus } from '../../../twin/report/judge.js';
import { loadScenarioFile } from '../../../twin/scenario/index.js';
import type { World } from '../../../twin/world.js';

const DIR = fileURLToPath(new URL('../../../scenarios/', import.meta.url));

it('a throttled task invocation is Lambda.TooManyRequestsException, retried; the hot crash still fails over', async () => {
  let world: World | undefined;
  let facts: DrillFacts | undefined;
  let reserved: string[] = [];
  const report = await runDrill(loadScenarioFile(join(DIR, 'crash-hot.json')), {
    seed: 1,
    onDeployed: (w, d) => {
      reserved = d.lambdas
        .all()
        .filter((f) => f.fn.reservedConcurrency !== undefined)
        .map((f) => `${f.fn.folder}=${f.fn.reservedConcurrency}`);
      // the approval page reserves 2 (approvals.pageReservedConcurrency): 1 left for every other
      // function, so the probes' fan-out is throttled
      w.lambda.accountConcurrency = 3;
    },
    onFinish: (w, _d, f) => {
      world = w;
      facts = f;
    },
  });
  // the template's ReservedConcurrentExecutions reached the twin's Lambda
  expect(reserved).toEqual(['approval-page=2']);
  expect(Object.values(world!.lambda.throttled).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  // the probes' fan-out (a failed heartbeat's own trigger, accept-trigger, may be throttled too)
  expect(Object.keys(world!.lambda.throttled)).toEqual(expect.arrayContaining(['failover-probe', 'failover-probe-vantage']));
  const throttledSteps = facts!.executions.flatMap((e) => e.steps).filter((s) => s.error?.name === 'Lambda.TooManyRequestsException');
  expect(throttledSteps.length).toBeGreaterThan(0);
  expect(report.outcome).toBe('failed-over');
  expect(exitStatus(report)).toBe(0);
}, 120_000);
