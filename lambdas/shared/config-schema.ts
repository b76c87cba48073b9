/**
 * The config contract (docs/config.md): one file, many databases. It is the app's input file,
 * the construct library's props, and, one database at a time, the settings every workflow run
 * carries in its input (placed there by the EventBridge rule the stack deploys).
 *
 * Keys may be added, never renamed or removed. Every field is documented here; the README's
 * config reference and the exported JSON Schema come from this file.
 */
import * as z from 'zod';
import { ENGINES, FENCE_METHODS, GAME_DAY_FAULTS, IAM_ROLE_ARN, KMS_KEY_ARN, READINESS, RPO_ESTIMATES } from './config-values.js';

export {
  CONTROL_PLANE_VANTAGE,
  defaultPort,
  ENGINES,
  GAME_DAY_FAULTS,
  isAurora,
  KMS_KEY_ARN,
  READINESS,
  RPO_ESTIMATES,
  secretArnInRegion,
  type Engine,
  type FenceMethod,
  type GameDayFault,
  type Readiness,
} from './config-values.js';

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const region = () => z.string().regex(REGION, { message: 'must be an AWS Region code such as us-east-1' });

const identifier = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, { message: 'must be an RDS identifier: a letter, then letters, digits or hyphens (max 63)' });

const securityGroupIds = z.array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, { message: 'must be a security group id such as sg-0123456789abcdef0' })).min(1);

export const siteSchema = z
  .object({
    /** Region of this site. */
    region: region(),
    /** RDS instance identifier (RDS PostgreSQL/MySQL). */
    instanceId: identifier.optional(),
    /** Aurora DB cluster identifier (Aurora engines). */
    clusterId: identifier.optional(),
    /** Aurora global cluster identifier (Aurora engines; the same on both sites). */
    globalClusterId: identifier.optional(),
    /** Endpoint address probed by the vantage points. Default: the DNS record name. */
    endpoint: z.string().min(1).optional(),
    /** Port the database listens on. Default: 5432 for PostgreSQL engines, 3306 for MySQL. */
    port: z.number().int().min(1).max(65535).optional(),
    /**
     * Security groups dedicated to this database. Optional: only `failover.fenceMethod`
     * "revoke-ingress" uses them (their ingress rules are revoked and kept in the incident record
     * so a failback can restore them); the default method isolates the instance whatever groups it
     * has. When given, a rebuilt replica of this site gets these groups.
     */
    securityGroupIds: securityGroupIds.optional(),
  })
  .strict();

