/**
 * start-fault-experiment, the pure part: which FIS experiment template a drill starts (the one
 * tagged `failover:database` = the drill pair, `failover:fault`, `failover:prefix`: see
 * lib/constructs/game-day-experiments.ts), and the client token that makes StartExperiment
 * idempotent for one incident (a retried task starts no second experiment).
 */
import { createHash } from 'node:crypto';
import type { StartFaultExperimentInput } from '../shared/contracts.js';
import { AmbiguousExperimentTemplate, NoExperimentTemplate } from '../shared/errors.js';

/** Tag keys of the product's experiment templates (the same as the construct's FIS_TAGS). */
export const TEMPLATE_TAGS = { database: 'failover:database', fault: 'failover:fault', prefix: 'failover:prefix' } as const;

export { startFaultExperimentInput, startFaultExperimentOutput, type StartFaultExperimentInput } from '../shared/contracts.js';

export { AmbiguousExperimentTemplate, NoExperimentTemplate };

/** What ListExperimentTemplates answers per template (the fields used). */
export interface TemplateSummary {
  readonly id?: string;
  readonly tags?: Record<string, string>;
}

/** The id of the one template tagged for `input` (throws {@link NoExperimentTemplate} / {@link AmbiguousExperimentTemplate}). */
export function matchTemplate(templates: readonly TemplateSummary[], input: StartFaultExperimentInput): string {
  const matches = templates.filter(
    (t) =>
      t.id &&
      t.tags?.[TEMPLATE_TAGS.database] === input.database &&
      t.tags[TEMPLATE_TAGS.fault] === input.fault &&
      t.tags[TEMPLATE_TAGS.prefix] === input.prefix,
  );
  const what = `${input.fault} of ${input.database} (prefix ${input.prefix}) in ${input.region}`;
  if (matches.length === 0) {
    throw new NoExperimentTemplate(
      `no FIS experiment template is tagged for ${what}: is the game-day stack deployed, and is ${input.fault} in gameDay.faults?`,
      { ...input, templates: templates.length },
    );
  }
  if (matches.length > 1)
    throw new AmbiguousExperimentTemplate(`${matches.length} FIS experiment templates are tagged for ${what}: ${matches.map((t) => t.id).join(', ')}`, {
      ...input,
    });
  return matches[0]!.id!;
}

/** The ids of the product's templates for a drill pair (tagged `failover:database` = the pair and `failover:prefix`), whatever their fault. */
export function pairTemplates(templates: readonly TemplateSummary[], pair: { database: string; prefix: string }): string[] {
  return templates.flatMap((t) => (t.id && t.tags?.[TEMPLATE_TAGS.database] === pair.database && t.tags[TEMPLATE_TAGS.prefix] === pair.prefix ? [t.id] : []));
}

/** What ListExperiments answers per experiment (the fields used). */
export interface ExperimentSummary {
  readonly id?: string;
  readonly experimentTemplateId?: string;
  readonly state?: { readonly status?: string };
  readonly tags?: Record<string, string>;
}

/** FIS states in which an experiment still acts, or is about to: StopExperiment stops it. */
const RUNNING_STATES = new Set(['pending', 'initiating', 'running']);

/**
 * The experiments of `templateIds` that still act (or are about to), with whether the product
 * started them (`ours`: tagged `failover:prefix` = `prefix` at their start; only those can its
 * grants stop).
 */
export const stillRunning = (
  experiments: readonly ExperimentSummary[],
  templateIds: readonly string[],
  prefix: string,
): Array<{ id: string; templateId: string; ours: boolean }> =>
  experiments.flatMap((e) =>
    e.id && e.experimentTemplateId && templateIds.includes(e.experimentTemplateId) && RUNNING_STATES.has(e.state?.status ?? '')
      ? [{ id: e.id, templateId: e.experimentTemplateId, ours: e.tags?.[TEMPLATE_TAGS.prefix] === prefix }]
      : [],
  );

/** FIS's clientToken: at most 64 characters, no whitespace. */
export const CLIENT_TOKEN_MAX = 64;

/**
 * The StartExperiment client token of one incident's fault: the same incident and fault always
 * give the same token (a retry answers the experiment already started), a different one another.
 */
export function clientTokenFor(incidentId: string, fault: string): string {
  const plain = `${incidentId}.${fault}`.replace(/\s+/g, '_');
  if (plain.length <= CLIENT_TOKEN_MAX) return plain;
  const digest = createHash('sha256').update(`${incidentId}\u0000${fault}`).digest('hex');
  return `${fault}.${digest}`.slice(0, CLIENT_TOKEN_MAX);
}

/** The tags of the experiment (FIS copies none from the template): who started it and why. */
export const experimentTags = (input: StartFaultExperimentInput): Record<string, string> => ({
  [TEMPLATE_TAGS.database]: input.database,
  [TEMPLATE_TAGS.fault]: input.fault,
  [TEMPLATE_TAGS.prefix]: input.prefix,
  'failover:incident': input.incidentId.slice(0, 256),
});
