/** Shared pieces of the drill tests. */
import type { ResolvedApp } from '../../../twin/drill/synth.js';
import { resolveConfig, validateScenario, type Scenario, type ScenarioFileInput } from '../../../twin/scenario/index.js';

/** A scenario object validated like a file, on the example config. */
export function scenarioOf(file: ScenarioFileInput, source = 'test scenario'): Scenario {
  return validateScenario(file, { source, fallbackConfig: () => resolveConfig() });
}

/**
 * Removes `action` from every policy attached to the role of the function in `folder` (in the
 * resolved templates, before the drill deploys them). Returns how many statements lost it.
 */
export function removePermission(app: ResolvedApp, folder: string, action: string): number {
  const fn = app.functions.find((f) => f.folder === folder);
  if (!fn?.roleLogicalId) throw new Error(`no function ${folder} with a role in the app`);
  const stack = app.stacks[fn.stack]!;
  const roleName = fn.roleLogicalId;
  let removed = 0;
  for (const r of Object.values(stack.resolved.Resources)) {
    if (r.Type !== 'AWS::IAM::Policy' || !((r.Properties?.Roles as string[]) ?? []).includes(roleName)) continue;
    const doc = r.Properties!.PolicyDocument as { Statement: Array<{ Action: string | string[] }> };
    for (const st of doc.Statement) {
      const actions = Array.isArray(st.Action) ? st.Action : [st.Action];
      const kept = actions.filter((a) => a !== action);
      if (kept.length !== actions.length) removed++;
      st.Action = kept;
    }
    doc.Statement = doc.Statement.filter((st) => (st.Action as string[]).length > 0);
  }
  return removed;
}