export const standbySchema = siteSchema
  .extend({
    /** hot: replica sized like the primary; warm: smaller replica scaled up after promotion; cold: nothing running. */
    readiness: z.enum(READINESS),
    /** Warm standbys: the instance class the promoted standby is scaled up to (e.g. db.r6g.xlarge). */
    promotedInstanceClass: z
      .string()
      .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { message: 'must be an RDS instance class such as db.r6g.xlarge' })
      .optional(),
    /**
     * Cold standbys: the CloudFormation stack in the standby Region that holds the dormant
     * database; the failover updates it with `parameterName` = `activeValue` (other parameters keep their values).
     */
    coldStandby: z
      .object({
        /** Name of the CloudFormation stack (in the standby Region) that holds the dormant database. */
        stackName: z
          .string()
          .regex(/^[a-zA-Z][-a-zA-Z0-9]{0,127}$/, { message: 'must be a CloudFormation stack name: a letter, then letters, digits or hyphens (max 128)' }),
        /** Stack parameter that switches the standby on. */
        parameterName: z.string().min(1).default('Mode'),
        /** Value of `parameterName` that makes the stack create and start the database. */
        activeValue: z.string().min(1).default('active'),
        /**
         * CloudFormation service role the stack update runs as (`RoleARN` of UpdateStack): it, not the
         * failover function, restores the database. An IAM role of the standby's account that
         * cloudformation.amazonaws.com may assume; required for cold standbys (docs/config.md).
         */
        serviceRoleArn: z.string().regex(IAM_ROLE_ARN, { message: 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)' }).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const vantagePointSchema = z
  .object({
    /** Unique name of the vantage point (used in events, metrics and scenario files). */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, { message: 'must be lowercase letters, digits and hyphens (max 32)' }),
    /** Region the probe function runs in. */
    region: region(),
  })
  .strict();

/** One weighted target of a traffic record: the application tier of one site Region. */
export const trafficTargetSchema = z
  .object({
    /** The site Region this target serves (the primary's or the standby's Region). */
    region: region(),
    /** Route 53 SetIdentifier of this target's weighted record (unique within the record). */
    setIdentifier: z.string().min(1).max(128),
    /** The record value: an IPv4 address (A), an IPv6 address (AAAA) or a DNS name (CNAME), e.g. the Region's load balancer. */
    value: z.string().min(1).max(255),
  })
  .strict();

/** Weighted records in front of the application tier, drained back to the original Region by the failback. */
export const trafficSchema = z
  .object({
    /** Route 53 hosted zone id holding the weighted records. */
    hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, { message: 'must be a Route 53 hosted zone id such as Z0123456789ABC' }),
    /** The name clients of the application tier use. */
    recordName: z.string().regex(/^([a-z0-9_]([a-z0-9-]*[a-z0-9])?\.)+[a-z0-9-]+\.?$/i, { message: 'must be a DNS name' }),
    /** Record type of the weighted records (alias records are not managed). */
    type: z.enum(['A', 'AAAA', 'CNAME']),
    /** TTL of the weighted records: clients follow a weight change within about this long. */
    ttlSeconds: z.number().int().min(0).max(86400).default(60),
    /** One weighted target per site Region (both the primary's and the standby's Region). */
    targets: z.array(trafficTargetSchema).min(2).max(2),
    /** Percentages of traffic moved back to the original Region, one step after the other; the last is 100. */
    drainSteps: z.array(z.number().int().min(1).max(100)).min(1).max(10).default([10, 50, 100]),
    /** Minutes each step is observed (alarms checked every minute) before the next. */
    stepObservationMinutes: z.number().int().min(1).max(1440).default(10),
    /** CloudWatch alarms gating every step, looked up by name in both site Regions; one in ALARM (or missing everywhere) rolls the weights back. The database's in-Region heartbeat alarm is always checked too. */
    alarmNames: z.array(z.string().min(1).max(255)).max(20).optional(),
  })
  .strict();

/**
 * Game days of one database (docs/game-days.md): AWS FIS experiment templates on a designated drill
 * pair, drill runs of the real failover workflow on that pair, an optional schedule, and the
 * objectives each drill's measured RTO and data loss are compared with.
 */
export const gameDaySchema = z
  .object({
    /**
     * The database the drills run on: the name of a database of this config. It must be a
     * designated drill target (`drillTarget: true`) unless `allowProductionTarget` is true.
     */
    drillPair: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, { message: 'must be the name of a database of this config' }),
    /** Explicit opt-in to drill a pair that is not a designated drill target (a production pair). */
    allowProductionTarget: z.boolean().default(false),
    /**
     * The fault experiments deployed for the drill pair. reboot-with-failover: RDS reboot with
     * failover (Multi-AZ instances); failover-db-cluster: Aurora cluster failover;
     * disrupt-connectivity: network disruption of the primary's subnets (`disruptSubnetIds`), the
     * closest FIS gets to a Region outage.
     */
    faults: z.array(z.enum(GAME_DAY_FAULTS)).min(1).max(3).default(['disrupt-connectivity']),
    /** Subnets of the drill pair's primary whose connectivity `disrupt-connectivity` cuts. */
    disruptSubnetIds: z
      .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { message: 'must be a subnet id such as subnet-0123456789abcdef0' }))
      .min(1)
      .max(5)
      .optional(),
    /** How long a fault lasts (disrupt-connectivity), in minutes. */
    faultDurationMinutes: z.number().int().min(1).max(720).default(10),
    /**
     * CloudWatch alarms (ARNs, in the drill pair's primary Region) that stop an experiment when they
     * go to ALARM: the business alarms the user names. The product's own health alarms are added.
     */
    stopAlarmArns: z
      .array(
        z.string().regex(/^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$/, {
          message: 'must be a CloudWatch alarm ARN (arn:aws:cloudwatch:<region>:<account>:alarm:<name>)',
        }),
      )
      .min(1)
      .max(3),
    /**
     * When a drill starts on its own: an EventBridge Scheduler expression (`cron(...)`, `rate(...)`
     * or `at(...)`), e.g. `cron(0 10 ? 1,4,7,10 TUE#2 *)` for the second Tuesday of each quarter.
     * Default: no schedule (drills are started by hand).
     */
    schedule: z
      .string()
      .regex(/^(cron\(.+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\))$/, {
        message: 'must be an EventBridge Scheduler expression: cron(...), rate(N unit) or at(yyyy-mm-ddThh:mm:ss)',
      })
      .optional(),
    /** Time zone of `schedule` (IANA name). */
    scheduleTimezone: z.string().min(1).default('UTC'),
    /** The fault a scheduled drill injects (one of `faults`). Default: the first of `faults`. */
    scheduledFault: z.enum(GAME_DAY_FAULTS).optional(),
    /** What each drill is held to: its measured RTO and data loss are compared with these. */
    objectives: z
      .object({
        /** Target recovery time (fault onset to writes served by the new primary), in seconds. */
        rtoSeconds: z.number().int().min(1).max(86400).default(900),
        /** Target data loss, in seconds of writes. */
        rpoSeconds: z.number().min(0).max(86400).default(30),
      })
      .strict()
      .default({ rtoSeconds: 900, rpoSeconds: 30 }),
  })
  .strict();

