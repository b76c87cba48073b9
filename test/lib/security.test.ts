/**
 * The claims of SECURITY.md that the synthesized templates can prove: IAM least privilege (every
 * statement with Resource "*" is in an allow-list with the reason, and no other), encryption at
 * rest with the product's customer managed key (table, topic, dead-letter queues, log groups,
 * signing secret), key rotation, a TLS-only topic policy, the approval page's function URL, no
 * resource policy that lets another account put events on the product bus, execution data kept
 * out of the state machines' logs, and no secret value in any function's environment. Checked on
 * the example config and on the wide config (every engine, readiness, IAM auth, VPCs).
 */
import { describe, expect, it } from 'vitest';
import { securityHeaders } from '../../lambdas/approval-page/core.js';
import { isSensitiveKey, stripSensitive } from '../../lambdas/shared/redact.js';
import { synthApp, type SynthesizedApp } from '../helpers/synth.js';
import { wideConfig } from './configs.js';

/**
 * The only statements allowed to name Resource "*": actions that have no resource-level
 * permissions (IAM's Service Authorization Reference lists no resource type for them), or whose
 * resource is only known at run time, each narrowed by a condition where IAM has one.
 */
const STAR_ALLOW_LIST: Array<{ actions: string[]; condition?: Record<string, unknown>; reason: string }> = [
  { actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], reason: 'Lambda active tracing: X-Ray writes have no resource type' },
  {
    actions: ['xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
    reason: 'Step Functions tracing: X-Ray actions have no resource type',
  },
  {
    actions: [
      'logs:CreateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:DescribeLogGroups',
      'logs:DescribeResourcePolicies',
      'logs:GetLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:UpdateLogDelivery',
    ],
    reason: 'Step Functions logging to CloudWatch Logs: the log-delivery actions have no resource type (AWS documents Resource "*")',
  },
  { actions: ['cloudwatch:GetMetricData'], reason: 'GetMetricData has no resource type (replica lag, Aurora RPO lag)' },
  {
    actions: ['cloudwatch:PutMetricData'],
    condition: { StringEquals: { 'cloudwatch:namespace': 'RdsFailover' } },
    reason: 'PutMetricData has no resource type; limited to the product namespace',
  },
  { actions: ['ec2:DescribeSecurityGroups'], reason: 'EC2 Describe* actions have no resource-level permissions' },
  { actions: ['ec2:DescribeSecurityGroupRules'], reason: 'EC2 Describe* actions have no resource-level permissions' },
  {
    actions: ['cloudwatch:DescribeAlarmHistory', 'cloudwatch:DescribeAlarms'],
    reason:
      'shift-traffic, only when the config names gating alarms: CloudWatch returns composite alarms and their history only to a permission on "*" (read-only)',
  },
  {
    actions: ['logs:CreateLogDelivery', 'logs:DescribeLogGroups', 'logs:DescribeResourcePolicies', 'logs:PutResourcePolicy'],
    reason: 'FIS experiment roles (game days): experiment logs are a vended log delivery, whose actions have no resource type',
  },
  {
    actions: ['ec2:DescribeManagedPrefixLists', 'ec2:DescribeNetworkAcls', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs', 'ec2:GetManagedPrefixListEntries'],
    reason: 'FIS disrupt-connectivity experiment role (game days): EC2 Describe* and GetManagedPrefixListEntries have no resource-level permissions',
  },
  { actions: ['states:SendTaskSuccess'], reason: 'SendTaskSuccess has no resource type: the task token is the capability (approval page only)' },
  {
    actions: ['fis:ListExperimentTemplates'],
    reason:
      'ListExperimentTemplates has no resource type: start-fault-experiment finds the template by its tags (StartExperiment is limited to templates tagged with the prefix)',
  },
  {
    actions: ['fis:ListExperiments'],
    reason:
      "ListExperiments has no resource type: a real run of a drill pair finds the pair's experiments still running (StopExperiment is limited to experiments tagged with the prefix)",
  },
  {
    actions: [
      'ec2:AssignPrivateIpAddresses',
      'ec2:CreateNetworkInterface',
      'ec2:DeleteNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'ec2:UnassignPrivateIpAddresses',
    ],
    reason:
      "VPC-attached functions only (config `networks`): Lambda's network interfaces, as AWS's AWSLambdaVPCAccessExecutionRole grants them (the interfaces' ids are not known in advance)",
  },
];
/**
 * Also allowed, with a condition that limits it to calls made by RDS in the sites' Regions; a
 * grant, moreover, only for RDS's own use of the key (kms:GrantIsForAWSResource).
 */
const KMS_VIA_RDS = {
  actions: ['kms:CreateGrant', 'kms:DescribeKey'],
  reason:
    "rebuild-replica: the old primary's KMS key is only known at run time; kms:ViaService limits it to RDS, kms:GrantIsForAWSResource its grants to RDS's own use",
};

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, unknown>;
  Principal?: unknown;
}
const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every statement of every identity policy of every stack, with where it is. */
function identityStatements(app: SynthesizedApp): Array<{ where: string; statement: Statement }> {
  return Object.values(app.stacks).flatMap((stack) =>
    stack
      .resources('AWS::IAM::Policy')
      .flatMap(([id, r]) =>
        ((r.Properties!.PolicyDocument as { Statement: Statement[] }).Statement ?? []).map((statement) => ({ where: `${stack.name}/${id}`, statement })),
      ),
  );
}

