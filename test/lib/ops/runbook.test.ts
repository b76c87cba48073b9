/**
 * buildRunbook (lib/ops/runbook.ts): the committed example runbook is current, every AWS CLI
 * command it prints uses only flags the AWS CLI has, each engine and setting gets its own commands,
 * and the names it repeats (waiting states, alarms, dashboard, heartbeat table) are the product's.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../../bin/failover.js';
import { HEARTBEAT_TABLE } from '../../../lambdas/shared/sql.js';
import { validateConfig } from '../../../lib/config/index.js';
import { automationAlarms, buildRunbook, DASHBOARD_DETAILED_DATABASES, RUNBOOK_HEARTBEAT_TABLE, RUNBOOK_STATES } from '../../../lib/ops/runbook.js';
import { synthesizeApp } from '../../../twin/drill/synth.js';
import { drillTarget, gameDay as gameDayConfig } from '../../fixtures/databases.js';
import { fakeIo } from '../../helpers/cli-io.js';
import { auroraExample, example, ROOT, type Json } from '../config/helpers.js';
import { wideConfig } from '../configs.js';

const EXAMPLE_RUNBOOK = join(ROOT, 'docs', 'runbook-example.md');
const REFRESH = 'npx tsx bin/failover.ts runbook --config examples/config.json --out docs/runbook-example.md';

const runbookOf = (raw: Json, source = 'test.json'): string => buildRunbook(validateConfig(raw, source).config, { source });
const variant = (mutate: (c: Json) => void, base: () => Json = example): string => {
  const raw = base();
  mutate(raw);
  return runbookOf(raw);
};
/** The section of one database (up to the next database or the end). */
const section = (text: string, database: string): string => {
  const from = text.indexOf(`\n## Database ${database}\n`);
  expect(from, `no section for ${database}`).toBeGreaterThan(0);
  const next = text.indexOf('\n## Database ', from + 1);
  return text.slice(from, next < 0 ? undefined : next);
};
/** The part of a database's section between two headings. */
const part = (text: string, start: string, end?: string): string => {
  const from = text.indexOf(start);
  expect(from, `no "${start}"`).toBeGreaterThanOrEqual(0);
  const to = end ? text.indexOf(end, from) : -1;
  return text.slice(from, to < 0 ? undefined : to);
};

// ------------------------------------------------------------------ the AWS CLI commands

/**
 * The AWS CLI commands the runbook may print and the options each may take, checked against the
 * AWS CLI command reference (https://docs.aws.amazon.com/cli/latest/reference/). A command or an
 * option not here makes the test fail: add it only after checking the reference.
 */
