/**
 * `failover runbook`: the operators' runbook for one config, as Markdown. Pure and deterministic
 * (the config in, a string out: no clock, no account calls), so the committed
 * docs/runbook-example.md is checked by regenerating it (test/lib/ops/runbook.test.ts).
 *
 * What it says, once for the deployment: who is paged (the topic, its subscribers, the alarms that
 * publish to it), how to answer an approval (console, link, CLI), how to read the dashboard. Then
 * per database: what the automation does in order (the steps of `failover plan`, lib/ops/plan.ts,
 * planned from the config alone), and how to fail over and back by hand when the automation itself
 * is down, with the AWS CLI commands for that database's engine, readiness, fence method, Regions,
 * identifiers and DNS record; its game days when configured.
 *
 * Names of deployed resources come from lib/naming.ts and lambdas/shared/names.ts; the workflow's
 * waiting states, the automation alarms and the dashboard's layout are repeated here as text and
 * tested against their sources (the state-name constants, the synthesized example app).
 */
import { defaultPort, isAurora, secretArnInRegion, type DatabaseConfig, type FailoverConfig, type SiteConfig } from '../../lambdas/shared/config-schema.js';
import { alarmName, databaseStateKey, ISOLATION_GROUP_NAME, ISOLATION_TAG } from '../../lambdas/shared/names.js';
import { siteIdentifier } from '../../lambdas/shared/roles.js';
import { CONTROL_OUTPUTS, dashboardConsoleUrl, dashboardName, stackNames, stateMachineNames, tableName, topicName } from '../naming.js';
import { buildPlan, type PlanFacts, type PlanStep, type SiteFacts } from './plan.js';

/** How the runbook names where it came from. */
export interface RunbookOptions {
  /** The config file as the operator named it (printed in the header: regenerate with the same). */
  source: string;
}

/**
 * The waiting states of the workflows, as the Step Functions console shows them
 * (lib/workflow/failover.ts FAILOVER_STATES, lib/workflow/failback.ts FAILBACK_STATES; the test
 * checks they are the same).
 */
export const RUNBOOK_STATES = {
  failoverAsk: 'Ask a human to approve the failover',
  failoverAskAndWatch: 'Ask a human, and probe again while the question waits',
  failoverAskUnfenced: 'Ask a human to promote without a confirmed fence',
  failoverAskUnfencedAndWatch: 'Ask a human to promote unfenced, and fence again while the question waits',
  failbackAsk: 'Wait for an operator to approve or reject the failback',
} as const;

/** Databases with a section of their own on the dashboard (lib/constructs/failover-dashboard.ts DETAILED_DATABASES). */
export const DASHBOARD_DETAILED_DATABASES = 10;

/** The table the heartbeat and the write check write (lambdas/shared/sql.ts HEARTBEAT_TABLE). */
export const RUNBOOK_HEARTBEAT_TABLE = 'failover_heartbeat';

/** The alarm-name suffix of an automation alarm (lib/constructs/automation-alarms.ts automationAlarmName). */
const automationAlarm = (prefix: string, what: string): string => `${prefix}-automation.${what}`;