export const databaseSchema = z
  .object({
    /** Name of the protected database: lowercase, used in resource names, events and the CLI. */
    name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, { message: 'must start with a letter; lowercase letters, digits and hyphens (max 32)' }),
    /** Database engine. `aurora-*` engines are Aurora global databases (clusters); the others are RDS instances with a cross-Region read replica. */
    engine: z.enum(ENGINES),
    /** The site that takes writes today. */
    primary: siteSchema,
    /** The site that takes over: a cross-Region replica (hot or warm) or a dormant stack (cold). */
    standby: standbySchema,
    /** The Route 53 record clients connect through; the failover points it at the new writer. */
    dns: z
      .object({
        /** Route 53 hosted zone id (public or private) holding the writer record. */
        hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, { message: 'must be a Route 53 hosted zone id such as Z0123456789ABC' }),
        /** The name clients connect to; a CNAME to the writer's endpoint. */
        recordName: z.string().regex(/^([a-z0-9_]([a-z0-9-]*[a-z0-9])?\.)+[a-z0-9-]+\.?$/i, { message: 'must be a DNS name' }),
        /** TTL of the record: clients follow a switch within about this long. */
        ttlSeconds: z.number().int().min(0).max(86400).default(30),
      })
      .strict(),
    /** How probes and the heartbeat log in. Default: no credentials (probes check TCP reachability only). */
    credentials: z
      .object({
        /** Secrets Manager secret with `username` and `password` (any Region; read with an explicit Region). */
        secretArn: z
          .string()
          .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, {
            message: 'must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)',
          })
          .optional(),
        /**
         * Regions where the secret is replicated (Secrets Manager replication: same name and suffix,
         * another Region). A function reads the replica in its own Region when it is listed, else the
         * secret in the Region of `secretArn`, and tries the other listed Regions when that Region does
         * not answer: probes, heartbeats and the write check keep their login during an outage of
         * the secret's Region. Default: none (the secret is read in the Region of its ARN only).
         */
        secretReplicaRegions: z.array(region()).min(1).max(10).optional(),
        /**
         * Customer managed KMS keys that encrypt the secret and its replicas (the secret's `KmsKeyId`),
         * by key ARN: one for each Region where the secret (or a replica) uses such a key, in that
         * Region. Every function that reads the secret may `kms:Decrypt` with exactly these keys, only
         * through Secrets Manager. Default: none (the AWS managed key aws/secretsmanager).
         */
        secretKmsKeyArns: z
          .array(z.string().regex(KMS_KEY_ARN, { message: 'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>), not an alias' }))
          .min(1)
          .max(11)
          .optional(),
        /** Database user for IAM authentication (used when no secret is given). */
        iamUser: z.string().min(1).optional(),
        /** Database name to connect to. Default: postgres (PostgreSQL) or mysql (MySQL). */
        databaseName: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    /** How a failure is detected (heartbeat alarms) and verified (probes from several vantage points, in rounds). */
    detection: z
      .object({
        /** Where the probe functions run. Span at least two Regions; one outside both the primary's and the standby's Region is the witness. */
        vantagePoints: z.array(vantagePointSchema).min(1),
        /** How many vantage points must see the primary down in every round. */
        quorum: z.number().int().min(1),
        /** How many rounds of probes (each must reach the quorum) before `confirmed-down`. */
        probeRounds: z.number().int().min(1).max(10).default(3),
        /** Seconds between probe rounds. */
        probeIntervalSeconds: z.number().int().min(0).max(300).default(10),
        /** Also ask the RDS control plane (DescribeDBInstances) in the primary Region as a vantage point. */
        includeControlPlane: z.boolean().default(true),
        /** The heartbeat that feeds the trigger alarms. */
        heartbeat: z
          .object({
            /** Seconds between heartbeats (the alarm period). 60 or a multiple of 60. */
            periodSeconds: z
              .number()
              .int()
              .min(60, { message: 'must be 60 or a multiple of 60 (CloudWatch periods of 60 s or more are evaluated every minute)' })
              .multipleOf(60, { message: 'must be 60 or a multiple of 60 (CloudWatch periods of 60 s or more are evaluated every minute)' })
              .default(60),
            /** Alarm evaluation periods (N of "M of N"). */
            evaluationPeriods: z.number().int().min(1).max(10).default(3),
            /** Breaching datapoints needed to alarm (M of "M of N"). */
            datapointsToAlarm: z.number().int().min(1).max(10).default(2),
          })
          .strict()
          .default({ periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 2 }),
      })
      .strict(),
    /** How the failover decides and acts. */
    failover: z
      .object({
        /** automatic: confirmed-down and within budget fails over alone; manual: always ask. Ambiguous verdicts always ask. */
        mode: z.enum(['automatic', 'manual']).default('automatic'),
        /** Replica lag (seconds) accepted without a human; over it a human must approve the data loss. */
        rpoBudgetSeconds: z.number().min(0).max(86400).default(30),
        /**
         * What is held against the budget. last-sample: the data behind in the last metric period
         * before the failure's onset (lag that grows after that sample is not seen). strict: that
         * figure plus the time from its sample to the latest moment the primary can have committed
         * (a bound the loss cannot exceed; with 60 s heartbeats about 150 s more).
         */
        rpoEstimate: z.enum(RPO_ESTIMATES).default('last-sample'),
        /** required: an unconfirmed fence sends the decision to a human; best-effort: record and go on. */
        fencing: z.enum(['required', 'best-effort']).default('required'),
        /**
         * How the old writer is fenced (instances; Aurora clusters always use revoke-ingress):
         * isolate: swap its VPC security groups for a deny-all isolation group of its VPC (found or
         * created by name), then reboot it to cut open sessions; the original groups are kept and
         * restored when the site returns to service. stop: isolate, then stop the instance instead
         * of rebooting it where RDS allows (not a replica, no replicas), else reboot. revoke-ingress:
         * revoke every ingress rule of the site's `securityGroupIds` (dedicated to the database),
         * then reboot.
         */
        fenceMethod: z.enum(FENCE_METHODS).default('isolate'),
        /** No automatic failover within this many minutes of the last failover or failback. */
        cooldownMinutes: z.number().int().min(0).max(10080).default(60),
        /** How long an approval request waits before the run escalates (nothing changed). */
        approvalTimeoutMinutes: z.number().int().min(1).max(10080).default(30),
        /**
         * How long a promotion that has started may take before the run escalates (hot and warm
         * replicas, Aurora global failover). DNS follows the standby as soon as it takes writes,
         * even while RDS still backs it up; the wait goes on only while it does not (or, for a warm
         * standby, until it can be scaled up).
         */
        promotionTimeoutMinutes: z.number().int().min(10).max(1440).default(120),
      })
      .strict(),
    /** Whether and how the original site takes the writer role back after a failover. */
    failback: z
      .object({
        /** manual-approval: rebuild, hold for stabilityMinutes, then ask a human; automatic: the same without asking; never: keep the new primary and only rebuild a standby. */
        policy: z.enum(['manual-approval', 'automatic', 'never']).default('manual-approval'),
        /** Minutes of continuous health required before a failback is offered. */
        stabilityMinutes: z.number().int().min(0).max(10080).default(30),
        /** How long a failback approval request waits before it expires (nothing is changed). */
        approvalTimeoutHours: z.number().int().min(1).max(720).default(24),
        /** How long the failback waits for the original site to answer again (backoff from 5 minutes to 1 hour) before it gives up and tells the operators. */
        maxWaitHours: z.number().int().min(1).max(8760).default(168),
        /** Replica lag (seconds) at or under which the rebuilt replica counts as caught up and healthy. */
        maxLagSeconds: z.number().min(0).max(3600).default(5),
        /** How long the rebuilt cross-Region replica may take to become available and catch up before the failback escalates. */
        rebuildTimeoutMinutes: z.number().int().min(10).max(1440).default(240),
      })
      .strict()
      .default({ policy: 'manual-approval', stabilityMinutes: 30, approvalTimeoutHours: 24, maxWaitHours: 168, maxLagSeconds: 5, rebuildTimeoutMinutes: 240 }),
    /**
     * Weighted Route 53 records in front of the application tier (one target per site Region).
     * The failback shifts their weight back to the original Region step by step, each step
     * observed and gated on alarms; an alarm rolls the weights back and the failback stops.
     * Default: no traffic records (the failback moves only the database).
     */
    traffic: trafficSchema.optional(),
    /**
     * A designated drill target: a pair kept for game days, not serving production. Only drill
     * targets receive fault experiments and drill runs, unless a database's `gameDay` opts in to a
     * production pair with `allowProductionTarget`.
     */
    drillTarget: z.boolean().default(false),
    /** Game days for this database: fault experiments, drill runs and their schedule (docs/game-days.md). Default: none. */
    gameDay: gameDaySchema.optional(),
  })
  .strict();

