/**
 * The pieces of the drill runner: the deployment into a world, the Lambda runtime (one module
 * instance per deployed function, with its own environment and IAM identity), the Task resource
 * routing and the Step Functions error names, and the one-drill-per-process guard.
 */
import { describe, expect, it } from 'vitest';
import { runDrill } from '../../../twin/drill/run.js';
import { lambdaTaskErrorName, sdkIntegrationError, taskKind } from '../../../twin/drill/sfn-runtime.js';
import { awsError } from '../../../twin/errors.js';
import { resolveConfig } from '../../../twin/scenario/index.js';
import { scenarioOf } from './helpers.js';
import { useDeployedTwin } from '../../helpers/deployed-twin.js';

describe('deploy + the Lambda runtime', () => {
  // Wall-clock world: the handlers run here without fake timers, and timestamp their metrics with Date.
  const twin = useDeployedTwin({ seed: 3, wallClock: true });

  it('registers every function of every stack with its own handler module instance and environment', () => {
    const hb = twin.deployment.lambdas.get('us-east-1', 'failover-heartbeat-in-region')!;
    const control = twin.deployment.lambdas.get('us-west-2', 'failover-heartbeat')!;
    expect(hb.module).toBeDefined();
    expect(hb.module).not.toBe(control.module);
    expect(hb.env).toMatchObject({ AWS_REGION: 'us-east-1', AWS_LAMBDA_FUNCTION_NAME: 'failover-heartbeat-in-region' });
    expect(control.env).toMatchObject({ AWS_REGION: 'us-west-2', TABLE_NAME: 'failover-state' });
    expect(
      new Set(
        twin.deployment.lambdas
          .all()
          .filter((f) => f.fn.folder === 'probe')
          .map((f) => f.fn.region),
      ),
    ).toEqual(new Set(['us-east-1', 'us-west-2', 'eu-west-1']));
    expect(hb.principal.arn).toBe('arn:aws:sts::123456789012:assumed-role/failover-signal-us-east-1-SignalsHeartbeatRoleFAD136AB/failover-heartbeat-in-region');
  });

  it('each heartbeat publishes to its own Region (the Region it was deployed with), through the DNS name, as its role', async () => {
    const payload = (site: string) =>
      JSON.stringify({
        site,
        database: 'orders',
        engine: 'postgres',
        host: 'writer.orders.internal',
        port: 5432,
        secretArn: resolveConfig().config.databases[0]!.credentials!.secretArn,
        databaseName: 'orders',
      });
    for (const [region, name, site] of [
      ['us-east-1', 'failover-heartbeat-in-region', 'in-region'],
      ['us-west-2', 'failover-heartbeat', 'cross-region'],
    ] as const) {
      const out = (await twin.world.call('lambda', 'Invoke', { FunctionName: name, Payload: payload(site) }, { region })) as {
        Payload: Uint8Array;
        FunctionError?: string;
      };
      const result = JSON.parse(Buffer.from(out.Payload).toString('utf8')) as { ok: boolean; error?: string };
      expect(out.FunctionError, JSON.stringify(result)).toBeUndefined();
      expect(result).toMatchObject({ ok: true });
      const stats = (await twin.world.call(
        'cloudwatch',
        'GetMetricStatistics',
        {
          Namespace: 'RdsFailover',
          MetricName: 'HeartbeatSuccess',
          Dimensions: [
            { Name: 'Database', Value: 'orders' },
            { Name: 'Site', Value: site },
          ],
          StartTime: new Date(twin.world.startMs - 3600_000),
          EndTime: new Date(Date.now() + 3600_000),
          Period: 60,
          Statistics: ['Maximum'],
        },
        { region },
      )) as { Datapoints: Array<{ Maximum: number }> };
      expect(
        stats.Datapoints.some((d) => d.Maximum === 1),
        `${name} in ${region}`,
      ).toBe(true);
    }
    // The heartbeats' writes reached the primary, as each function's own vantage point.
    expect(twin.world.network.writes.filter((w) => w.target === 'orders-primary').map((w) => w.vantage)).toEqual(
      expect.arrayContaining(['failover-heartbeat-in-region', 'failover-heartbeat']),
    );
  });

  it('an injected failure of a function folder fails its next invocation as an unhandled function error', async () => {
    twin.world.lambdaError('evaluate-verdict', 1);
    const call = () =>
      twin.world.call(
        'lambda',
        'Invoke',
        { FunctionName: 'failover-evaluate-verdict', Payload: JSON.stringify({ quorum: 1, rounds: [] }) },
        { region: 'us-west-2' },
      ) as Promise<{ FunctionError?: string; Payload: Uint8Array }>;
    const failed = await call();
    expect(failed.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(failed.Payload).toString('utf8'))).toMatchObject({ errorType: 'InjectedFunctionFailure' });
    const next = await call();
    expect(next.FunctionError).toBeUndefined();
  });

  it('deploys the customer resources: replica of the primary, writer CNAME, secret, security groups', () => {
    expect(twin.world.rds.getInstance('orders-replica', 'us-west-2')?.source).toEqual({ region: 'us-east-1', id: 'orders-primary' });
    expect(twin.world.route53.resolve('writer.orders.internal')?.final).toBe('orders-primary.c0abcdefghij.us-east-1.rds.amazonaws.com.');
    expect(twin.world.ec2.hasGroup('us-east-1', 'sg-0a1b2c3d4e5f60718')).toBe(true);
    expect(twin.deployment.databases.orders!.login.user).toBe('postgres');
  });
});

