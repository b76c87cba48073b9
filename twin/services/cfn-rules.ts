/**
 * Loads the EventBridge rules of a synthesized CloudFormation template (AWS::Events::Rule
 * resources) into the twin, so drills use exactly the patterns and input transformers the product
 * deploys. Intrinsic functions are resolved with {@link resolveIntrinsics}: pseudo parameters,
 * `Fn::Join`, `Fn::Sub`, `Fn::Select`, and `Ref` / `Fn::GetAtt` of logical ids the caller maps to
 * physical values (an unmapped reference is an error, never a silent placeholder).
 */
import type { EventBridgeService } from './eventbridge.js';

export interface IntrinsicContext {
  readonly region: string;
  readonly accountId?: string;
  /** Logical id -> physical value of `Ref`. */
  readonly refs?: Record<string, string>;
  /** "LogicalId.Attribute" -> value of `Fn::GetAtt`. */
  readonly getAtts?: Record<string, string>;
}

/** Resolves CloudFormation intrinsic functions in a template fragment. */
export function resolveIntrinsics(value: unknown, ctx: IntrinsicContext): unknown {
  const account = ctx.accountId ?? '123456789012';
  const pseudo: Record<string, string> = {
    'AWS::Region': ctx.region,
    'AWS::AccountId': account,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::NoValue': '',
  };
  const ref = (name: string): string => {
    const v = pseudo[name] ?? ctx.refs?.[name];
    if (v === undefined) throw new Error(`twin: cannot resolve Ref ${name}; pass it in refs`);
    return v;
  };
  const rec = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rec);
    if (v === null || typeof v !== 'object') return v;
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 1) {
      const [k, arg] = entries[0]!;
      switch (k) {
        case 'Ref':
          return ref(String(arg));
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
          const got = ctx.getAtts?.[`${id}.${attr}`];
          if (got === undefined) throw new Error(`twin: cannot resolve Fn::GetAtt ${id}.${attr}; pass it in getAtts`);
          return got;
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, unknown[]];
          return (rec(parts) as unknown[]).map(String).join(sep);
        }
        case 'Fn::Select': {
          const [i, list] = arg as [number | string, unknown];
          return (rec(list) as unknown[])[Number(i)];
        }
        case 'Fn::Sub': {
          const [tpl, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
          const resolvedVars = rec(vars) as Record<string, unknown>;
          return tpl.replace(/\$\{([^}!]+)\}/g, (_m, name: string) => {
            if (name in resolvedVars) return String(resolvedVars[name]);
            if (name.includes('.')) {
              const got = ctx.getAtts?.[name];
              if (got === undefined) throw new Error(`twin: cannot resolve \${${name}} in Fn::Sub`);
              return got;
            }
            return ref(name);
          });
        }
        default:
          if (k.startsWith('Fn::')) throw new Error(`twin: intrinsic ${k} is not supported`);
      }
    }
    return Object.fromEntries(entries.map(([k, x]) => [k, rec(x)]));
  };
  return rec(value);
}

interface RuleResource {
  Type: string;
  Properties?: {
    Name?: string;
    EventPattern?: unknown;
    ScheduleExpression?: string;
    State?: string;
    EventBusName?: string;
    Description?: string;
    Targets?: {
      Id: string;
      Arn: string;
      RoleArn?: string;
      Input?: string;
      InputPath?: string;
      InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
    }[];
  };
}

/**
 * Creates every AWS::Events::Rule of the template in `ctx.region` (name: the rule's Name or its
 * logical id). Returns the rule names created.
 */
export function loadRulesFromTemplate(
  world: { readonly events: Pick<EventBridgeService, 'putRule' | 'putTargets'> },
  template: { Resources?: Record<string, unknown> },
  ctx: IntrinsicContext,
): string[] {
  const names: string[] = [];
  for (const [logicalId, raw] of Object.entries(template.Resources ?? {})) {
    const res = raw as RuleResource;
    if (res.Type !== 'AWS::Events::Rule') continue;
    const p = resolveIntrinsics(res.Properties ?? {}, ctx) as NonNullable<RuleResource['Properties']>;
    const name = p.Name ?? logicalId;
    const call = { region: ctx.region };
    world.events.putRule(
      {
        Name: name,
        EventPattern: p.EventPattern !== undefined ? (typeof p.EventPattern === 'string' ? p.EventPattern : JSON.stringify(p.EventPattern)) : undefined,
        ScheduleExpression: p.ScheduleExpression,
        State: p.State,
        Description: p.Description,
        EventBusName: p.EventBusName,
      },
      call,
    );
    if (p.Targets?.length) world.events.putTargets({ Rule: name, EventBusName: p.EventBusName, Targets: p.Targets }, call);
    names.push(name);
  }
  return names;
}
