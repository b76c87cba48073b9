/**
 * Packs a role's statements into policies that stay within IAM's size limits, however many
 * databases the config protects (docs/scale.md). The product's policies list one ARN per
 * configured resource (least privilege): with a hundred databases a function's grants no longer
 * fit one policy. CDK's own overflow (when a default policy outgrows its estimate) cannot split a
 * statement whose resource list alone is too large, and its overflow policies carry none of the
 * cdk-nag acknowledgments. Here, instead:
 *
 * - a statement whose resources would not fit {@link POLICY_BUDGETS}.statement is split into
 *   statements with the same actions and conditions over parts of the resource list;
 * - the statements fill the role's default (inline) policy up to {@link POLICY_BUDGETS}.inline,
 *   then customer managed policies of at most {@link POLICY_BUDGETS}.managed each, created here,
 *   each with the acknowledgments of exactly the wildcards it holds;
 * - more managed policies than IAM's default quota per role ({@link IAM_LIMITS}) is an error (the
 *   config validation refuses such a config first: lib/config/rules.ts, "scale").
 *
 * Sizes are measured the way IAM counts them (the policy JSON without whitespace), on the resolved
 * document, with each pseudo parameter replaced by its longest value (`aws-us-gov`, a 12-digit
 * account, the longest Region name) and each attribute of another resource by a generous ARN
 * length, so that an estimate is never below what IAM sees.
 */
import { Stack } from 'aws-cdk-lib';
import { deriveEstimateSizeOptions, ManagedPolicy, PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/** IAM's limits on a role's policies (docs/aws-behaviour.md "CloudFormation and IAM size limits"). */
export const IAM_LIMITS = {
  /** Characters of one customer managed policy, whitespace excluded. */
  managedPolicyChars: 6_144,
  /** Characters of all a role's inline policies together, whitespace excluded. */
  inlineCharsPerRole: 10_240,
  /** Managed policies attached to one role (the default quota; raisable to 20). */
  managedPoliciesPerRole: 10,
} as const;

/**
 * What the packing fills each policy up to (estimated characters). Below the limits: the default
 * policy also holds the log-group grant, X-Ray and, in a VPC, the network-interface grant, and
 * CDK's own overflow estimate (which triggers at 10,000 characters) must never fire.
 */
export const POLICY_BUDGETS = { inline: 7_000, managed: 5_600, statement: 1_800 } as const;

/**
 * CDK moves statements out of a role's default policy into overflow policies of its own (without
 * the acknowledgments) once its estimate, which counts every ARN with a token as 150 characters,
 * passes 10,000: the inline part stays below this by CDK's count too.
 */
const CDK_INLINE_ESTIMATE_BUDGET = 8_500;

/** The longest value each pseudo parameter can take. */
const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws-us-gov',
  'AWS::AccountId': '123456789012',
  'AWS::Region': 'ap-southeast-5',
  'AWS::URLSuffix': 'amazonaws.com.cn',
  'AWS::StackName': 'x'.repeat(128),
  'AWS::StackId': 'x'.repeat(200),
};
/** What an attribute or reference to another resource resolves to, at most (an ARN or a name). */
const REFERENCE = 'x'.repeat(160);

/** A CloudFormation value with its intrinsics replaced by their longest plausible resolution. */
function longest(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(longest);
  if (!node || typeof node !== 'object') return node;
  const o = node as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1) {
    const [k] = keys as [string];
    const arg = o[k];
    if (k === 'Ref') return PSEUDO[String(arg)] ?? REFERENCE;
    if (k === 'Fn::GetAtt' || k === 'Fn::ImportValue' || k === 'Fn::Select') return REFERENCE;
    if (k === 'Fn::Join') {
      const [delimiter, items] = arg as [string, unknown[]];
      return (longest(items) as unknown[]).map(String).join(delimiter);
    }
    if (k === 'Fn::Sub') {
      const text = Array.isArray(arg) ? String(arg[0]) : String(arg);
      return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => PSEUDO[name] ?? REFERENCE);
    }
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, longest(v)]));
}

/** The most characters `value` (a policy document or statement) can have once deployed, whitespace excluded. */
export function resolvedSize(scope: IConstruct, value: unknown): number {
  return JSON.stringify(longest(Stack.of(scope).resolve(value))).replace(/\s/g, '').length;
}

