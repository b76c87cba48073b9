/**
 * Security checks (cdk-nag's AWS Solutions pack, through CDK's native validation plugins) and
 * the acknowledgments of the findings the design accepts. Every acknowledgment names exactly
 * one finding on the construct it concerns and says why.
 */
import { Stack, Validations, type App, type Stage } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** Adds cdk-nag's AWS Solutions checks to an app: synthesis fails on any unacknowledged finding. */
export function addSecurityChecks(app: App | Stage): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/** A finding accepted on purpose. */
export interface Acknowledgment {
  /** Rule id, e.g. `AwsSolutions-SQS3`, or a finding such as `AwsSolutions-IAM5[Resource::*]`. */
  readonly id: string;
  readonly reason: string;
}

/** The validation namespace of cdk-nag's AWS Solutions pack (acknowledgment ids are qualified with it). */
export const NAG_NAMESPACE = 'AwsSolutions';

/** Acknowledges one finding on one construct (the id is qualified with the pack's namespace). */
export function acknowledge(scope: IConstruct, ack: Acknowledgment): void {
  const id = ack.id.startsWith(`${NAG_NAMESPACE}::`) ? ack.id : `${NAG_NAMESPACE}::${ack.id}`;
  Validations.of(scope).acknowledge({ id, reason: ack.reason });
}

/** A permission that needs a wildcard, with why. */
export interface WildcardUse {
  /** The resource (ARN, possibly with tokens) containing `*` or `?`. */
  readonly resource?: string;
  /** An action containing `*`. */
  readonly action?: string;
  readonly reason: string;
}

/**
 * Acknowledges cdk-nag's IAM5 ("wildcard permissions") findings for the given wildcard uses on
 * an IAM entity: one acknowledgment per distinct finding, its reason listing every use that
 * produces it (for `Resource::*`, e.g. X-Ray and ec2:DescribeSecurityGroups together).
 */
export function acknowledgeWildcards(scope: IConstruct, uses: readonly WildcardUse[]): void {
  const reasons = new Map<string, string[]>();
  const add = (finding: string, reason: string) => {
    const list = reasons.get(finding) ?? [];
    if (!list.includes(reason)) list.push(reason);
    reasons.set(finding, list);
  };
  for (const use of uses) {
    if (use.resource !== undefined) {
      const flat = flattenReference(Stack.of(scope).resolve(use.resource));
      if (flat.includes('*')) add(`Resource::${flat}`, use.reason);
    }
    if (use.action?.includes('*')) add(`Action::${use.action}`, use.reason);
  }
  for (const [finding, why] of reasons) acknowledge(scope, { id: `AwsSolutions-IAM5[${finding}]`, reason: why.join('; ') });
}

/**
 * Where a role's findings are: its default policy (which holds the statements), or the role
 * itself when it has none yet.
 */
export function policyOf(role: IConstruct): IConstruct {
  return role.node.tryFindChild('DefaultPolicy') ?? role;
}

/**
 * Renders a resolved CloudFormation value the way cdk-nag names findings: `Fn::Join` joined,
 * `Ref` as `<Name>`, `Fn::GetAtt` as `<Name.Attr>`, `${x}` in `Fn::Sub` as `<x>`.
 */
export function flattenReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flattenReference).join(delimiter);
    }
    if (o['Fn::Sub'] !== undefined) return flattenReference(o['Fn::Sub']);
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
    }
    if (o['Fn::ImportValue'] !== undefined) return flattenReference(o['Fn::ImportValue']);
    if (o.Ref !== undefined) return `<${flattenReference(o.Ref)}>`;
  }
  return JSON.stringify(node);
}
