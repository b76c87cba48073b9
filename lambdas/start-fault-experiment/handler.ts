/**
 * start-fault-experiment: starts a drill's fault (docs/game-days.md, "Fault experiments" and
 * "Drill runs"). Lists the FIS experiment templates of the drill pair's primary Region (every
 * page), takes the one tagged for the drill pair, fault and prefix (core.ts), and starts it with a
 * client token derived from the incident (a retried task answers the experiment it already
 * started). The failover workflow invokes it at its fault hook, once the drill run holds the lease.
 *
 * `action: 'stop'`: a real run of a drill pair that is about to act stops the pair's experiments
 * still running (ListExperiments, every page, keeping those of the templates tagged for the pair
 * and prefix that are pending, initiating or running; StopExperiment of each the product started,
 * tagged `failover:prefix`: its grants allow no other; one started by hand is returned in `left`). An experiment that ended
 * meanwhile (ResourceNotFoundException, or a state StopExperiment no longer changes) is not an
 * error. docs/game-days.md "A real incident stops the drill".
 *
 * Env: none beyond AWS_REGION. Clients: FIS in the drill pair's primary Region (`input.region`).
 *
 * Errors: NoExperimentTemplate / AmbiguousExperimentTemplate (terminal: the workflow ends the
 * drill cleanly, nothing started), InvalidInputError, and AWS failures wrapped with
 * toFailoverError (throttling and 5xx are transient).
 */
import { FisClient, ListExperimentsCommand, ListExperimentTemplatesCommand, StartExperimentCommand, StopExperimentCommand } from '@aws-sdk/client-fis';
import { awsErrorName, toFailoverError } from '../shared/aws-errors.js';
import { regional } from '../shared/clients.js';
import { faultExperimentInput, faultExperimentOutput, type StopFaultExperimentsInput, type StopFaultExperimentsOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { logger } from '../shared/logger.js';
import {
  clientTokenFor,
  type ExperimentSummary,
  experimentTags,
  matchTemplate,
  pairTemplates,
  startFaultExperimentOutput,
  stillRunning,
  type TemplateSummary,
} from './core.js';

export const handler = defineHandler('start-fault-experiment', { input: faultExperimentInput, output: faultExperimentOutput }, async (input) => {
  const fis = regional(FisClient, input.region);
  const templates = await listTemplates(fis);
  if ('action' in input) return stopRunning(fis, input, templates);
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

/** Every item of a paged FIS listing (`nextToken`), pages of 100; an AWS failure wrapped as `operation`'s. */
async function everyPage<T>(operation: string, page: (token: { nextToken?: string }) => Promise<{ items?: T[]; nextToken?: string }>): Promise<T[]> {
  const items: T[] = [];
  try {
    let nextToken: string | undefined;
    do {
      const out = await page(nextToken ? { nextToken } : {});
      items.push(...(out.items ?? []));
      nextToken = out.nextToken;
    } while (nextToken);
  } catch (err) {
    throw toFailoverError(err, operation);
  }
  return items;
}

/** Every experiment template of the Region. */
const listTemplates = (fis: FisClient): Promise<TemplateSummary[]> =>
  everyPage('fis:ListExperimentTemplates', async (token) => {
    const out = await fis.send(new ListExperimentTemplatesCommand({ maxResults: 100, ...token }));
    return { items: out.experimentTemplates, nextToken: out.nextToken };
  });

/** Stops the drill pair's experiments still running (of its templates); none running: an empty list. */
async function stopRunning(fis: FisClient, input: StopFaultExperimentsInput, templates: readonly TemplateSummary[]): Promise<StopFaultExperimentsOutput> {
  const stopped: StopFaultExperimentsOutput['stopped'] = [];
  const left: StopFaultExperimentsOutput['left'] = [];
  const ours = pairTemplates(templates, input);
  if (ours.length === 0) return { region: input.region, stopped, left };
  // Every experiment of the Region, then those of the pair's templates that still act.
  const experiments = await everyPage<ExperimentSummary>('fis:ListExperiments', async (token) => {
    const out = await fis.send(new ListExperimentsCommand({ maxResults: 100, ...token }));
    return { items: out.experiments, nextToken: out.nextToken };
  });
  for (const { id, templateId, ours: started } of stillRunning(experiments, ours, input.prefix)) {
    if (!started) {
      left.push({ experimentId: id, templateId });
      continue;
    }
    try {
      const out = await fis.send(new StopExperimentCommand({ id }));
      stopped.push({ experimentId: id, templateId, state: out.experiment?.state?.status ?? 'unknown' });
    } catch (err) {
      // Ended and gone meanwhile: nothing left to stop.
      if (awsErrorName(err) === 'ResourceNotFoundException') continue;
      throw toFailoverError(err, 'fis:StopExperiment');
    }
  }
  logger.info(stopped.length || left.length ? 'drill experiments stopped: a real incident needs the pair' : 'no drill experiment running', {
    database: input.database,
    region: input.region,
    incidentId: input.incidentId,
    stopped,
    left,
  });
  return { region: input.region, stopped, left };
}
