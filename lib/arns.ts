/**
 * ARNs built from the config, for IAM policies scoped to exactly the configured resources
 * (docs/aws-behaviour.md §9 has the formats). The stacks of one app live in one account: the account and
 * partition are the deploying stack's own (`Aws.ACCOUNT_ID`, `Aws.PARTITION`), never a
 * cross-stack export.
 */
import { Aws, Fn } from 'aws-cdk-lib';

/** Builds ARNs in one partition and account (tokens by default). */
export class Arns {
  constructor(
    readonly partition: string = Aws.PARTITION,
    readonly account: string = Aws.ACCOUNT_ID,
    private readonly finish: (arn: string) => string = (arn) => arn,
  ) {}

  /**
   * ARNs written as one `Fn::Sub` string each (`arn:${AWS::Partition}:rds:...:${AWS::AccountId}:db:x`)
   * instead of CDK's `Fn::Join` of parts: the same ARN after resolution, in about a third of the
   * template bytes. The IAM policies list an ARN per configured resource, so this is what keeps
   * the control template small as databases are added (docs/scale.md). The same ARN asked twice
   * is the same token (policies deduplicate resources by their token string).
   */
  static compact(): Arns {
    const tokens = new Map<string, string>();
    return new Arns('${AWS::Partition}', '${AWS::AccountId}', (arn) => {
      let token = tokens.get(arn);
      if (token === undefined) {
        token = Fn.sub(arn);
        tokens.set(arn, token);
      }
      return token;
    });
  }

  /** A Fault Injection Service resource (`experiment-template/<id>`, `experiment/<id>`). */
  fis(region: string, resource: string): string {
    return this.finish(`arn:${this.partition}:fis:${region}:${this.account}:${resource}`);
  }
  rdsInstance(region: string, id: string): string {
    return this.finish(`arn:${this.partition}:rds:${region}:${this.account}:db:${id}`);
  }
  /** Every instance in a Region (an Aurora writer is only known at run time). */
  rdsAnyInstance(region: string): string {
    return this.finish(`arn:${this.partition}:rds:${region}:${this.account}:db:*`);
  }
  rdsCluster(region: string, id: string): string {
    return this.finish(`arn:${this.partition}:rds:${region}:${this.account}:cluster:${id}`);
  }
  /** Global clusters have no Region in their ARN. */
  rdsGlobalCluster(id: string): string {
    return this.finish(`arn:${this.partition}:rds::${this.account}:global-cluster:${id}`);
  }
  /** A DB snapshot (or a name pattern). */
  rdsSnapshot(region: string, name: string): string {
    return this.finish(`arn:${this.partition}:rds:${region}:${this.account}:snapshot:${name}`);
  }
  /** Any DB subnet group of a Region. */
  rdsAnySubnetGroup(region: string): string {
    return this.finish(`arn:${this.partition}:rds:${region}:${this.account}:subgrp:*`);
  }
  /** Any DB parameter group of a Region. */
  rdsAnyParameterGroup(region: string): string {
    return this.finish(`arn:${this.partition}:rds:${region}:${this.account}:pg:*`);
  }
  /** Any option group of a Region. */
  rdsAnyOptionGroup(region: string): string {
    return this.finish(`arn:${this.partition}:rds:${region}:${this.account}:og:*`);
  }
  /** A CloudWatch alarm. */
  alarm(region: string, name: string): string {
    return this.finish(`arn:${this.partition}:cloudwatch:${region}:${this.account}:alarm:${name}`);
  }
  /** Automated backups (their ids are resource ids, unknown before deployment). */
  rdsAnyAutomatedBackup(region: string): string {
    return this.finish(`arn:${this.partition}:rds:${region}:${this.account}:auto-backup:*`);
  }
  /** IAM database authentication for one user on any instance of the Region (the DbiResourceId is not in the config). */
  rdsDbUser(region: string, user: string): string {
    return this.finish(`arn:${this.partition}:rds-db:${region}:${this.account}:dbuser:*/${user}`);
  }
  /** Any security group of a Region (a group created at fence time has no id before). */
  anySecurityGroup(region: string): string {
    return this.finish(`arn:${this.partition}:ec2:${region}:${this.account}:security-group/*`);
  }
  /** Any VPC of a Region (an instance's VPC is only known from DescribeDBInstances). */
  anyVpc(region: string): string {
    return this.finish(`arn:${this.partition}:ec2:${region}:${this.account}:vpc/*`);
  }
  securityGroup(region: string, id: string): string {
    return this.finish(`arn:${this.partition}:ec2:${region}:${this.account}:security-group/${id}`);
  }
  /** Route 53 ARNs have neither Region nor account. */
  hostedZone(id: string): string {
    return this.finish(`arn:${this.partition}:route53:::hostedzone/${id}`);
  }
  /** Change ids are only known once a change is made. */
  route53AnyChange(): string {
    return this.finish(`arn:${this.partition}:route53:::change/*`);
  }
  lambdaFunction(region: string, name: string): string {
    return this.finish(`arn:${this.partition}:lambda:${region}:${this.account}:function:${name}`);
  }
  /** A stack by name, any stack id. */
  cloudFormationStack(region: string, name: string): string {
    return this.finish(`arn:${this.partition}:cloudformation:${region}:${this.account}:stack/${name}/*`);
  }
  eventBus(region: string, name: string): string {
    return this.finish(`arn:${this.partition}:events:${region}:${this.account}:event-bus/${name}`);
  }
  stateMachine(region: string, name: string): string {
    return this.finish(`arn:${this.partition}:states:${region}:${this.account}:stateMachine:${name}`);
  }
  /** Every execution of one state machine (execution names are only known at run time). */
  stateMachineExecutions(region: string, name: string): string {
    return this.finish(`arn:${this.partition}:states:${region}:${this.account}:execution:${name}:*`);
  }
}

/**
 * The ARN to grant `secretsmanager:GetSecretValue` on. Secrets Manager appends `-` and six
 * random characters to a secret's name; a configured ARN that already ends that way is complete
 * and used as is, otherwise (a partial ARN, by name) the `-??????` wildcard matches exactly that
 * suffix and nothing longer.
 */
export function secretResourceArn(secretArn: string): string {
  return /-[A-Za-z0-9]{6}$/.test(secretArn) ? secretArn : `${secretArn}-??????`;
}

/**
 * A record name as IAM's `route53:ChangeResourceRecordSetsNormalizedRecordNames` holds it: lower
 * case, without the trailing dot, every character other than a-z, 0-9, `-`, `_` and `.` written as
 * a backslash and three octal digits (docs/aws-behaviour.md "IAM condition keys of the narrowed policies").
 */
export function normalizedRecordName(name: string): string {
  return [...name.toLowerCase().replace(/\.$/, '')].map((ch) => (/[a-z0-9\-_.]/.test(ch) ? ch : `\\${ch.charCodeAt(0).toString(8).padStart(3, '0')}`)).join('');
}
