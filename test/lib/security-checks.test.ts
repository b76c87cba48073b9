/**
 * cdk-nag (AWS Solutions) and CloudFormation's schema validation run on synthesis: the example
 * and the wide config pass with every finding either fixed or acknowledged with a reason; and
 * both checks do fail a template that breaks them (so a pass means something).
 */
import { CfnResource, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { CfnQueue, Queue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { flattenReference } from '../../lib/nag.js';
import { synthApp, testContext } from '../helpers/synth.js';
import { wideConfig } from './configs.js';

/** Every acknowledgment recorded in the app, as `path: id (reason)`. */
function acknowledgments(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  const out: Array<{ path: string; id: string; reason: string }> = [];
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      // Recorded as { <qualified id>: reason }, the id qualified with the plugin's namespace.
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) out.push({ path: c.node.path, id, reason });
    }
  }
  return out;
}

describe('security checks (cdk-nag AWS Solutions)', () => {
  it('pass on the example config with nothing unacknowledged', () => {
    expect(() => synthApp({ nag: true })).not.toThrow();
  });

  it('pass on a config with every engine, readiness, IAM auth, partial secret ARNs and VPCs', () => {
    expect(() => synthApp({ config: wideConfig(), nag: true })).not.toThrow();
  });

  it('do fail synthesis on an unacknowledged finding', () => {
    expect(() =>
      synthApp({
        nag: true,
        customize: (stacks) => {
          new Queue(stacks.control, 'Unencrypted');
        },
      }),
    ).toThrow(/AwsSolutions-SQS4/);
  });

  it('do evaluate IAM wildcards: a new wildcard resource on a function role fails synthesis', () => {
    expect(() =>
      synthApp({
        nag: true,
        customize: (stacks) => {
          stacks.control.control.functions.functions['accept-trigger'].role.addToPrincipalPolicy(
            new PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::some-bucket/*'] }),
          );
        },
      }),
    ).toThrow(/AwsSolutions-IAM5\[Resource::arn:aws:s3:::some-bucket\/\*\]/);
  });

  it('acknowledge one finding per call, on the IAM entity or resource concerned, each with a reason', () => {
    let acks: ReturnType<typeof acknowledgments> = [];
    synthApp({
      customize: (_stacks, app) => {
        acks = acknowledgments(app);
      },
    });
    expect(acks.length).toBeGreaterThan(20);
    for (const ack of acks) {
      expect(ack.id).toMatch(/^AwsSolutions::AwsSolutions-(IAM5\[(Resource|Action)::.+\]|SQS3|SMG4)$/);
      expect(ack.reason.length, ack.id).toBeGreaterThan(30);
      expect(ack.path).toMatch(/\/(Role\/DefaultPolicy|TriggerDeadLetters|ForwardDeadLetters|ApprovalSigningKey)$/);
    }
    const ids = (path: RegExp) =>
      acks
        .filter((a) => path.test(a.path))
        .map((a) => a.id)
        .sort();
    // The isolation fence (the default fenceMethod): CreateSecurityGroup on the site Regions' VPCs and on new
    // groups (tag-conditioned), CreateTags at creation only; each acknowledged with its reason.
    expect(ids(/FencePrimary\/Role\/DefaultPolicy$/)).toEqual(
      [
        'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        ...['us-east-1', 'us-west-2'].flatMap((r) =>
          ['security-group', 'vpc'].map((t) => `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${r}:<AWS::AccountId>:${t}/*]`),
        ),
      ].sort(),
    );
    expect(acks.find((a) => a.id.endsWith(':vpc/*]'))!.reason).toMatch(/only known from DescribeDBInstances/);
    expect(acks.find((a) => a.id.endsWith(':security-group/*]'))!.reason).toMatch(/rds-failover:purpose=fence-isolation.*CreateAction|only while creating/s);
    expect(acks.find((a) => /FencePrimary\/Role\/DefaultPolicy$/.test(a.path))!.reason).toMatch(/X-Ray.*ec2:DescribeSecurityGroups/);
    expect(ids(/Workflows\/Failover\/Role\/DefaultPolicy$/)).toEqual(
      expect.arrayContaining([
        'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:route53:::change/*]',
      ]),
    );
    // No acknowledgment of managed policies: there are none (AwsSolutions-IAM4).
    expect(acks.some((a) => a.id.includes('IAM4'))).toBe(false);
  });

  it('name findings the way cdk-nag does', () => {
    expect(flattenReference({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':route53:::change/*']] })).toBe('arn:<AWS::Partition>:route53:::change/*');
    expect(flattenReference({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Fn123', 'Arn'] }, ':*']] })).toBe('<Fn123.Arn>:*');
    expect(flattenReference('*')).toBe('*');
  });
});

describe('CloudFormation schema validation (validateAgainstDefaultRules)', () => {
  it('is on for tests as in cdk.json', () => {
    expect(testContext()['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
  });

  it('passes the synthesized templates (synthesis would throw otherwise)', () => {
    expect(() => synthApp({ config: wideConfig() })).not.toThrow();
  });

  it('does fail synthesis on a template that breaks the resource schema', () => {
    expect(() =>
      synthApp({
        customize: (stacks) => {
          const queue = new CfnQueue(stacks.control, 'Broken');
          queue.addPropertyOverride('MessageRetentionPeriod', 'two weeks');
          void (queue as CfnResource);
        },
      }),
    ).toThrow();
  });
});