/** The partition of a Region (ARNs). */
export const partitionOf = (region: string): string => (region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');

const distinct = <T>(xs: readonly T[]): T[] => [...new Set(xs)];
const code = (s: string): string => `\`${s}\``;
const sh = (lines: string[]): string[] => ['```sh', ...lines, '```'];

/** Every automation alarm the stacks create, with the Region it is in and what it means. */
export function automationAlarms(config: FailoverConfig): Array<{ name: string; region: string; means: string }> {
  const p = config.prefix;
  const c = config.controlRegion;
  const out: Array<{ name: string; region: string; means: string }> = [
    {
      name: automationAlarm(p, 'trigger-dead-letters'),
      region: c,
      means: 'a trigger (alarm, RDS event, operator request) could not start the failover workflow: read the queue, start what was lost by hand',
    },
  ];
  for (const [machine, label] of [
    ['failover', 'Failover'],
    ['failback', 'Failback'],
  ] as const) {
    for (const outcome of ['failed', 'timed-out', 'aborted']) {
      out.push({
        name: automationAlarm(p, `${machine}-${outcome}`),
        region: c,
        means: `a ${label.toLowerCase()} execution ${outcome}: read its history (\`failover history\`, the console)`,
      });
    }
  }
  out.push({
    name: automationAlarm(p, 'heartbeat-errors-cross-region'),
    region: c,
    means: 'the cross-Region heartbeat function fails: the heartbeat alarms may fire or stay silent',
  });
  out.push({
    name: automationAlarm(p, 'unconfirmed-email-subscriptions'),
    region: c,
    means: 'a configured email receives nothing (subscription pending or removed), or the hourly check stopped',
  });
  for (const region of distinct(config.databases.map((db) => db.primary.region))) {
    const how = region === c ? '' : ' (it reaches the topic through the product bus of the control Region)';
    out.push({
      name: automationAlarm(p, `forward-dead-letters-${region}`),
      region,
      means: `heartbeat alarms or RDS events of ${region} were not forwarded to the control Region${how}`,
    });
    out.push({ name: automationAlarm(p, `heartbeat-errors-${region}`), region, means: `the in-Region heartbeat function of ${region} fails${how}` });
  }
  return out;
}

/** Facts for `buildPlan` from the config alone: the configured roles, every site there. */
function configFacts(db: DatabaseConfig, config: FailoverConfig): PlanFacts {
  const account = config.account ?? '<account>';
  const arnOf = (site: SiteConfig): string =>
    `arn:${partitionOf(site.region)}:rds:${site.region}:${account}:${isAurora(db.engine) ? 'cluster' : 'db'}:${siteIdentifier(site) ?? '<id>'}`;
  const cold = db.standby.readiness === 'cold';
  const replicates = !cold && !isAurora(db.engine);
  const site = (s: SiteConfig, extra: Partial<SiteFacts>): SiteFacts => ({
    region: s.region,
    id: siteIdentifier(s) ?? '(unnamed)',
    exists: true,
    arn: arnOf(s),
    backupRetentionPeriod: 7,
    ...extra,
  });
  const sm = (name: string): string => `arn:${partitionOf(config.controlRegion)}:states:${config.controlRegion}:${account}:stateMachine:${name}`;
  return {
    lease: undefined,
    control: {
      tableName: tableName(config.prefix),
      region: config.controlRegion,
      failoverArn: sm(stateMachineNames.failover(config.prefix)),
      failbackArn: sm(stateMachineNames.failback(config.prefix)),
    },
    writer: site(db.primary, { replicas: replicates ? [arnOf(db.standby)] : [] }),
    standby: cold
      ? { region: db.standby.region, id: siteIdentifier(db.standby) ?? '(cold)', exists: false }
      : site(db.standby, replicates ? { replicaOf: arnOf(db.primary) } : {}),
    now: '1970-01-01T00:00:00.000Z',
  };
}

/** The steps of a plan as a numbered Markdown list (titles, the AWS calls by name, who is asked). */
function planSteps(steps: PlanStep[]): string[] {
  const lines: string[] = [];
  steps.forEach((s, i) => {
    const apis = distinct(s.calls.map((c) => `${c.api}${c.region === 'global' ? '' : ` (${c.region})`}`));
    lines.push(`${i + 1}. ${s.title}${apis.length ? `: ${apis.map(code).join(', ')}` : ''}`);
    if (s.asks) lines.push(`   - asks a human: ${s.asks}`);
  });
  return lines;
}

// ------------------------------------------------------------------ shared sections

function header(config: FailoverConfig, options: RunbookOptions): string[] {
  const names = config.databases.map((db) => code(db.name)).join(', ');
  return [
    `# Runbook: ${config.databases.length === 1 ? `database ${names}` : `databases ${names}`}`,
    '',
    `Generated by ${code(`failover runbook --config ${options.source}`)} from that config: regenerate it after every config change.`,
    `Prefix ${code(config.prefix)}, control Region ${code(config.controlRegion)}${config.account ? `, account ${code(config.account)}` : ''}.`,
    "Nothing here was read from the account: identifiers are the config's; `$NAME` is a shell variable an earlier command sets; `<...>` is for you to fill in.",
    '',
    '## Contents',
    '',
    '- [Who is paged](#who-is-paged)',
    '- [Answering an approval](#answering-an-approval)',
    '- [The dashboard](#the-dashboard)',
    '- [Before any command by hand](#before-any-command-by-hand)',
    ...config.databases.map((db) => `- [Database ${db.name}](#database-${db.name})`),
    '',
  ];
}

function whoIsPaged(config: FailoverConfig): string[] {
  const topic = topicName(config.prefix);
  const arn = `arn:${partitionOf(config.controlRegion)}:sns:${config.controlRegion}:${config.account ?? '<account>'}:${topic}`;
  const emails = config.notifications.emails;
  const lines = [
    '## Who is paged',
    '',
    `Everything reaches people through one SNS topic, ${code(topic)} in ${code(config.controlRegion)} (${code(arn)}; output ${code(CONTROL_OUTPUTS.notificationTopicArn)} of the stack ${code(stackNames.control(config.prefix))}).`,
    emails.length
      ? `Its email subscribers: ${emails.map(code).join(', ')}. Each must confirm the subscription from its email: until then it receives nothing.`
      : '**No email is configured** (`notifications.emails` is empty): subscribe someone to the topic, or nobody hears of a failover.',
    '',
    'Check who really receives it (after every deploy and at each game day):',
    '',
    ...sh([
      `aws sns list-subscriptions-by-topic --region ${config.controlRegion} --topic-arn ${arn} \\`,
      "  --query 'Subscriptions[].[Endpoint,SubscriptionArn]' --output table",
    ]),
    '',
    '`PendingConfirmation` means the address never confirmed; an address missing from the list unsubscribed.',
    '',
    'What publishes to it: every workflow run (an incident opened, the verdict, each approval request with its link, each escalation, the failover done, the failback and its outcome), and these alarms on the automation itself:',
    '',
    '| alarm | Region | what it means |',
    '|---|---|---|',
    ...automationAlarms(config).map((a) => `| ${code(a.name)} | ${a.region} | ${a.means} |`),
    '',
    'The heartbeat alarms do not page: they start the failover workflow, which verifies before it acts and notifies what it finds.',
    '',
    '| database | alarm | Region |',
    '|---|---|---|',
    ...config.databases.flatMap((db) => [
      `| ${db.name} | ${code(alarmName(config.prefix, db.name, 'in-region'))} | ${db.primary.region} |`,
      `| ${db.name} | ${code(alarmName(config.prefix, db.name, 'cross-region'))} | ${config.controlRegion} |`,
    ]),
    '',
  ];
  return lines;
}

function approvals(config: FailoverConfig): string[] {
  const c = config.controlRegion;
  const page = config.approvals.page;
  const pageLines =
    page === 'none'
      ? ['No approval page is deployed (`approvals.page` is `none`): answer with the CLI.']
      : [
          `The notification email carries a signed link to the approval page (${page === 'iam-url' ? 'a function URL with IAM auth: requests must be SigV4-signed' : 'a function URL; every link is signed, expires and works once'}; the page's address is the output ${code(CONTROL_OUTPUTS.approvalPageUrl)} of ${code(stackNames.control(config.prefix))}).`,
          `Opening the link changes nothing. The page shows the database, the incident, why you are asked and what each answer does; type your name (and a reason to reject), then press Approve or Reject: the answer is recorded once and the workflow resumes. A link works for ${config.approvals.linkLifetimeMinutes} min (at most until the question expires); after that, answer with the CLI.`,
        ];
  return [
    '## Answering an approval',
    '',
    'The workflows ask a human when a verdict is ambiguous, the data at risk is over the budget, a database is in manual mode, a required fence could not be confirmed, or a failback is due under `manual-approval` (which of these apply to each database: its section). An unanswered question changes nothing.',
    '',
    '**From the link.**',
    ...pageLines,
    '',
    '**From the CLI** (your own AWS credentials; the approver recorded is your identity):',
    '',
    ...sh([
      `failover approvals list --config <this config> [--database NAME] [--json]   # pending approvals, oldest first`,
      `failover approve ID --config <this config> [--reason "why"]`,
      `failover reject ID --config <this config> --reason "why"                  # a reason is required`,
    ]),
    '',
    `Instead of \`--config\`: \`--table ${tableName(config.prefix)} --region ${c}\`. Exit 0: answered; 1: refused (unknown, expired, already answered) or the AWS call failed; 2: bad command line.`,
    '',
    `**From the Step Functions console** (https://${c}.console.aws.amazon.com/states/home?region=${c}#/statemachines): open ${code(stateMachineNames.failover(config.prefix))} or ${code(stateMachineNames.failback(config.prefix))}, then the running execution. It waits in:`,
    '',
    `- failover: ${code(RUNBOOK_STATES.failoverAsk)} (a branch of the parallel state ${code(RUNBOOK_STATES.failoverAskAndWatch)}), or ${code(RUNBOOK_STATES.failoverAskUnfenced)} (a branch of ${code(RUNBOOK_STATES.failoverAskUnfencedAndWatch)}: a fence that works while it waits withdraws the question);`,
    `- failback: ${code(RUNBOOK_STATES.failbackAsk)}.`,
    '',
    "The state's input says what is decided (`awaiting`) and how to answer (`howToAnswer`). The console cannot answer (the task token is kept only in the approval record): use the link or the CLI.",
    '',
  ];
}

function dashboardSection(config: FailoverConfig): string[] {
  const name = dashboardName(config.prefix);
  const detailed = config.databases.slice(0, DASHBOARD_DETAILED_DATABASES);
  const regions = distinct([config.controlRegion, ...config.databases.map((db) => db.primary.region)]);
  return [
    '## The dashboard',
    '',
    `CloudWatch dashboard ${code(name)} in ${code(config.controlRegion)}: ${dashboardConsoleUrl(config.controlRegion, name)} (output ${code(CONTROL_OUTPUTS.dashboardUrl)}).`,
    '',
    'Top, every database at once (one line per database):',
    '',
    ...regions.map(
      (r) =>
        `- **heartbeats written from ${r}**: 1 = the heartbeat wrote through the DNS name; a line at 0 or missing is a database its clients cannot write to (from that Region).`,
    ),
    '- **verdicts, every database**: `confirmed-down`, `healthy` (a false alarm) or `ambiguous` (a partition: a human was asked).',
    '- **incidents, every database**: workflow runs that took the lease.',
    '- **RTO (s), every database**: from the failure to the first write through the DNS name, per failover.',
    '',
    `Then a section per database (${detailed.map((db) => db.name).join(', ')}${config.databases.length > DASHBOARD_DETAILED_DATABASES ? `; the others only in the overview` : ''}):`,
    '',
    "- **heartbeat**: in-region (next to the primary) and cross-region (from the control Region). Both at 0: the database or its DNS name is down; only in-region at 0: the primary's Region or its network; only cross-region at 0: the path between Regions.",
    '- **standby lag vs RPO budget**: the replica lag (`ReplicaLag`, seconds; Aurora: `AuroraGlobalDBRPOLag`, milliseconds) against the budget line: above it, a failover asks a human to accept the data loss. A cold standby shows a note instead (no replica).',
    "- **verdicts**, **incidents**: this database's.",
    '- **RTO and data loss**: the RTO of each failover and the replica lag when it decided.',
    '',
  ];
}

function beforeAnything(config: FailoverConfig): string[] {
  const c = config.controlRegion;
  const part = partitionOf(c);
  return [
    '## Before any command by hand',
    '',
    'Act by hand only when the automation cannot: its Region or Step Functions is down, a run is stuck, or it escalated and said so. A run that waits for an approval is not down: answer it.',
    'Commands are for bash with the AWS CLI v2 (and `psql` or `mysql`, `jq`, GNU `date`), with credentials of this account, one shell per database (the commands set `$EPOCH`, `$NEW_WRITER` and others for the database at hand, and write their files, named after it, in the current directory: keep them until the failback). Set these once per shell:',
    '',
    ...sh([
      'export AWS_PAGER=""',
      config.account ? `ACCOUNT=${config.account}` : 'ACCOUNT=$(aws sts get-caller-identity --query Account --output text)',
      'OPERATOR="operator:$(aws sts get-caller-identity --query Arn --output text)"   # the lease holder you write: never an execution ARN, so no run takes it over',
      'INCIDENT="manual-$(date -u +%Y%m%dT%H%M%SZ)"',
    ]),
    '',
    'Is a run still going? (A running one you are about to overrule: stop it first, or it acts beside you.)',
    '',
    ...sh([
      `aws stepfunctions list-executions --region ${c} --status-filter RUNNING \\`,
      `  --state-machine-arn arn:${part}:states:${c}:$ACCOUNT:stateMachine:${stateMachineNames.failover(config.prefix)} --query 'executions[].[name,executionArn,startDate]' --output text`,
      `aws stepfunctions list-executions --region ${c} --status-filter RUNNING \\`,
      `  --state-machine-arn arn:${part}:states:${c}:$ACCOUNT:stateMachine:${stateMachineNames.failback(config.prefix)} --query 'executions[].[name,executionArn,startDate]' --output text`,
      `aws stepfunctions stop-execution --region ${c} --execution-arn "<executionArn>" --cause "taken over by hand: <why>"`,
    ]),
    '',
    `**The lease.** One item per database in the table ${code(tableName(config.prefix))} (${c}), key \`pk = DB#<database>\`, \`sk = STATE\`, says who may act (\`holder\`, \`incidentId\`, \`epoch\` +1 per taker) and which configured site takes writes (\`writer\`: \`primary\` or \`standby\`; \`standbyNotReadySince\`: the other site is a former writer, not yet rebuilt as a replica; \`lastChangeAt\`: start of the cooldown). A run takes it only when no one holds it, and never takes it over from a holder that is not a stopped execution: while you hold it, every alarm of that database ends as "already handled" and nothing automatic acts. Write it with \`update-item\`, never \`put-item\`: \`put-item\` replaces the whole item and loses the roles and the epoch. Timestamps are ISO 8601 UTC with milliseconds, as the workflows write them (compared as strings). Each database's section has the commands.`,
    '',
    `If ${c} itself is down, the lease cannot be written (and the automation cannot act either): go on without it, and take it as soon as ${c} answers, before triggers that EventBridge kept retrying start a run.`,
    '',
  ];
}

// ------------------------------------------------------------------ per database: the commands

/** The DynamoDB key of a database's lease item, as CLI JSON. */
const leaseKey = (db: DatabaseConfig): string => {
  const k = databaseStateKey(db.name);
  return `'{"pk":{"S":"${k.pk}"},"sk":{"S":"${k.sk}"}}'`;
};

function leaseCommands(
  db: DatabaseConfig,
  config: FailoverConfig,
  slug: string,
): { take: string[]; takeOver: string[]; record: (writer: 'primary' | 'standby', notReady: boolean) => string[]; standbyReady: string[]; release: string[] } {
  const base = [`aws dynamodb update-item --region ${config.controlRegion} --table-name ${tableName(config.prefix)} --key ${leaseKey(db)} \\`];
  const names = (n: string[]): string => `'${JSON.stringify(Object.fromEntries(n.map((x) => [`#${x}`, x])))}'`;
  const take = (condition: string, extraSet: string, extraNames: string[], values: string): string[] => [
    `NOW=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)`,
    `cat > ${slug}-lease-take.json <<EOF`,
    values,
    'EOF',
    `read EPOCH WRITER NOT_READY < <(${base[0]}`,
    `  --update-expression 'SET #holder = :holder, #incidentId = :incident, #acquiredAt = :now, ${extraSet}#writer = if_not_exists(#writer, :primary) ADD #epoch :one' \\`,
    `  --condition-expression '${condition}' \\`,
    `  --expression-attribute-names ${names(['holder', 'incidentId', 'acquiredAt', ...extraNames, 'writer', 'epoch'])} \\`,
    `  --expression-attribute-values file://${slug}-lease-take.json \\`,
    `  --return-values ALL_NEW --query 'Attributes.[epoch.N, writer.S, standbyNotReadySince.S]' --output text)`,
    'echo "epoch $EPOCH, writer $WRITER, standbyNotReadySince $NOT_READY"',
  ];
  const takeValues = '{":holder":{"S":"$OPERATOR"},":incident":{"S":"$INCIDENT"},":now":{"S":"$NOW"},":primary":{"S":"primary"},":one":{"N":"1"}}';
  return {
    take: take('attribute_not_exists(#holder)', '', [], takeValues),
    takeOver: take('#holder = :stopped', '#takenOverFrom = :stopped, ', ['takenOverFrom'], takeValues.replace(/}$/, ',":stopped":{"S":"$HOLDER"}}')),
    record: (writer, notReady) => [
      `NOW=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)`,
      `cat > ${slug}-lease-record.json <<EOF`,
      `{":holder":{"S":"$OPERATOR"},":writer":{"S":"${writer}"},":now":{"S":"$NOW"},":incident":{"S":"$INCIDENT"}}`,
      'EOF',
      ...base,
      `  --update-expression 'SET #writer = :writer, #lastFailoverAt = :now, #lastChangeAt = :now, #lastIncidentId = :incident${notReady ? ', #standbyNotReadySince = :now' : ' REMOVE #standbyNotReadySince'}' \\`,
      `  --condition-expression '#holder = :holder' \\`,
      `  --expression-attribute-names ${names(['holder', 'writer', 'lastFailoverAt', 'lastChangeAt', 'lastIncidentId', 'standbyNotReadySince'])} \\`,
      `  --expression-attribute-values file://${slug}-lease-record.json`,
    ],
    standbyReady: [
      `echo '{":holder":{"S":"'"$OPERATOR"'"}}' > ${slug}-lease-holder.json`,
      ...base,
      `  --update-expression 'REMOVE #standbyNotReadySince' --condition-expression '#holder = :holder' \\`,
      `  --expression-attribute-names ${names(['holder', 'standbyNotReadySince'])} --expression-attribute-values file://${slug}-lease-holder.json`,
    ],
    release: [
      `echo '{":holder":{"S":"'"$OPERATOR"'"}}' > ${slug}-lease-holder.json`,
      ...base,
      `  --update-expression 'REMOVE #holder, #incidentId' --condition-expression '#holder = :holder' \\`,
      `  --expression-attribute-names ${names(['holder', 'incidentId'])} --expression-attribute-values file://${slug}-lease-holder.json`,
    ],
  };
}