export const networkSchema = z
  .object({
    /** Region of this VPC. Functions that talk to databases in this Region attach to it. */
    region: region(),
    /** The VPC id. */
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { message: 'must be a VPC id such as vpc-0123456789abcdef0' }),
    /** Private subnets (with a route to the AWS APIs: NAT or VPC endpoints) the functions attach to. */
    subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { message: 'must be a subnet id such as subnet-0123456789abcdef0' })).min(1),
    /** Security groups given to the functions; the databases must allow them in. */
    securityGroupIds: securityGroupIds,
  })
  .strict();

/** The approval page, its links, and who may decrypt the execution history (task tokens). */
export const approvalsSchema = z
  .object({
    /**
     * public-url: a function URL without IAM auth (every link is signed, short-lived, single use);
     * iam-url: a function URL with AuthType AWS_IAM (requests must be SigV4-signed);
     * none: no URL at all, approvals by CLI or console only.
     */
    page: z.enum(['public-url', 'iam-url', 'none']).default('public-url'),
    /** Reserved concurrency of the approval page function (it can never starve the workflow functions); null: no reservation (accounts whose unreserved concurrency cannot spare it). */
    pageReservedConcurrency: z.number().int().min(1).max(100).nullable().default(2),
    /** How long an emailed approval link works (capped by the approval's own timeout). Afterwards, answer by CLI or console. */
    linkLifetimeMinutes: z.number().int().min(5).max(1440).default(60),
    /** IAM principal ARNs (operators, auditors) allowed to decrypt the state machines' execution history. */
    executionHistoryReaders: z
      .array(
        z
          .string()
          .regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/, { message: 'must be an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)' }),
      )
      .default([]),
  })
  .strict();