const CLI: Record<string, readonly string[]> = {
  'sts get-caller-identity': ['query', 'output'],
  'sns list-subscriptions-by-topic': ['region', 'topic-arn', 'query', 'output'],
  'stepfunctions list-executions': ['region', 'state-machine-arn', 'status-filter', 'query', 'output'],
  'stepfunctions describe-execution': ['region', 'execution-arn', 'query', 'output'],
  'stepfunctions stop-execution': ['region', 'execution-arn', 'cause'],
  'dynamodb get-item': ['region', 'table-name', 'key', 'query', 'output'],
  'dynamodb update-item': [
    'region',
    'table-name',
    'key',
    'update-expression',
    'condition-expression',
    'expression-attribute-names',
    'expression-attribute-values',
    'return-values',
    'query',
    'output',
  ],
  'cloudwatch get-metric-statistics': ['region', 'namespace', 'metric-name', 'dimensions', 'start-time', 'end-time', 'period', 'statistics', 'query', 'output'],
  'rds describe-db-instances': ['region', 'db-instance-identifier', 'query', 'output'],
  'rds describe-db-clusters': ['region', 'db-cluster-identifier', 'query', 'output'],
  'rds describe-global-clusters': ['region', 'global-cluster-identifier', 'query', 'output'],
  'rds describe-db-instance-automated-backups': ['region', 'db-instance-identifier', 'query', 'output'],
  'rds modify-db-instance': [
    'region',
    'db-instance-identifier',
    'vpc-security-group-ids',
    'db-instance-class',
    'new-db-instance-identifier',
    'apply-immediately',
  ],
  'rds reboot-db-instance': ['region', 'db-instance-identifier'],
  'rds stop-db-instance': ['region', 'db-instance-identifier'],
  'rds promote-read-replica': ['region', 'db-instance-identifier', 'backup-retention-period'],
  'rds failover-global-cluster': ['region', 'global-cluster-identifier', 'target-db-cluster-identifier', 'allow-data-loss'],
  'rds switchover-global-cluster': ['region', 'global-cluster-identifier', 'target-db-cluster-identifier'],
  'rds create-db-snapshot': ['region', 'db-instance-identifier', 'db-snapshot-identifier'],
  'rds create-db-instance-read-replica': [
    'region',
    'db-instance-identifier',
    'source-db-instance-identifier',
    'source-region',
    'db-instance-class',
    'db-subnet-group-name',
    'vpc-security-group-ids',
    'kms-key-id',
  ],
  'rds generate-db-auth-token': ['region', 'hostname', 'port', 'username'],
  'rds wait db-instance-available': ['region', 'db-instance-identifier'],
  'rds wait db-snapshot-available': ['region', 'db-snapshot-identifier'],
  'ec2 describe-security-groups': ['region', 'group-ids', 'filters', 'query', 'output'],
  'ec2 describe-security-group-rules': ['region', 'filters', 'query', 'output'],
  'ec2 create-security-group': ['region', 'vpc-id', 'group-name', 'description', 'tag-specifications', 'query', 'output'],
  'ec2 revoke-security-group-ingress': ['region', 'group-id', 'security-group-rule-ids'],
  'ec2 authorize-security-group-ingress': ['region', 'group-id', 'ip-permissions'],
  'cloudformation describe-stacks': ['region', 'stack-name', 'query', 'output'],
  'cloudformation update-stack': ['region', 'stack-name', 'use-previous-template', 'parameters', 'capabilities', 'role-arn'],
  'cloudformation wait stack-update-complete': ['region', 'stack-name'],
  'route53 change-resource-record-sets': ['hosted-zone-id', 'change-batch', 'query', 'output'],
  'route53 wait resource-record-sets-changed': ['id'],
  'secretsmanager get-secret-value': ['region', 'secret-id', 'query', 'output'],
  'fis list-experiments': ['region', 'query', 'output'],
  'fis stop-experiment': ['region', 'id'],
};
/** Global services: every other command must name its Region. */
const GLOBAL = new Set(['sts', 'route53']);

interface CliCall {
  command: string;
  options: string[];
  text: string;
}