describe('Task resources and Step Functions error names', () => {
  it.each([
    ['ServiceException', 'ServiceException'],
    ['TooManyRequestsException', 'TooManyRequestsException'],
    ['ResourceNotFoundException', 'ResourceNotFoundException'],
    ['TimeoutError', 'SdkClientException'],
    ['AccessDeniedException', 'AWSLambdaException'],
    ['InternalFailure', 'AWSLambdaException'],
    ['ServiceUnavailable', 'AWSLambdaException'],
    ['InternalServerError', 'AWSLambdaException'],
    [undefined, 'AWSLambdaException'],
  ])('a Lambda Invoke that fails with %s reaches the state machine as Lambda.%s', (code, name) => {
    expect(lambdaTaskErrorName(code)).toBe(name);
  });

  it('routes each Resource the product uses, and refuses the others', () => {
    expect(taskKind('arn:aws:lambda:us-west-2:123456789012:function:failover-fence-primary')).toEqual({ kind: 'lambda', direct: true });
    expect(taskKind('arn:aws:states:::lambda:invoke.waitForTaskToken')).toEqual({ kind: 'callback' });
    expect(taskKind('arn:aws:states:::aws-sdk:route53:getChange')).toEqual({ kind: 'sdk', service: 'route53', operation: 'GetChange', prefix: 'Route53' });
    expect(taskKind('arn:aws:states:::states:startExecution')).toEqual({ kind: 'start-execution' });
    expect(taskKind('arn:aws:states:::sns:publish')).toEqual({ kind: 'optimized', service: 'sns', operation: 'Publish' });
    expect(taskKind('arn:aws:states:::states:startExecution.sync:2')).toBeUndefined();
    expect(taskKind('arn:aws:states:::aws-sdk:s3:getObject')).toBeUndefined();
  });

  it('names SDK integration errors <Service>.<Exception>, unmodelled codes <Service>.<Service>Exception', () => {
    const modelled = sdkIntegrationError('Route53', awsError('route53', 'NoSuchChange', 'A change with the specified change ID does not exist.'));
    expect(modelled.name).toBe('Route53.NoSuchChangeException');
    expect(modelled.message).toMatch(/Status Code: 404, Error Code: NoSuchChange/);
    expect(sdkIntegrationError('Route53', awsError('route53', 'Throttling', 'Rate exceeded')).name).toBe('Route53.Route53Exception');
    expect(sdkIntegrationError('Route53', awsError('route53', 'AccessDenied', 'User: x is not authorized')).name).toBe('Route53.Route53Exception');
  });
});

describe('runDrill', () => {
  it('runs one drill at a time in a process (the global timers are taken)', async () => {
    const scenario = scenarioOf({ name: 'short', runFor: '2m' });
    const first = runDrill(scenario);
    await expect(runDrill(scenario)).rejects.toThrow(/already running/);
    expect((await first).outcome).toBe('no-failover');
    expect((await runDrill(scenario)).outcome).toBe('no-failover');
  });
});