export const configSchema = z
  .object({
    /** Editors' JSON Schema reference; ignored. */
    $schema: z.string().optional(),
    /** Region of the orchestrator (state machines, lease table, approvals). Never only the primary's Region. */
    controlRegion: region(),
    /** Account to deploy to. Default: the CLI's account at deploy time (environment-agnostic stacks). */
    account: z
      .string()
      .regex(/^\d{12}$/, { message: 'must be a 12-digit AWS account id' })
      .optional(),
    /** Prefix of every resource name. */
    prefix: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,15}$/, { message: 'must start with a letter; lowercase letters, digits and hyphens (max 16)' })
      .default('failover'),
    /** Who is told about incidents, approvals and failbacks. */
    notifications: z
      .object({
        /** Addresses subscribed to the notification topic (each must confirm by email). */
        emails: z.array(z.email()).default([]),
      })
      .strict()
      .default({ emails: [] }),
    /** VPCs for functions that connect to databases, one per Region at most. */
    networks: z.array(networkSchema).default([]),
    /** How humans answer approvals, and who may read the workflows' execution history (docs/config.md, "approvals"). */
    approvals: approvalsSchema.default({ page: 'public-url', pageReservedConcurrency: 2, linkLifetimeMinutes: 60, executionHistoryReaders: [] }),
    /** The protected databases (one set of functions and state machines serves them all). */
    databases: z.array(databaseSchema).min(1),
  })
  .strict();

export type FailoverConfig = z.output<typeof configSchema>;
export type FailoverConfigInput = z.input<typeof configSchema>;
export type DatabaseConfig = z.output<typeof databaseSchema>;
export type SiteConfig = z.output<typeof siteSchema>;
export type StandbyConfig = z.output<typeof standbySchema>;
export type VantagePoint = z.output<typeof vantagePointSchema>;
export type NetworkConfig = z.output<typeof networkSchema>;
export type TrafficConfig = z.output<typeof trafficSchema>;
export type ApprovalsConfig = z.output<typeof approvalsSchema>;
export type FailbackConfig = z.output<typeof databaseSchema.shape.failback>;
export type GameDayConfig = z.output<typeof gameDaySchema>;