/** How the data behind is read for the standby (`site`), with what the figure means. */
function lagCommands(db: DatabaseConfig, site: SiteConfig, coldSourceInstance?: string): { lines: string[]; note: string } {
  const window = `--start-time "$(date -u -d '-30 min' +%Y-%m-%dT%H:%M:%SZ)" --end-time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --period 60 --statistics Maximum \\`;
  const id = siteIdentifier(site) ?? '<id>';
  if (coldSourceInstance !== undefined) {
    return {
      lines: [
        `aws rds describe-db-instance-automated-backups --region ${site.region} --db-instance-identifier ${coldSourceInstance} \\`,
        "  --query 'DBInstanceAutomatedBackups[].[Region,RestoreWindow.LatestTime]' --output text",
      ],
      note: `A cold standby has no replica: the data at risk is everything after the latest restorable time of ${coldSourceInstance}'s automated backups replicated to ${site.region} (none listed: unknown, count it as over the budget of ${db.failover.rpoBudgetSeconds} s).`,
    };
  }
  if (isAurora(db.engine)) {
    return {
      lines: [
        `aws cloudwatch get-metric-statistics --region ${site.region} --namespace AWS/RDS --metric-name AuroraGlobalDBRPOLag \\`,
        `  --dimensions Name=DBClusterIdentifier,Value=${id} \\`,
        `  ${window}`,
        "  --query 'sort_by(Datapoints,&Timestamp)[].[Timestamp,Maximum]' --output text",
        `aws rds describe-global-clusters --region ${site.region} --global-cluster-identifier ${site.globalClusterId ?? '<global cluster>'} \\`,
        "  --query 'GlobalClusters[0].GlobalClusterMembers[].[DBClusterArn,IsWriter]' --output text",
      ],
      note: `\`AuroraGlobalDBRPOLag\` is in milliseconds: the last value before the failure, over ${db.failover.rpoBudgetSeconds * 1000} ms (the budget, ${db.failover.rpoBudgetSeconds} s), is more data at risk than the config accepts without a human.`,
    };
  }
  return {
    lines: [
      `aws cloudwatch get-metric-statistics --region ${site.region} --namespace AWS/RDS --metric-name ReplicaLag \\`,
      `  --dimensions Name=DBInstanceIdentifier,Value=${id} \\`,
      `  ${window}`,
      "  --query 'sort_by(Datapoints,&Timestamp)[].[Timestamp,Maximum]' --output text",
      `aws rds describe-db-instances --region ${site.region} --db-instance-identifier ${id} \\`,
      "  --query 'DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier]' --output text",
    ],
    note: `\`ReplicaLag\` is in seconds: the last value before the failure, over ${db.failover.rpoBudgetSeconds} s (the budget), is more data at risk than the config accepts without a human: get that loss approved before you promote. The second command must show the replica \`available\` and replicating from the primary.`,
  };
}