/** Every `aws ...` call in the runbook's shell blocks (continuation lines joined). */
function cliCalls(markdown: string): CliCall[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/\\\n/g, ' '));
  const calls: CliCall[] = [];
  for (const block of blocks) {
    for (const line of block.split('\n')) {
      const code = line.replace(/\s#\s.*$/, '');
      const starts = [...code.matchAll(/(?:^|[($;|&]\s*)aws ([a-z0-9-]+) ([a-z0-9-]+)(?: ([a-z0-9-]+))?/g)];
      starts.forEach((m, i) => {
        const end = i + 1 < starts.length ? starts[i + 1]!.index : code.length;
        const text = code.slice(m.index, end);
        const command = m[2] === 'wait' ? `${m[1]} wait ${m[3]}` : `${m[1]} ${m[2]}`;
        calls.push({ command, options: [...text.matchAll(/(?:^|\s)--([a-z0-9-]+)/g)].map((o) => o[1]!), text });
      });
    }
  }
  return calls;
}

function checkCli(markdown: string): string[] {
  const problems: string[] = [];
  for (const c of cliCalls(markdown)) {
    const allowed = CLI[c.command];
    if (!allowed) {
      problems.push(`unknown command "aws ${c.command}": ${c.text}`);
      continue;
    }
    for (const o of c.options) if (!allowed.includes(o)) problems.push(`"aws ${c.command}" has no option --${o}: ${c.text}`);
    if (!GLOBAL.has(c.command.split(' ')[0]!) && !c.options.includes('region')) problems.push(`"aws ${c.command}" without --region: ${c.text}`);
  }
  return problems;
}

// ------------------------------------------------------------------ tests

describe('docs/runbook-example.md', () => {
  it(`is what \`failover runbook --config examples/config.json\` writes now (run \`${REFRESH}\` when this fails)`, async () => {
    const io = fakeIo();
    expect(await run(['runbook', '--config', 'examples/config.json'], io.io)).toBe(0);
    expect(io.stdout(), `docs/runbook-example.md is stale: run \`${REFRESH}\``).toBe(readFileSync(EXAMPLE_RUNBOOK, 'utf8'));
  });

  it('is deterministic: the same config gives the same text', () => {
    expect(runbookOf(example(), 'examples/config.json')).toBe(runbookOf(example(), 'examples/config.json'));
  });
});

describe('failover runbook (the command)', () => {
  it('without --config or FAILOVER_CONFIG: the example config, and says so', async () => {
    const io = fakeIo();
    expect(await run(['runbook'], io.io)).toBe(0);
    expect(io.stderr()).toContain('this is the runbook of the example config');
    expect(io.stdout()).toContain('## Database orders');
  });

  it('--out writes the file; a config with problems exits 2 and writes nothing', async () => {
    const { mkdtempSync, existsSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'runbook-'));
    const ok = fakeIo();
    expect(await run(['runbook', '--config', 'examples/config.json', '--out', join(dir, 'rb.md')], ok.io)).toBe(0);
    expect(readFileSync(join(dir, 'rb.md'), 'utf8')).toBe(runbookOf(example(), 'examples/config.json'));
    const bad = example();
    bad.databases[0].dns.ttlSeconds = -1;
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
    const refused = fakeIo();
    expect(await run(['runbook', '--config', join(dir, 'bad.json'), '--out', join(dir, 'bad.md')], refused.io)).toBe(2);
    expect(refused.stderr()).toContain('databases[0].dns.ttlSeconds');
    expect(existsSync(join(dir, 'bad.md'))).toBe(false);
  });
});

/** The configs every command check runs on. */
const VARIANTS: Array<[string, () => string]> = [
  ['the example', () => runbookOf(example())],
  ['Aurora (test/fixtures/configs/aurora.json)', () => runbookOf(auroraExample())],
  ['four databases: hot, Aurora, cold MySQL, warm (test/lib/configs.ts wideConfig)', () => runbookOf(wideConfig())],
  ['fenceMethod stop', () => variant((c) => (c.databases[0].failover.fenceMethod = 'stop'))],
  ['fenceMethod revoke-ingress', () => variant((c) => (c.databases[0].failover.fenceMethod = 'revoke-ingress'))],
  ['IAM authentication, no secret', () => variant((c) => (c.databases[0].credentials = { iamUser: 'failover_probe' }))],
  ['no credentials', () => variant((c) => delete c.databases[0].credentials)],
  ['a game day', () => variant((c) => gameDay(c))],
];

