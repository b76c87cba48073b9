/**
 * start-fault-experiment: starts a drill's fault (docs/game-days.md, "Fault experiments"). Lists the
 * FIS experiment templates of the drill pair's primary Region (every page), takes the one tagged for
 * the drill pair, fault and prefix (core.ts), and starts it with a client token derived from the
 * incident (a retried task answers the experiment it already started).
 *
 * FIS is reached through {@link FisApi}: the project does not yet depend on `@aws-sdk/client-fis`
 * (docs/game-days.md, "Fault experiments"), so the deployed function gets its client from
 * {@link createHandler}'s caller; this module has no default client.
 *
 * Errors: NoExperimentTemplate / AmbiguousExperimentTemplate (terminal), InvalidInputError, and
 * AWS failures wrapped with toFailoverError (throttling and 5xx are transient).
 */
import * as z from 'zod';
import { toFailoverError } from '../shared/aws-errors.js';
import { InvalidInputError } from '../shared/errors.js';
import { logger } from '../shared/logger.js';
import { clientTokenFor, experimentTags, matchTemplate, startFaultExperimentInput, startFaultExperimentOutput, type StartFaultExperimentOutput, type TemplateSummary } from './core.js';

/** The two FIS calls the function makes, with the SDK's input and output shapes. */
export interface FisApi {
  listExperimentTemplates(input: { nextToken?: string; maxResults?: number }): Promise<{ experimentTemplates?: TemplateSummary[]; nextToken?: string }>;
  startExperiment(input: { experimentTemplateId: string; clientToken: string; tags?: Record<string, string> }): Promise<{ experiment?: { id?: string; experimentTemplateId?: string; state?: { status?: string } } }>;
}

/** The handler over a FIS client factory (one client per Region). */
export function createHandler(fisIn: (region: string) => FisApi) {
  return async (event: unknown): Promise<StartFaultExperimentOutput> => {
    const parsed = startFaultExperimentInput.safeParse(event);
    if (!parsed.success) throw new InvalidInputError(`start-fault-experiment input is invalid: ${z.prettifyError(parsed.error)}`);
    const input = parsed.data;
    const fis = fisIn(input.region);
    const templates: TemplateSummary[] = [];
    try {
      let nextToken: string | undefined;
      do {
        const page = await fis.listExperimentTemplates({ maxResults: 100, ...(nextToken ? { nextToken } : {}) });
        templates.push(...(page.experimentTemplates ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
    } catch (err) {
      throw toFailoverError(err, 'fis:ListExperimentTemplates');
    }
    const templateId = matchTemplate(templates, input);
    let started: Awaited<ReturnType<FisApi['startExperiment']>>;
    try {
      started = await fis.startExperiment({ experimentTemplateId: templateId, clientToken: clientTokenFor(input.incidentId, input.fault), tags: experimentTags(input) });
    } catch (err) {
      throw toFailoverError(err, 'fis:StartExperiment');
    }
    const out = startFaultExperimentOutput.parse({ experimentId: started.experiment?.id, templateId, state: started.experiment?.state?.status });
    logger.info('fault experiment started', { ...out, database: input.database, fault: input.fault, region: input.region, incidentId: input.incidentId });
    return out;
  };
}