const allowed = (s: Statement): string | undefined => {
  const actions = list(s.Action).sort();
  const hit = STAR_ALLOW_LIST.find(
    (a) => JSON.stringify([...a.actions].sort()) === JSON.stringify(actions) && JSON.stringify(a.condition ?? null) === JSON.stringify(s.Condition ?? null),
  );
  if (hit) return hit.reason;
  const viaRds = (s.Condition?.StringEquals as Record<string, unknown> | undefined)?.['kms:ViaService'];
  const forAwsResource = (s.Condition?.Bool as Record<string, unknown> | undefined)?.['kms:GrantIsForAWSResource'] === 'true';
  if (
    actions.length === 1 &&
    KMS_VIA_RDS.actions.includes(actions[0]!) &&
    (actions[0] !== 'kms:CreateGrant' || forAwsResource) &&
    list(viaRds as string[]).length > 0 &&
    list(viaRds as string[]).every((v) => /^rds\.[a-z0-9-]+\.amazonaws\.com$/.test(v))
  ) {
    return KMS_VIA_RDS.reason;
  }
  return undefined;
};

/** The wide config whose first database drains its traffic records gated on a named alarm. */
function gatedDrainConfig() {
  const c = wideConfig() as unknown as { databases: Array<Record<string, unknown>> };
  c.databases[0]!.traffic = {
    hostedZoneId: 'Z0APPZONE',
    recordName: 'app.orders.example.com',
    type: 'CNAME',
    targets: [
      { region: 'us-east-1', setIdentifier: 'use1', value: 'lb-use1.example.com' },
      { region: 'us-west-2', setIdentifier: 'usw2', value: 'lb-usw2.example.com' },
    ],
    alarmNames: ['orders-app-health'],
  };
  return c as never;
}