/** Fences `site` (the writer being given up): the configured method's commands. */
function fenceCommands(db: DatabaseConfig, site: SiteConfig, slug: string): { method: string; lines: string[]; notes: string[] } {
  const r = site.region;
  const id = siteIdentifier(site) ?? '<id>';
  const method = isAurora(db.engine) ? 'revoke-ingress' : db.failover.fenceMethod;
  const lines: string[] = [];
  const notes: string[] = [];
  if (method === 'revoke-ingress') {
    const groups = site.securityGroupIds ?? [];
    if (groups.length === 0) {
      notes.push(
        `No \`securityGroupIds\` are configured for ${id}: there is nothing to revoke${isAurora(db.engine) ? ' (the global failover makes the old primary cluster a read-only secondary when it rejoins)' : ''}.`,
      );
    } else {
      lines.push(`for SG in ${groups.join(' ')}; do`);
      lines.push(
        `  [ -s ${slug}-fence-$SG.json ] || aws ec2 describe-security-groups --region ${r} --group-ids $SG --query 'SecurityGroups[0].IpPermissions' > ${slug}-fence-$SG.json   # keep (once): the failback gives these rules back`,
      );
      lines.push(
        `  RULES=$(aws ec2 describe-security-group-rules --region ${r} --filters Name=group-id,Values=$SG --query 'SecurityGroupRules[?!IsEgress].SecurityGroupRuleId' --output text)`,
      );
      lines.push(`  [ -n "$RULES" ] && aws ec2 revoke-security-group-ingress --region ${r} --group-id $SG --security-group-rule-ids $RULES`);
      lines.push('done');
      notes.push('Revoke every ingress rule of groups dedicated to this database only: a group shared with other resources cuts them off too.');
    }
  } else {
    lines.push(`VPC=$(aws rds describe-db-instances --region ${r} --db-instance-identifier ${id} --query 'DBInstances[0].DBSubnetGroup.VpcId' --output text)`);
    lines.push(
      `[ -s ${slug}-groups-${id}.txt ] || aws rds describe-db-instances --region ${r} --db-instance-identifier ${id} --query 'DBInstances[0].VpcSecurityGroups[].VpcSecurityGroupId' --output text > ${slug}-groups-${id}.txt   # keep (once): its own groups`,
    );
    lines.push(
      `ISOLATION=$(aws ec2 describe-security-groups --region ${r} --filters Name=vpc-id,Values=$VPC Name=group-name,Values=${ISOLATION_GROUP_NAME} --query 'SecurityGroups[0].GroupId' --output text)`,
    );
    lines.push(`[ "$ISOLATION" = None ] && ISOLATION=$(aws ec2 create-security-group --region ${r} --vpc-id $VPC --group-name ${ISOLATION_GROUP_NAME} \\`);
    lines.push(`  --description "rds-failover fence: no inbound rule; a fenced database instance gets only this group" \\`);
    lines.push(
      `  --tag-specifications 'ResourceType=security-group,Tags=[{Key=${ISOLATION_TAG.key},Value=${ISOLATION_TAG.value}}]' --query GroupId --output text)`,
    );
    lines.push(`aws rds modify-db-instance --region ${r} --db-instance-identifier ${id} --vpc-security-group-ids $ISOLATION --apply-immediately`);
    notes.push(`The isolation group ${code(ISOLATION_GROUP_NAME)} has no inbound rule; the one the automation created is reused.`);
  }
  if (isAurora(db.engine)) {
    lines.push(
      `for M in $(aws rds describe-db-clusters --region ${r} --db-cluster-identifier ${id} --query 'DBClusters[0].DBClusterMembers[].DBInstanceIdentifier' --output text); do`,
    );
    lines.push(`  aws rds reboot-db-instance --region ${r} --db-instance-identifier $M`);
    lines.push('done');
  } else {
    lines.push(`sleep 30; aws rds wait db-instance-available --region ${r} --db-instance-identifier ${id}   # the modification applies first`);
    if (method === 'stop') {
      lines.push(
        `aws rds stop-db-instance --region ${r} --db-instance-identifier ${id} || aws rds reboot-db-instance --region ${r} --db-instance-identifier ${id}`,
      );
      notes.push(
        'RDS refuses to stop an instance that has read replicas or is one: it is rebooted instead. A stopped instance is started again by RDS after 7 days (still isolated).',
      );
    } else {
      lines.push(`aws rds reboot-db-instance --region ${r} --db-instance-identifier ${id}`);
    }
  }
  notes.push('Security groups are stateful: the reboot cuts the sessions that are already open.');
  return { method, lines, notes };
}