/** A statement and, for one with a wildcard, the reason that acknowledges it. */
export interface PackedStatement {
  readonly statement: PolicyStatement;
  readonly reason?: string;
}

/** Splits a statement whose resource list is too long into statements over parts of it. */
export function splitStatement(scope: IConstruct, item: PackedStatement, budget: number = POLICY_BUDGETS.statement): PackedStatement[] {
  const s = item.statement;
  if (resolvedSize(scope, s.toStatementJson()) <= budget || s.resources.length < 2) return [item];
  const json = s.toStatementJson() as { Condition?: Record<string, Record<string, unknown>> };
  const make = (resources: string[]) =>
    new PolicyStatement({ effect: s.effect, actions: [...s.actions], resources, ...(json.Condition ? { conditions: json.Condition } : {}) });
  const base = resolvedSize(scope, make([s.resources[0]!]).toStatementJson()) - resolvedSize(scope, s.resources[0]!);
  const parts: PackedStatement[] = [];
  let current: string[] = [];
  let size = base;
  for (const resource of s.resources) {
    const add = resolvedSize(scope, resource) + 1;
    if (current.length > 0 && size + add > budget) {
      parts.push({ statement: make(current), reason: item.reason });
      current = [];
      size = base;
    }
    current.push(resource);
    size += add;
  }
  if (current.length > 0) parts.push({ statement: make(current), reason: item.reason });
  return parts;
}

/** Statements grouped into the default policy and the managed policies. */
export interface Packing {
  readonly inline: PackedStatement[];
  readonly managed: PackedStatement[][];
}

/** Packs statements (first fit, in order) into the inline budget, then managed policies. */
export function packStatements(scope: IConstruct, items: readonly PackedStatement[]): Packing {
  const inline: PackedStatement[] = [];
  const managed: PackedStatement[][] = [];
  const sizes: number[] = [];
  let inlineSize = 0;
  let cdkInlineSize = 0;
  const cdkOptions = deriveEstimateSizeOptions(scope);
  // Overhead of a document around its statements: {"Version":"2012-10-17","Statement":[...]}.
  const docOverhead = 45;
  for (const part of items.flatMap((item) => splitStatement(scope, item))) {
    const size = resolvedSize(scope, part.statement.toStatementJson()) + 1;
    const cdkSize = part.statement._estimateSize(cdkOptions);
    if (inlineSize + size <= POLICY_BUDGETS.inline && cdkInlineSize + cdkSize <= CDK_INLINE_ESTIMATE_BUDGET && managed.length === 0) {
      inline.push(part);
      inlineSize += size;
      cdkInlineSize += cdkSize;
      continue;
    }
    const fit = sizes.findIndex((used) => used + size <= POLICY_BUDGETS.managed - docOverhead);
    if (fit >= 0) {
      managed[fit]!.push(part);
      sizes[fit]! += size;
    } else {
      managed.push([part]);
      sizes.push(size);
    }
  }
  return { inline, managed };
}

/**
 * Adds packed statements to a role: the inline part to its default policy, the rest as customer
 * managed policies `Permissions<n>` under `scope`. Returns the managed policies (with their
 * statements) so that the caller acknowledges each one's wildcards on it.
 */
export function addPackedStatements(
  scope: IConstruct,
  role: Role,
  packing: Packing,
  description: string,
): Array<{ policy: ManagedPolicy; items: PackedStatement[] }> {
  if (packing.managed.length > IAM_LIMITS.managedPoliciesPerRole) {
    throw new Error(
      `${role.node.path}: its permissions need ${packing.managed.length} managed policies, more than IAM's ${IAM_LIMITS.managedPoliciesPerRole} per role; protect fewer databases per deployment (docs/scale.md)`,
    );
  }
  for (const item of packing.inline) role.addToPrincipalPolicy(item.statement);
  return packing.managed.map((items, i) => ({
    policy: new ManagedPolicy(scope as never, `Permissions${i + 1}`, {
      description: `${description} (part ${i + 2} of ${packing.managed.length + 1})`,
      statements: items.map((item) => item.statement),
      roles: [role],
    }),
    items,
  }));
}