describe.each([
  ['the example config', () => synthApp()],
  ['the wide config', () => synthApp({ config: wideConfig() })],
  ['a config whose drain gates on named alarms', () => synthApp({ config: gatedDrainConfig() })],
  ['the game-day config (FIS experiment roles)', () => synthApp({ config: 'test/fixtures/configs/game-day.json' })],
])('SECURITY.md claims on %s', (_name, synth) => {
  const app = synth();
  const stacks = Object.values(app.stacks);
  const control = app.control;
  const keyIds = control.resources('AWS::KMS::Key').map(([id]) => id);
  const isControlKey = (ref: unknown) =>
    JSON.stringify(ref)
      .match(/"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]|"Ref":"([A-Za-z0-9]+)"/)
      ?.slice(1)
      .some((id) => id && keyIds.includes(id)) ?? false;

  it('IAM: every Allow with Resource "*" is an action without a resource type (allow-listed with its reason); no action is "*"', () => {
    const stars = identityStatements(app).filter(({ statement }) => list(statement.Resource).includes('*'));
    expect(stars.length).toBeGreaterThan(0);
    for (const { where, statement } of stars) {
      expect(statement.Effect, where).toBe('Allow');
      expect(allowed(statement), `${where}: ${JSON.stringify(statement)}`).toBeDefined();
    }
    for (const { where, statement } of identityStatements(app)) {
      expect(
        list(statement.Action).filter((a) => a === '*' || a.endsWith(':*')),
        where,
      ).toEqual([]);
    }
  });

  it("IAM: narrowed by condition keys: record changes to the configured records, items to their owners' partitions, Aurora reboots to the configured engines, grants to AWS resources", () => {
    const statements = identityStatements(app);
    const withAction = (action: string) => statements.filter(({ statement }) => statement.Effect === 'Allow' && list(statement.Action).includes(action));
    const records = app.config.databases
      .flatMap((db) => [db.dns.recordName, ...(db.traffic ? [db.traffic.recordName] : [])])
      .map((n) => n.toLowerCase().replace(/\.$/, ''));
    const changes = withAction('route53:ChangeResourceRecordSets');
    expect(changes.length).toBeGreaterThan(0);
    for (const { where, statement } of changes) {
      const all = (statement.Condition?.['ForAllValues:StringEquals'] ?? {}) as Record<string, string[]>;
      expect(list(statement.Action), where).toEqual(['route53:ChangeResourceRecordSets']);
      expect(all['route53:ChangeResourceRecordSetsActions'], where).toEqual(['UPSERT']);
      expect(all['route53:ChangeResourceRecordSetsRecordTypes']?.length, where).toBeGreaterThan(0);
      expect(all['route53:ChangeResourceRecordSetsNormalizedRecordNames']?.length, where).toBeGreaterThan(0);
      for (const name of all['route53:ChangeResourceRecordSetsNormalizedRecordNames'] ?? []) expect(records, where).toContain(name);
    }
    const items = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:Scan'].flatMap(withAction);
    expect(items.length).toBeGreaterThan(0);
    for (const { where, statement } of items) {
      const keys = (
        (statement.Condition?.['ForAllValues:StringEquals'] ?? statement.Condition?.['ForAllValues:StringLike']) as Record<string, string[]> | undefined
      )?.['dynamodb:LeadingKeys'];
      expect(keys, `${where}: ${JSON.stringify(statement)}`).toBeDefined();
      const onIndex = list(statement.Resource).every((r) => r.endsWith('/index/pending'));
      if (onIndex) {
        // request-approval lists the configured databases' pending questions (a new trigger withdraws a verdict question).
        expect(where).toContain('RequestApproval');
        expect(list(statement.Action), where).toEqual(['dynamodb:Query']);
        expect(keys!.sort(), where).toEqual(app.config.databases.map((db) => db.name).sort());
        continue;
      }
      expect(
        keys!.every((k) => /^(DB#[a-z][a-z0-9-]*|FENCE#\*|INCIDENT#\*|APPROVAL#\*)$/.test(k)),
        where,
      ).toBe(true);
      expect(
        list(statement.Action).filter((a) => a === 'dynamodb:Scan' || a === 'dynamodb:Query'),
        where,
      ).toEqual([]);
    }
    const anyInstance = withAction('rds:RebootDBInstance').filter(({ statement }) => list(statement.Resource).some((r) => r.endsWith(':db:*')));
    expect(anyInstance.length > 0).toBe(app.config.databases.some((db) => db.engine.startsWith('aurora-')));
    for (const { where, statement } of anyInstance) {
      expect(statement.Condition, where).toEqual({ StringEquals: { 'rds:DatabaseEngine': expect.arrayContaining([expect.stringMatching(/^aurora-/)]) } });
    }
    for (const { where, statement } of withAction('kms:CreateGrant')) {
      expect(statement.Condition?.Bool, where).toEqual({ 'kms:GrantIsForAWSResource': 'true' });
    }
  });

  it('IAM: the table, topic, bus, secrets and state machines are named by ARN, never by "*"', () => {
    const scopedPrefixes = ['dynamodb:', 'sns:', 'events:', 'secretsmanager:', 'states:StartExecution', 'rds:', 'route53:', 'lambda:', 'sqs:'];
    for (const { where, statement } of identityStatements(app)) {
      if (!list(statement.Resource).includes('*')) continue;
      for (const action of list(statement.Action)) {
        expect(
          scopedPrefixes.some((p) => action.startsWith(p)),
          `${where}: ${action} on "*"`,
        ).toBe(false);
      }
    }
  });

  it('encryption at rest: the state table with the customer managed key, point-in-time recovery on', () => {
    const tables = control.resources('AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    const sse = tables[0]![1].Properties!.SSESpecification as { SSEEnabled: boolean; SSEType: string; KMSMasterKeyId: unknown };
    expect(sse).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
    expect(isControlKey(control.template.Resources[tables[0]![0]]!.Properties!.SSESpecification)).toBe(true);
    expect(tables[0]![1].Properties!.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('encryption at rest: the topic with the key, and a TLS-only topic policy (Deny when aws:SecureTransport is false)', () => {
    const topics = Object.entries(control.template.Resources).filter(([, r]) => r.Type === 'AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    for (const [id, topic] of topics) {
      expect(isControlKey(topic.Properties!.KmsMasterKeyId), id).toBe(true);
    }
    const policies = control.resources('AWS::SNS::TopicPolicy');
    expect(policies.length).toBeGreaterThan(0);
    for (const [, p] of policies) {
      const statements = (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement;
      expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    }
  });

  it('encryption at rest: every dead-letter queue with KMS and a TLS-only policy', () => {
    for (const stack of stacks) {
      for (const [id, q] of Object.entries(stack.template.Resources).filter(([, r]) => r.Type === 'AWS::SQS::Queue')) {
        expect(q.Properties!.KmsMasterKeyId, `${stack.name}/${id}`).toBeDefined();
      }
      expect(stack.resources('AWS::SQS::QueuePolicy').length, stack.name).toBe(stack.resources('AWS::SQS::Queue').length);
      for (const [id, p] of stack.resources('AWS::SQS::QueuePolicy')) {
        const statements = (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement;
        expect(statements, `${stack.name}/${id}`).toContainEqual(
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        );
      }
    }
  });

  it('encryption at rest: every log group of every stack with a KMS key and a retention', () => {
    let n = 0;
    for (const stack of stacks) {
      for (const [id, lg] of stack.resources('AWS::Logs::LogGroup')) {
        n++;
        expect(lg.Properties!.KmsKeyId, `${stack.name}/${id}`).toBeDefined();
        expect(lg.Properties!.RetentionInDays, `${stack.name}/${id}`).toBeGreaterThan(0);
      }
    }
    expect(n).toBeGreaterThanOrEqual(app.functions.length);
  });

  it('every KMS key rotates, and the signing secret is encrypted with the control key', () => {
    for (const stack of stacks)
      for (const [id, k] of stack.resources('AWS::KMS::Key')) expect(k.Properties!.EnableKeyRotation, `${stack.name}/${id}`).toBe(true);
    const secrets = Object.entries(control.template.Resources).filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(1);
    expect(isControlKey(secrets[0]![1].Properties!.KmsKeyId)).toBe(true);
    expect(secrets[0]![1].Properties!.GenerateSecretString).toMatchObject({ PasswordLength: 64 });
    expect(secrets[0]![1].Properties!.SecretString).toBeUndefined();
  });

  it("the approval page's function URL is the only one, without IAM auth: the signed link is the credential", () => {
    const urls = stacks.flatMap((s) => s.resources('AWS::Lambda::Url'));
    expect(urls).toHaveLength(1);
    expect(urls[0]![1].Properties!.AuthType).toBe('NONE');
    const page = app.functions.find((f) => f.folder === 'approval-page')!;
    expect(JSON.stringify(urls[0]![1].Properties!.TargetFunctionArn)).toContain(page.functionName);
    // The page's role: read and answer approvals, read its signing key; nothing that acts on databases or DNS.
    const actions = new Set(page.statements.flatMap((s) => s.Action));
    expect([...actions].filter((a) => /^(rds|route53|ec2|cloudformation|events|sns):/.test(a))).toEqual([]);
    expect([...actions].filter((a) => a.startsWith('dynamodb:')).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
  });

  it('the product bus has no resource policy (no other account can put events on it)', () => {
    for (const stack of stacks) {
      expect(stack.resources('AWS::Events::EventBusPolicy'), stack.name).toEqual([]);
      for (const [id, bus] of stack.resources('AWS::Events::EventBus')) expect(bus.Properties!.Policy, `${stack.name}/${id}`).toBeUndefined();
    }
  });

  it('the state machines log without execution data (task tokens and inputs stay out of CloudWatch Logs)', () => {
    const machines = control.resources('AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(2);
    for (const [id, m] of machines) expect(m.Properties!.LoggingConfiguration, id).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
  });

  it('no function environment holds a secret value: secrets are passed by ARN', () => {
    let checked = 0;
    for (const stack of stacks) {
      const secretIds = Object.entries(stack.template.Resources)
        .filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret')
        .map(([id]) => id);
      for (const [id, fn] of Object.entries(stack.template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function')) {
        const vars = ((fn.Properties!.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
        for (const [k, v] of Object.entries(vars)) {
          if (!isSensitiveKey(k)) continue;
          checked++;
          // Either a reference to the stack's own secret resource (its ARN) or a literal Secrets Manager ARN.
          const ref = (v as { Ref?: string } | null)?.Ref;
          if (ref !== undefined) expect(secretIds, `${stack.name}/${id} ${k}`).toContain(ref);
          else expect(v, `${stack.name}/${id} ${k}`).toMatch(/^arn:aws[a-z-]*:secretsmanager:/);
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe('runtime controls SECURITY.md names', () => {
  it('redaction drops tokens, secrets and passwords at any depth before storing, publishing or logging', () => {
    expect(stripSensitive({ a: 1, taskToken: 't', nested: [{ dbPassword: 'p', ok: true, SecretString: 's' }] })).toEqual({ a: 1, nested: [{ ok: true }] });
  });

  it('the approval page sends the security headers on every response', () => {
    expect(securityHeaders()).toMatchObject({
      'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    });
    expect(securityHeaders()['Content-Security-Policy']).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
  });
});