describe('the AWS CLI commands', () => {
  it('the checker refuses an unknown command, an invented option and a missing Region', () => {
    const md = [
      '```sh',
      'aws rds promote-read-replica --region us-west-2 --db-instance-identifier x --force',
      'aws rds promote-everything --region x',
      'aws rds reboot-db-instance --db-instance-identifier x',
      '```',
    ].join('\n');
    expect(checkCli(md)).toEqual([
      expect.stringContaining('has no option --force'),
      expect.stringContaining('unknown command "aws rds promote-everything"'),
      expect.stringContaining('without --region'),
    ]);
  });

  it.each(VARIANTS)('%s: only known commands and options, each regional one with its Region', (_label, make) => {
    const text = make();
    expect(cliCalls(text).length).toBeGreaterThan(30);
    expect(checkCli(text)).toEqual([]);
  });

  it.each(VARIANTS)('%s: every shell block is valid bash (bash -n)', (_label, make) => {
    const blocks = [...make().matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThan(10);
    const broken = blocks.flatMap((block) => {
      const r = spawnSync('bash', ['-n'], { input: block, encoding: 'utf8' });
      return r.status === 0 ? [] : [`${r.stderr.trim()}\n${block}`];
    });
    expect(broken).toEqual([]);
  });

  it.each(VARIANTS)('%s: each DynamoDB update names and values exactly what its expressions use (DynamoDB refuses unused ones)', (_label, make) => {
    const blocks = [...make().matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/\\\n/g, ' '));
    let updates = 0;
    for (const block of blocks) {
      // the value files this block writes: `cat > F <<EOF ... EOF` and `echo '...' > F`
      const files = new Map<string, string>();
      for (const m of block.matchAll(/cat > (\S+) <<EOF\n([\s\S]*?)\nEOF/g)) files.set(m[1]!, m[2]!);
      for (const m of block.matchAll(/echo '(.*?)' > (\S+)/g)) files.set(m[2]!, m[1]!.replace(/'"\$OPERATOR"'/g, '$OPERATOR'));
      for (const line of block.split('\n').filter((l) => l.includes('aws dynamodb update-item'))) {
        updates += 1;
        const expr = [...line.matchAll(/--(?:update|condition)-expression '([^']*)'/g)].map((m) => m[1]).join(' ');
        const names = Object.keys(JSON.parse(line.match(/--expression-attribute-names '([^']*)'/)![1]!) as object);
        const valuesFile = line.match(/--expression-attribute-values file:\/\/(\S+)/)![1]!;
        const values = Object.keys(JSON.parse(files.get(valuesFile)!) as object);
        expect(
          names.filter((n) => !new RegExp(`${n}\\b`).test(expr)),
          line,
        ).toEqual([]);
        expect(
          values.filter((v) => !new RegExp(`${v}\\b`).test(expr)),
          line,
        ).toEqual([]);
        expect(
          [...expr.matchAll(/[#:][A-Za-z]+/g)].map((m) => m[0]).filter((t) => !names.includes(t) && !values.includes(t)),
          line,
        ).toEqual([]);
      }
    }
    expect(updates).toBeGreaterThan(5);
  });

  it('bash -n catches a broken block (the check can fail)', () => {
    expect(spawnSync('bash', ['-n'], { input: "DB_USER=<user>; echo 'unterminated\n", encoding: 'utf8' }).status).not.toBe(0);
  });
});

/** Adds a drill pair and a game day to the example config. */
function gameDay(c: Json): void {
  c.databases.push(drillTarget('orders-drill'));
  c.databases[0].gameDay = gameDayConfig('orders-drill', {
    faults: ['reboot-with-failover'],
    stopAlarmArns: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-errors'],
    schedule: 'cron(0 10 ? 1,4,7,10 TUE#2 *)',
  });
}

describe('buildRunbook: the commands follow the engine and the config', () => {
  it('the example (PostgreSQL, hot): promote the replica, isolate, the exact DNS change batch, psql through the record', () => {
    const text = runbookOf(example());
    const over = part(section(text, 'orders'), '### Fail over by hand', '### Fail back by hand');
    expect(over).toContain('aws rds promote-read-replica --region us-west-2 --db-instance-identifier orders-replica --backup-retention-period 7');
    expect(over).toContain(
      'aws rds modify-db-instance --region us-east-1 --db-instance-identifier orders-primary --vpc-security-group-ids $ISOLATION --apply-immediately',
    );
    expect(over).toContain('--metric-name ReplicaLag');
    expect(over).toContain('--dimensions Name=DBInstanceIdentifier,Value=orders-replica');
    const batch = over.match(/cat > orders-failover-dns\.json <<EOF\n([\s\S]*?)\nEOF/)![1]!;
    expect(JSON.parse(batch)).toEqual({
      Comment: 'orders: manual failover to orders-replica (us-west-2)',
      Changes: [
        { Action: 'UPSERT', ResourceRecordSet: { Name: 'writer.orders.internal', Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: '$NEW_WRITER' }] } },
      ],
    });
    expect(over).toContain('--hosted-zone-id Z0EXAMPLE --change-batch file://orders-failover-dns.json');
    expect(over).toContain('psql "host=writer.orders.internal port=5432 dbname=orders');
    // the secret replicated to the standby's Region is read there
    expect(over).toContain('--region us-west-2 --secret-id arn:aws:secretsmanager:us-west-2:123456789012:secret:orders/failover-probe-AbCdEf');
    expect(over).not.toMatch(/failover-global-cluster|update-stack/);
    const back = part(section(text, 'orders'), '### Fail back by hand');
    expect(back).toContain('aws rds create-db-instance-read-replica --region us-east-1 --db-instance-identifier orders-primary');
    expect(back).toContain('--source-db-instance-identifier arn:aws:rds:us-west-2:$ACCOUNT:db:orders-replica --source-region us-west-2');
    expect(back).toContain('--new-db-instance-identifier orders-primary-old-$EPOCH');
    expect(back).toContain('aws rds promote-read-replica --region us-east-1 --db-instance-identifier orders-primary');
  });

  it('Aurora (fixture aurora.json): global failover to the standby cluster ARN with data loss, revoke-ingress fence, switchover back, no instance promotion', () => {
    const text = section(runbookOf(auroraExample()), 'payments');
    const over = part(text, '### Fail over by hand', '### Fail back by hand');
    expect(over).toContain('aws rds failover-global-cluster --region us-west-2 --global-cluster-identifier payments-global');
    expect(over).toContain('--target-db-cluster-identifier arn:aws:rds:us-west-2:$ACCOUNT:cluster:payments-usw2 --allow-data-loss');
    expect(over).toContain('--metric-name AuroraGlobalDBRPOLag');
    expect(over).toContain('--dimensions Name=DBClusterIdentifier,Value=payments-usw2');
    expect(over).toContain('aws ec2 revoke-security-group-ingress --region us-east-1 --group-id $SG --security-group-rule-ids $RULES');
    expect(over).toContain('for SG in sg-0a1b2c3d4e5f60718; do');
    expect(over).toContain("--db-cluster-identifier payments-usw2 --query 'DBClusters[0].Endpoint'");
    expect(text).not.toMatch(/promote-read-replica|create-db-instance-read-replica|modify-db-instance/);
    const back = part(text, '### Fail back by hand');
    expect(back).toContain(
      'aws rds switchover-global-cluster --region us-east-1 --global-cluster-identifier payments-global --target-db-cluster-identifier arn:aws:rds:us-east-1:$ACCOUNT:cluster:payments-use1',
    );
    expect(back).toContain(
      'aws ec2 authorize-security-group-ingress --region us-east-1 --group-id sg-0a1b2c3d4e5f60718 --ip-permissions file://payments-fence-sg-0a1b2c3d4e5f60718.json',
    );
    // a switchover keeps the other cluster replicating: it is a standby at once
    expect(back).toContain('REMOVE #standbyNotReadySince');
  });

  it('cold standby (wideConfig archive, MySQL): the stack update with its parameter, role and capabilities; the replicated backups as data at risk; mysql through the record', () => {
    const text = section(runbookOf(wideConfig()), 'archive');
    const over = part(text, '### Fail over by hand', '### Fail back by hand');
    expect(over).toContain('aws cloudformation update-stack --region us-west-2 --stack-name archive-cold --use-previous-template');
    expect(over).toContain('--parameters ParameterKey=Mode,ParameterValue=active $PARAMS');
    expect(over).toContain('--query "Stacks[0].Parameters[?ParameterKey!=\'Mode\'].ParameterKey"');
    expect(over).toContain('--capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM --role-arn arn:aws:iam::210987654321:role/archive-cold-cloudformation');
    expect(over).toContain('aws cloudformation wait stack-update-complete --region us-west-2 --stack-name archive-cold');
    expect(over).toContain('aws rds describe-db-instance-automated-backups --region us-west-2 --db-instance-identifier archive-primary');
    expect(over).not.toMatch(/promote-read-replica|ReplicaLag/);
    expect(over).toContain('mysql --host=writer.archive.internal --port=3306');
    expect(over).toContain('SELECT @@global.read_only');
    // the account is in the config: no lookup
    expect(runbookOf(wideConfig())).toContain('ACCOUNT=210987654321');
  });

  it('a cold standby with another switch parameter and value uses them', () => {
    const raw = wideConfig() as Json;
    Object.assign(raw.databases[2].standby.coldStandby, { parameterName: 'Enabled', activeValue: 'true' });
    const over = part(section(runbookOf(raw), 'archive'), '### Fail over by hand', '### Fail back by hand');
    expect(over).toContain('--parameters ParameterKey=Enabled,ParameterValue=true $PARAMS');
    expect(over).toContain("[?ParameterKey!='Enabled']");
  });

  it('warm (wideConfig cart): scaled up to promotedInstanceClass after the promotion; port from the site', () => {
    const over = part(section(runbookOf(wideConfig()), 'cart'), '### Fail over by hand', '### Fail back by hand');
    expect(over).toContain(
      'aws rds modify-db-instance --region us-west-2 --db-instance-identifier cart-replica --db-instance-class db.r6g.xlarge --apply-immediately',
    );
    expect(over).not.toContain('port=6432'); // the standby site has no port override: its engine's default
  });

  it.each([
    [
      'isolate (default)',
      undefined,
      ['--group-name rds-failover-isolation', 'aws rds reboot-db-instance --region us-east-1 --db-instance-identifier orders-primary'],
      ['revoke-security-group-ingress', 'stop-db-instance'],
    ],
    [
      'stop',
      'stop',
      [
        '--group-name rds-failover-isolation',
        'aws rds stop-db-instance --region us-east-1 --db-instance-identifier orders-primary || aws rds reboot-db-instance',
      ],
      ['revoke-security-group-ingress'],
    ],
    [
      'revoke-ingress',
      'revoke-ingress',
      [
        'for SG in sg-0a1b2c3d4e5f60718; do',
        'revoke-security-group-ingress',
        'aws rds reboot-db-instance --region us-east-1 --db-instance-identifier orders-primary',
      ],
      ['rds-failover-isolation', 'stop-db-instance'],
    ],
  ])('fence method %s: its commands only', (_label, method, present, absent) => {
    const text = variant((c) => method && (c.databases[0].failover.fenceMethod = method));
    const fence = part(text, '**3. Fence the old primary**', '**4. Promote');
    for (const p of present) expect(fence).toContain(p);
    for (const a of absent) expect(fence).not.toContain(a);
  });

  it.each([
    [
      'mode manual asks "promote" and says so',
      (c: Json) => (c.databases[0].failover.mode = 'manual'),
      'Questions this database can ask: `promote`, `accept-data-loss`, `promote-unfenced`, `fail-back`',
      '| mode, budget | manual, 30 s',
    ],
    [
      'failback never: no fail-back question, the manual failback stops after the rebuild',
      (c: Json) => (c.databases[0].failback = { policy: 'never' }),
      'Questions this database can ask: `promote`, `accept-data-loss`, `promote-unfenced` (',
      'Policy `never`: stop here.',
    ],
    [
      'fencing best-effort: no unfenced question',
      (c: Json) => (c.databases[0].failover.fencing = 'best-effort'),
      'Questions this database can ask: `promote`, `accept-data-loss`, `fail-back`',
      '| fence | isolate, best-effort |',
    ],
    ['no emails: says nobody hears', (c: Json) => (c.notifications.emails = []), '**No email is configured**', 'failover-notifications'],
    ['approvals page none: CLI only', (c: Json) => (c.approvals = { page: 'none' }), 'No approval page is deployed', 'failover approve ID'],
    ['another prefix names every resource', (c: Json) => (c.prefix = 'acme'), '`acme-notifications`', '--table-name acme-state'],
    [
      'an endpoint override is the DNS target',
      (c: Json) => (c.databases[0].standby.endpoint = 'orders-replica.internal.example'),
      'NEW_WRITER=orders-replica.internal.example',
      'ResourceRecordSet',
    ],
    [
      'IAM authentication: a token for the password',
      (c: Json) => (c.databases[0].credentials = { iamUser: 'failover_probe', databaseName: 'orders' }),
      'aws rds generate-db-auth-token --region us-west-2 --hostname writer.orders.internal --port 5432 --username failover_probe',
      'DB_USER=failover_probe',
    ],
    [
      'a game day: the drill pair, the schedule, how to stop it',
      (c: Json) => gameDay(c),
      'Drills run on `orders-drill`',
      'aws fis stop-experiment --region us-east-1 --id "<experiment id>"',
    ],
  ])('%s', (_label, mutate, a, b) => {
    const text = variant(mutate);
    expect(text).toContain(a);
    expect(text).toContain(b);
  });

  it('without a game day, no game-day section', () => {
    expect(runbookOf(example())).not.toContain('### Game days');
  });

  it('one section per database, the shared sections once', () => {
    const text = runbookOf(wideConfig());
    for (const name of ['orders', 'ledger', 'archive', 'cart']) expect(text.match(new RegExp(`\\n## Database ${name}\\n`, 'g'))).toHaveLength(1);
    for (const h of ['## Who is paged', '## Answering an approval', '## The dashboard', '## Before any command by hand'])
      expect(text.split(`\n${h}\n`)).toHaveLength(2);
  });

  it("the automation steps are the plan's, in its order", () => {
    const steps = part(section(runbookOf(example()), 'orders'), '### What the automation does', '### Fail over by hand');
    const titles = [...steps.matchAll(/^\d+\. (.+?)(?::|$)/gm)].map((m) => m[1]);
    expect(titles.slice(0, 6)).toEqual([
      'Take the lease (one incident at a time)',
      'Verify the writer is down',
      'Check the data-loss budget (30 s)',
      'Fence the writer orders-primary (us-east-1) with isolate',
      'Promote the standby orders-replica (us-west-2)',
      'Point writer.orders.internal at the new writer',
    ]);
  });
});

describe("names the runbook repeats are the product's", () => {
  it("the waiting states are the workflows' state names", async () => {
    const [{ FAILOVER_STATES }, { FAILBACK_STATES }] = await Promise.all([
      import('../../../lib/workflow/failover.js'),
      import('../../../lib/workflow/failback.js'),
    ]);
    expect(RUNBOOK_STATES).toEqual({
      failoverAsk: FAILOVER_STATES.askApproval,
      failoverAskAndWatch: FAILOVER_STATES.askAndWatch,
      failoverAskUnfenced: FAILOVER_STATES.askUnfenced,
      failoverAskUnfencedAndWatch: FAILOVER_STATES.askUnfencedAndWatch,
      failbackAsk: FAILBACK_STATES.askApproval,
    });
  });

  it('the dashboard and the heartbeat table', async () => {
    const { DETAILED_DATABASES } = await import('../../../lib/constructs/failover-dashboard.js');
    expect(DASHBOARD_DETAILED_DATABASES).toBe(DETAILED_DATABASES);
    expect(RUNBOOK_HEARTBEAT_TABLE).toBe(HEARTBEAT_TABLE);
  });

  it.each([
    ['the example', example],
    ['four databases, another prefix', wideConfig as () => Json],
  ])(
    '%s: the automation alarms and the dashboard are exactly those the synthesized app has',
    async (_label, raw) => {
      const { config } = validateConfig(raw(), 'test');
      const { app } = await synthesizeApp(config);
      const resources = Object.values(app.stacks).flatMap((s) =>
        Object.values(s.resolved.Resources).map((r) => ({ region: s.region, r: r as { Type: string; Properties: Record<string, unknown> } })),
      );
      const alarms = resources
        .filter(({ r }) => r.Type === 'AWS::CloudWatch::Alarm' && String(r.Properties.AlarmName).startsWith(`${config.prefix}-automation.`))
        .map(({ region, r }) => `${region} ${String(r.Properties.AlarmName)}`)
        .sort();
      expect(
        automationAlarms(config)
          .map((a) => `${a.region} ${a.name}`)
          .sort(),
      ).toEqual(alarms);
      const dashboards = resources.filter(({ r }) => r.Type === 'AWS::CloudWatch::Dashboard').map(({ r }) => r.Properties);
      expect(dashboards).toHaveLength(1);
      const text = runbookOf(raw());
      expect(text).toContain(`CloudWatch dashboard \`${String(dashboards[0]!.DashboardName)}\``);
      // every widget the runbook explains (in bold) is a widget title of the deployed dashboard
      const body = JSON.stringify(dashboards[0]!.DashboardBody);
      const explained = [...part(text, '## The dashboard', '## Before any command').matchAll(/\*\*([^*]+)\*\*/g)].map((m) => m[1]!);
      expect(explained.length).toBeGreaterThan(8);
      expect(explained.filter((title) => !body.includes(title))).toEqual([]);
    },
    240_000,
  );
});
