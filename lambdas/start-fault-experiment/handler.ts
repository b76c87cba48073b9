/**
 * start-fault-experiment: starts a drill's fault (docs/game-days.md, "Fault experiments" and
 * "Drill runs"). Lists the FIS experiment templates of the drill pair's primary Region (every
 * page), takes the one tagged for the drill pair, fault and prefix (core.ts), and starts it with a
 * client token derived from the incident (a retried task answers the experiment it already
 * started). The failover workflow invokes it at its fault hook, once the drill run holds the lease.
 *
 * Env: none beyond AWS_REGION. Clients: FIS in the drill pair's primary Region (`input.region`).
 *
 * Errors: NoExperimentTemplate / AmbiguousExperimentTemplate (terminal: the workflow ends the
 * drill cleanly, nothing started), InvalidInputError, and AWS failures wrapped with
 * toFailoverError (throttling and 5xx are transient).
 */
import { FisClient, ListExperimentTemplatesCommand, StartExperimentCommand } from '@aws-sdk/client-fis';
import { toFailoverError } from '../shared/aws-errors.js';
import { regional } from '../shared/clients.js';
import { startFaultExperimentInput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { logger } from '../shared/logger.js';
import { clientTokenFor, experimentTags, matchTemplate, startFaultExperimentOutput, type TemplateSummary } from './core.js';

export const handler = defineHandler('start-fault-experiment', { input: startFaultExperimentInput, output: startFaultExperimentOutput }, async (input) => {
  const fis = regional(FisClient, input.region);
  const templates: TemplateSummary[] = [];
  try {
    let nextToken: string | undefined;
    do {
      const page = await fis.send(new ListExperimentTemplatesCommand({ maxResults: 100, ...(nextToken ? { nextToken } : {}) }));
      templates.push(...(page.experimentTemplates ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (err) {
    throw toFailoverError(err, 'fis:ListExperimentTemplates');
  }
  const templateId = matchTemplate(templates, input);
  let started;
  try {
    started = await fis.send(
      new StartExperimentCommand({ experimentTemplateId: templateId, clientToken: clientTokenFor(input.incidentId, input.fault), tags: experimentTags(input) }),
    );
  } catch (err) {
    throw toFailoverError(err, 'fis:StartExperiment');
  }
  const startTime = started.experiment?.startTime;
  const out = startFaultExperimentOutput.parse({
    experimentId: started.experiment?.id,
    templateId,
    state: started.experiment?.state?.status,
    startedAt: (startTime instanceof Date && Number.isFinite(startTime.getTime()) ? startTime : new Date()).toISOString(),
    region: input.region,
  });
  logger.info('fault experiment started', { ...out, database: input.database, fault: input.fault, region: input.region, incidentId: input.incidentId });
  return out;
});