/** The endpoint of `site` into $NEW_WRITER (the config's override wins). */
function endpointCommand(db: DatabaseConfig, site: SiteConfig): string {
  if (site.endpoint) return `NEW_WRITER=${site.endpoint}   # the site's configured endpoint`;
  const id = siteIdentifier(site) ?? '<id>';
  return isAurora(db.engine)
    ? `NEW_WRITER=$(aws rds describe-db-clusters --region ${site.region} --db-cluster-identifier ${id} --query 'DBClusters[0].Endpoint' --output text)`
    : `NEW_WRITER=$(aws rds describe-db-instances --region ${site.region} --db-instance-identifier ${id} --query 'DBInstances[0].Endpoint.Address' --output text)`;
}

/** Points the writer record at $NEW_WRITER. */
function dnsCommands(db: DatabaseConfig, site: SiteConfig, slug: string, why: string): string[] {
  const batch = {
    Comment: `${db.name}: ${why}`,
    Changes: [
      { Action: 'UPSERT', ResourceRecordSet: { Name: db.dns.recordName, Type: 'CNAME', TTL: db.dns.ttlSeconds, ResourceRecords: [{ Value: '$NEW_WRITER' }] } },
    ],
  };
  return [
    endpointCommand(db, site),
    `cat > ${slug}-dns.json <<EOF`,
    ...JSON.stringify(batch, null, 2).split('\n'),
    'EOF',
    `CHANGE=$(aws route53 change-resource-record-sets --hosted-zone-id ${db.dns.hostedZoneId} --change-batch file://${slug}-dns.json --query 'ChangeInfo.Id' --output text)`,
    'aws route53 wait resource-record-sets-changed --id "$CHANGE"',
  ];
}

/** Writes through the DNS name, as the write check does. */
function verifyCommands(db: DatabaseConfig, site: SiteConfig): string[] {
  const port = site.port ?? defaultPort(db.engine);
  const dbName = db.credentials?.databaseName ?? (db.engine.includes('postgres') ? 'postgres' : 'mysql');
  const secret = db.credentials?.secretArn;
  const lines: string[] = [`dig +short ${db.dns.recordName} CNAME   # from a host that resolves the zone: the new writer's endpoint`];
  if (secret) {
    const inRegion = db.credentials?.secretReplicaRegions?.includes(site.region) ? secretArnInRegion(secret, site.region) : secret;
    const region = inRegion.split(':')[3];
    lines.push(`SECRET=$(aws secretsmanager get-secret-value --region ${region} --secret-id ${inRegion} --query SecretString --output text)`);
    lines.push('DB_USER=$(echo "$SECRET" | jq -r .username); DB_PASSWORD=$(echo "$SECRET" | jq -r .password)');
  } else if (db.credentials?.iamUser) {
    lines.push(`DB_USER=${db.credentials.iamUser}`);
    lines.push(
      `DB_PASSWORD=$(aws rds generate-db-auth-token --region ${site.region} --hostname ${db.dns.recordName} --port ${port} --username ${db.credentials.iamUser})`,
    );
  } else {
    lines.push("DB_USER='<user>'; DB_PASSWORD='<password>'   # no credentials in the config: yours");
  }
  const t = RUNBOOK_HEARTBEAT_TABLE;
  if (db.engine.includes('postgres')) {
    lines.push(`PGPASSWORD="$DB_PASSWORD" psql "host=${db.dns.recordName} port=${port} dbname=${dbName} user=$DB_USER sslmode=require" \\`);
    lines.push(`  -c "SELECT pg_is_in_recovery()" \\`);
    lines.push(
      `  -c "INSERT INTO ${t} (site, at, epoch) VALUES ('manual', now() AT TIME ZONE 'UTC', 0) ON CONFLICT (site) DO UPDATE SET at = EXCLUDED.at, epoch = EXCLUDED.epoch"`,
    );
  } else {
    const readOnly = db.engine === 'aurora-mysql' ? '@@innodb_read_only' : '@@global.read_only';
    lines.push(`mysql --host=${db.dns.recordName} --port=${port} --user="$DB_USER" --password="$DB_PASSWORD" --ssl-mode=REQUIRED ${dbName} \\`);
    lines.push(
      `  -e "SELECT ${readOnly}; INSERT INTO ${t} (site, at, epoch) VALUES ('manual', CURRENT_TIMESTAMP(3), 0) ON DUPLICATE KEY UPDATE at = CURRENT_TIMESTAMP(3), epoch = 0"`,
    );
  }
  return lines;
}

/** Promotes `site` (a replica, instances). */
function promoteInstance(site: SiteConfig, scaleTo?: string): string[] {
  const id = siteIdentifier(site) ?? '<id>';
  return [
    `aws rds promote-read-replica --region ${site.region} --db-instance-identifier ${id} --backup-retention-period 7`,
    `aws rds wait db-instance-available --region ${site.region} --db-instance-identifier ${id}   # waits up to 30 min; run it again while it is still promoting`,
    `aws rds describe-db-instances --region ${site.region} --db-instance-identifier ${id} --query 'DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier]' --output text   # available, None: it takes writes`,
    ...(scaleTo
      ? [
          `aws rds modify-db-instance --region ${site.region} --db-instance-identifier ${id} --db-instance-class ${scaleTo} --apply-immediately   # warm standby: scale up (the DNS switch need not wait for it)`,
        ]
      : []),
  ];
}

/**
 * Keeps the old writer `site` (snapshot, rename, stop: never deleted), then creates `site`'s
 * identifier again as a cross-Region read replica of `source`.
 */
function rebuildCommands(db: DatabaseConfig, site: SiteConfig, source: SiteConfig, slug: string): string[] {
  const r = site.region;
  const id = siteIdentifier(site) ?? '<id>';
  const sourceArn = `arn:${partitionOf(source.region)}:rds:${source.region}:$ACCOUNT:db:${siteIdentifier(source) ?? '<id>'}`;
  const groups = site.securityGroupIds?.length ? site.securityGroupIds.join(' ') : `$(cat ${slug}-groups-${id}.txt)`;
  return [
    `read SUBNET_GROUP KMS_KEY CLASS < <(aws rds describe-db-instances --region ${r} --db-instance-identifier ${id} \\`,
    "  --query 'DBInstances[0].[DBSubnetGroup.DBSubnetGroupName,KmsKeyId,DBInstanceClass]' --output text)",
    `aws rds create-db-snapshot --region ${r} --db-instance-identifier ${id} --db-snapshot-identifier ${id}-pre-failback-$EPOCH`,
    `aws rds wait db-snapshot-available --region ${r} --db-snapshot-identifier ${id}-pre-failback-$EPOCH`,
    `aws rds modify-db-instance --region ${r} --db-instance-identifier ${id} --new-db-instance-identifier ${id}-old-$EPOCH --apply-immediately`,
    `aws rds wait db-instance-available --region ${r} --db-instance-identifier ${id}-old-$EPOCH   # renamed: ${id} is free again`,
    `aws rds stop-db-instance --region ${r} --db-instance-identifier ${id}-old-$EPOCH`,
    `aws rds create-db-instance-read-replica --region ${r} --db-instance-identifier ${id} \\`,
    `  --source-db-instance-identifier ${sourceArn} --source-region ${source.region} \\`,
    `  --db-instance-class "$CLASS" --db-subnet-group-name "$SUBNET_GROUP" --vpc-security-group-ids ${groups} \\`,
    '  $( [ "$KMS_KEY" != None ] && echo --kms-key-id "$KMS_KEY" )   # encrypted: the old instance\'s key, of this Region',
    `aws rds wait db-instance-available --region ${r} --db-instance-identifier ${id}`,
    ...lagCommands(db, site).lines.slice(0, 4),
  ];
}

// ------------------------------------------------------------------ per database: the section

function glance(db: DatabaseConfig, config: FailoverConfig): string[] {
  const p = db.primary;
  const s = db.standby;
  const fence = isAurora(db.engine) ? 'revoke-ingress (Aurora)' : db.failover.fenceMethod;
  return [
    '| | |',
    '|---|---|',
    `| engine | ${db.engine} |`,
    `| primary | ${code(siteIdentifier(p) ?? '?')} in ${p.region}${p.globalClusterId ? ` (global cluster ${code(p.globalClusterId)})` : ''} |`,
    `| standby | ${code(siteIdentifier(s) ?? '(created by the stack)')} in ${s.region}, ${s.readiness}${s.coldStandby ? ` (stack ${code(s.coldStandby.stackName)})` : ''}${s.promotedInstanceClass ? ` (scaled to ${s.promotedInstanceClass} on promotion)` : ''} |`,
    `| writer record | ${code(db.dns.recordName)} CNAME, TTL ${db.dns.ttlSeconds} s, zone ${code(db.dns.hostedZoneId)} |`,
    `| fence | ${fence}, ${db.failover.fencing} |`,
    `| mode, budget | ${db.failover.mode}, ${db.failover.rpoBudgetSeconds} s (${db.failover.rpoEstimate}); approvals wait ${db.failover.approvalTimeoutMinutes} min |`,
    `| failback | ${db.failback.policy}, after ${db.failback.stabilityMinutes} min of health${db.failback.policy === 'manual-approval' ? `; the question waits ${db.failback.approvalTimeoutHours} h` : ''} |`,
    `| heartbeat alarms | ${code(alarmName(config.prefix, db.name, 'in-region'))} (${p.region}), ${code(alarmName(config.prefix, db.name, 'cross-region'))} (${config.controlRegion}) |`,
    '',
  ];
}

/** What both by-hand procedures name: the sites, their identifiers and the lease commands. */
function byHand(db: DatabaseConfig, config: FailoverConfig) {
  const slug = db.name;
  return {
    slug,
    p: db.primary,
    s: db.standby,
    pid: siteIdentifier(db.primary) ?? '<id>',
    sid: siteIdentifier(db.standby) ?? '<id>',
    lease: leaseCommands(db, config, slug),
  };
}

function manualFailover(db: DatabaseConfig, config: FailoverConfig): string[] {
  const { slug, p, s, pid, sid, lease } = byHand(db, config);
  const cold = s.readiness === 'cold';
  const lag = lagCommands(db, s, cold ? (p.instanceId ?? pid) : undefined);
  const fence = fenceCommands(db, p, slug);
  const lines: string[] = [
    `### Fail over by hand (${p.region} → ${s.region})`,
    '',
    `For the roles as configured: ${code(pid)} (${p.region}) writes and ${code(sid)} (${s.region}) is the standby. If step 1 prints \`standby\` as the writer, the roles are already swapped: this is a failback (next section).`,
    '',
    `**1. Take the lease.** It prints the new epoch, the writer and \`standbyNotReadySince\` (\`None\`: absent). \`ConditionalCheckFailedException\` means someone holds it:`,
    '',
    ...sh(lease.take),
    '',
    ...sh([
      `aws dynamodb get-item --region ${config.controlRegion} --table-name ${tableName(config.prefix)} --key ${leaseKey(db)} --query 'Item.[holder.S, incidentId.S, epoch.N, writer.S]' --output text`,
      `HOLDER=$(aws dynamodb get-item --region ${config.controlRegion} --table-name ${tableName(config.prefix)} --key ${leaseKey(db)} --query 'Item.holder.S' --output text)`,
      `aws stepfunctions describe-execution --region ${config.controlRegion} --execution-arn "$HOLDER" --query status --output text`,
    ]),
    '',
    'The holder is a running execution (`RUNNING`): it is working, leave it (or stop it first, "Before any command by hand"). An execution that stopped: take the lease over from it:',
    '',
    ...sh(lease.takeOver),
    '',
    `A \`standbyNotReadySince\` other than \`None\` means ${code(sid)} is a former writer that was never rebuilt as a replica: promoting it loses every write since then. Stop and fail back instead.`,
    '',
    `**2. Is the primary really down, and how much data is at risk?** Ask from more than one place (your laptop, a host in ${s.region}); a primary that answers from somewhere is a partition, not a failure.`,
    '',
    ...sh([
      `aws rds ${isAurora(db.engine) ? `describe-db-clusters --region ${p.region} --db-cluster-identifier ${pid} --query 'DBClusters[0].Status'` : `describe-db-instances --region ${p.region} --db-instance-identifier ${pid} --query 'DBInstances[0].DBInstanceStatus'`} --output text`,
      ...lag.lines,
    ]),
    '',
    lag.note,
    '',
    `**3. Fence the old primary** (${fence.method}), if its Region answers. If it does not, go on and fence it as soon as it answers: until then the DNS switch is all that keeps clients off it.`,
    '',
    ...sh(fence.lines),
    '',
    ...fence.notes,
    '',
    `**4. Promote the standby.**`,
    '',
  ];
  if (isAurora(db.engine)) {
    const arn = `arn:${partitionOf(s.region)}:rds:${s.region}:$ACCOUNT:cluster:${sid}`;
    lines.push(
      ...sh([
        `aws rds failover-global-cluster --region ${s.region} --global-cluster-identifier ${s.globalClusterId ?? '<global cluster>'} \\`,
        `  --target-db-cluster-identifier ${arn} --allow-data-loss`,
        `aws rds describe-global-clusters --region ${s.region} --global-cluster-identifier ${s.globalClusterId ?? '<global cluster>'} \\`,
        "  --query 'GlobalClusters[0].[Status,GlobalClusterMembers[?IsWriter].DBClusterArn]' --output text   # again until the writer is the standby's ARN",
      ]),
      '',
      `If the primary's Region still answers and the lag is 0, a switchover loses nothing: \`aws rds switchover-global-cluster --region ${s.region} --global-cluster-identifier ${s.globalClusterId ?? '<global cluster>'} --target-db-cluster-identifier ${arn}\`.`,
      '',
    );
  } else if (cold && s.coldStandby) {
    const c = s.coldStandby;
    lines.push(
      ...sh([
        `PARAMS=$(aws cloudformation describe-stacks --region ${s.region} --stack-name ${c.stackName} \\`,
        `  --query "Stacks[0].Parameters[?ParameterKey!='${c.parameterName}'].ParameterKey" --output text | tr '\\t' '\\n' | sed 's/.*/ParameterKey=&,UsePreviousValue=true/')`,
        `aws cloudformation update-stack --region ${s.region} --stack-name ${c.stackName} --use-previous-template \\`,
        `  --parameters ParameterKey=${c.parameterName},ParameterValue=${c.activeValue} $PARAMS \\`,
        `  --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM${c.serviceRoleArn ? ` --role-arn ${c.serviceRoleArn}` : ''}`,
        `aws cloudformation wait stack-update-complete --region ${s.region} --stack-name ${c.stackName}   # tens of minutes: the stack restores the database`,
      ]),
      '',
      `Every other parameter keeps its value (\`UsePreviousValue\`); the update runs as the stack's service role${c.serviceRoleArn ? '' : ' (none is configured: it runs with your credentials)'}.${s.instanceId ? '' : ' No `instanceId` is configured for the standby: read the restored instance from the stack (`aws cloudformation describe-stacks --query Stacks[0].Outputs`) and use it below.'}`,
      '',
    );
  } else {
    lines.push(...sh(promoteInstance(s, s.readiness === 'warm' ? s.promotedInstanceClass : undefined)), '');
    if (s.readiness === 'warm' && !s.promotedInstanceClass)
      lines.push(
        'Warm standby without `promotedInstanceClass`: it stays at its size; scale it with `aws rds modify-db-instance --db-instance-class CLASS --apply-immediately`.',
        '',
      );
    lines.push(
      'A replica without automated backups takes a backup during the promotion (long on a large, busy database); it takes writes once `available`.',
      '',
    );
  }
  lines.push(
    `**5. Point ${code(db.dns.recordName)} at the new writer** (UPSERT of the CNAME, TTL ${db.dns.ttlSeconds} s; clients follow within about the TTL):`,
    '',
    ...sh(dnsCommands(db, s, `${slug}-failover`, `manual failover to ${sid} (${s.region})`)),
    '',
    `**6. Verify writes through ${code(db.dns.recordName)}** (expect ${db.engine.includes('postgres') ? '`f` (not in recovery) and `INSERT 0 1`' : '`0` (not read-only) and the insert accepted'}):`,
    '',
    ...sh(verifyCommands(db, s)),
    '',
    `**7. Record the new roles** (writer \`standby\`; ${code(pid)} is a former writer until it ${isAurora(db.engine) ? 'rejoins the global cluster as a secondary' : 'is rebuilt as a replica'}), so that the automation, once back, acts in the right direction and never promotes ${code(pid)}:`,
    '',
    ...sh(lease.record('standby', true)),
    '',
    'Then release the lease (the automation handles the next alarm; with no standby it escalates instead of promoting), or keep it until you have failed back if the automation is still unreliable:',
    '',
    ...sh(lease.release),
    '',
    `The failback workflow is not started by a manual failover: fail back by hand (next section) once ${p.region} is back.`,
    '',
  );
  return lines;
}

function manualFailback(db: DatabaseConfig, config: FailoverConfig): string[] {
  const { slug, p, s, pid, sid, lease } = byHand(db, config);
  const lines: string[] = [`### Fail back by hand (${s.region} → ${p.region})`, ''];
  lines.push(
    `When ${p.region} answers again and ${code(sid)} (${s.region}) writes. Hold the lease: take it again if you released it (the failover's step 1: it sets \`EPOCH\` and prints the writer, \`standby\`).`,
    '',
  );
  if (isAurora(db.engine)) {
    const arn = `arn:${partitionOf(p.region)}:rds:${p.region}:$ACCOUNT:cluster:${pid}`;
    lines.push(
      `**1. Wait for ${code(pid)} to rejoin** the global cluster as a secondary (Aurora adds the old primary back once its Region recovers), and its lag to settle:`,
      '',
      ...sh([
        `aws rds describe-global-clusters --region ${p.region} --global-cluster-identifier ${p.globalClusterId ?? '<global cluster>'} \\`,
        "  --query 'GlobalClusters[0].GlobalClusterMembers[].[DBClusterArn,IsWriter]' --output text",
        ...lagCommands(db, p).lines.slice(0, 4),
      ]),
      '',
      `If it does not rejoin, follow the AWS guide to recover an Aurora global database after an unplanned failover (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html).`,
      '',
      `**2. Give its security groups their rules back** (saved by the fence), then **switch over** (no data loss):`,
      '',
      ...sh([
        ...(p.securityGroupIds ?? []).map(
          (g) => `aws ec2 authorize-security-group-ingress --region ${p.region} --group-id ${g} --ip-permissions file://${slug}-fence-${g}.json`,
        ),
        `aws rds switchover-global-cluster --region ${p.region} --global-cluster-identifier ${p.globalClusterId ?? '<global cluster>'} --target-db-cluster-identifier ${arn}`,
        `aws rds describe-global-clusters --region ${p.region} --global-cluster-identifier ${p.globalClusterId ?? '<global cluster>'} \\`,
        "  --query 'GlobalClusters[0].[Status,GlobalClusterMembers[?IsWriter].DBClusterArn]' --output text   # again until the writer is the original ARN",
      ]),
      '',
      `**3. Point ${code(db.dns.recordName)} back, verify writes, record the roles** (writer \`primary\`; a switchover keeps ${code(sid)} replicating, so it is a standby at once) **and release the lease:**`,
      '',
      ...sh([
        ...dnsCommands(db, p, `${slug}-failback`, `manual failback to ${pid} (${p.region})`),
        ...verifyCommands(db, p),
        ...lease.record('primary', false),
        ...lease.release,
      ]),
      '',
    );
    return lines;
  }
  const fenceOriginal = fenceCommands(db, p, slug);
  const fenceCurrent = fenceCommands(db, { ...s }, slug);
  lines.push(
    `**1. Fence ${code(pid)} if it came back writable** (the same commands as the failover's step 3; it must never take writes beside ${code(sid)}):`,
    '',
    ...sh(fenceOriginal.lines),
    '',
    `**2. Keep it, and rebuild ${code(pid)} as a cross-Region replica of ${code(sid)}.** The old instance is snapshotted, renamed to ${code(`${pid}-old-$EPOCH`)} and stopped, never deleted; the new replica takes its identifier, class, subnet group and ${p.securityGroupIds?.length ? 'the configured security groups' : 'the security groups the fence recorded'}:`,
    '',
    ...sh(rebuildCommands(db, p, s, slug)),
    '',
    "The new replica gets the Region's default parameter group and option group, and no deletion protection: give it what the old instance had (`aws rds modify-db-instance`), as the automation does.",
    '',
    `Wait until the lag is at most ${db.failback.maxLagSeconds} s, then record that the other site is a standby again:`,
    '',
    ...sh(lease.standbyReady),
    '',
  );
  if (db.failback.policy === 'never') {
    lines.push(`Policy \`never\`: stop here. ${code(sid)} keeps writing and ${code(pid)} is its standby; release the lease (failover step 7).`, '');
    return lines;
  }
  lines.push(
    `**3. Switch over** (a planned stop of writes: tell the application owners). Fence the current writer ${code(sid)}, wait for the lag of ${code(pid)} to be 0, promote it:`,
    '',
    ...sh([...fenceCurrent.lines, ...lagCommands(db, p).lines.slice(0, 4), ...promoteInstance(p)]),
    '',
    `**4. Point ${code(db.dns.recordName)} back and verify writes:**`,
    '',
    ...sh([...dnsCommands(db, p, `${slug}-failback`, `manual failback to ${pid} (${p.region})`), ...verifyCommands(db, p)]),
    '',
    `**5. Record the roles** (writer \`primary\`; ${code(sid)} is a former writer now):`,
    '',
    ...sh(lease.record('primary', true)),
    '',
    `**6. Rebuild ${code(sid)} (${s.region}) as the replica of ${code(pid)}**, kept first the same way (the isolation is undone by the rebuild: the new replica gets ${s.securityGroupIds?.length ? 'the configured groups' : 'the groups the fence recorded'}), then record it and release the lease:`,
    '',
    ...sh([...rebuildCommands(db, { ...s }, p, slug), ...lease.standbyReady, ...lease.release]),
    '',
  );
  if (s.readiness === 'cold' && s.coldStandby) {
    lines.push(
      `Cold standby: the rebuilt ${code(sid)} is a running replica, not the dormant stack. To go back to cold, set ${code(s.coldStandby.parameterName)} of ${code(s.coldStandby.stackName)} back to its dormant value (your stack's, not in the config) with the update-stack command of the failover's step 4, once ${code(sid)} is no longer needed.`,
      '',
    );
  }
  if (s.readiness === 'warm' && s.promotedInstanceClass) {
    lines.push(
      `Warm standby: the rebuilt replica keeps the class the promotion scaled it to (${s.promotedInstanceClass}); scale it back to its warm size with \`aws rds modify-db-instance --region ${s.region} --db-instance-identifier ${sid} --db-instance-class <warm class> --apply-immediately\` if you want.`,
      '',
    );
  }
  return lines;
}

function gameDays(db: DatabaseConfig, config: FailoverConfig): string[] {
  const g = db.gameDay;
  if (!g) return [];
  const pair = config.databases.find((d) => d.name === g.drillPair);
  const region = pair?.primary.region ?? '<region of the drill pair primary>';
  return [
    '### Game days',
    '',
    `Drills run on ${code(g.drillPair)}${g.allowProductionTarget ? ' (a production pair: `allowProductionTarget` is set)' : ''}, with the faults ${g.faults.map(code).join(', ')}${g.schedule ? `, on the schedule ${code(g.schedule)} (${g.scheduleTimezone}), injecting ${code(g.scheduledFault ?? g.faults[0]!)}` : ', started by hand (no schedule)'}. Objectives: RTO ${g.objectives.rtoSeconds} s, data loss ${g.objectives.rpoSeconds} s. A drill run says DRILL in every notification. See docs/game-days.md.`,
    '',
    `To stop a drill: stop its fault experiment in ${region}, then its workflow run (a running drill execution, listed as in "Before any command by hand"):`,
    '',
    ...sh([
      `aws fis list-experiments --region ${region} --query "experiments[?state.status=='running'].[id,experimentTemplateId]" --output text`,
      `aws fis stop-experiment --region ${region} --id "<experiment id>"`,
    ]),
    '',
  ];
}

function databaseSection(db: DatabaseConfig, config: FailoverConfig): string[] {
  const plan = buildPlan(db, config, configFacts(db, config));
  const questions = distinct([...plan.failover, ...plan.failback].flatMap((s) => (s.asks ? [s.asks.split(':')[0]!] : [])));
  return [
    `## Database ${db.name}`,
    '',
    ...glance(db, config),
    '### What the automation does, in order',
    '',
    `A failover (\`failover plan ${db.name} --config <this config>\` shows the same against the account now, with the current roles):`,
    '',
    ...planSteps(plan.failover),
    '',
    'Then the failback:',
    '',
    ...planSteps(plan.failback),
    '',
    questions.length
      ? `Questions this database can ask: ${questions.map(code).join(', ')} (see [Answering an approval](#answering-an-approval)).`
      : 'This database never asks a human.',
    '',
    ...manualFailover(db, config),
    ...manualFailback(db, config),
    ...gameDays(db, config),
  ];
}

/** The runbook of `config` as Markdown (pure, deterministic). */
export function buildRunbook(config: FailoverConfig, options: RunbookOptions): string {
  const lines = [
    ...header(config, options),
    ...whoIsPaged(config),
    ...approvals(config),
    ...dashboardSection(config),
    ...beforeAnything(config),
    ...config.databases.flatMap((db) => databaseSection(db, config)),
  ];
  while (lines.at(-1) === '') lines.pop();
  return `${lines.join('\n')}\n`;
}
