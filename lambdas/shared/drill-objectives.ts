/**
 * A drill's figures against its game day's objectives (docs/game-days.md, "Evidence"): the RTO
 * and the data loss (or, in a real account, the data at risk at the decision) each within its
 * target. A figure that is missing (nothing was promoted, nothing measured) does not meet its
 * objective: a drill that did not recover did not show the recovery it rehearses.
 */
export interface DrillObjectives {
  rtoSeconds: number;
  rpoSeconds: number;
}

export interface ObjectivesJudgement {
  rtoMet: boolean;
  rpoMet: boolean;
  /** Both met. */
  met: boolean;
}

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** Compares the figures with the objectives (pure). */
export function judgeObjectives(
  objectives: DrillObjectives,
  rtoSeconds: number | null | undefined,
  dataLossSeconds: number | null | undefined,
): ObjectivesJudgement {
  const rtoMet = finite(rtoSeconds) && rtoSeconds <= objectives.rtoSeconds;
  const rpoMet = finite(dataLossSeconds) && dataLossSeconds <= objectives.rpoSeconds;
  return { rtoMet, rpoMet, met: rtoMet && rpoMet };
}

/**
 * The objectives a run on `database` is held to: those of the database whose game day names it
 * as its drill pair (`requestedFor` when the run says which), else none.
 */
export function objectivesFor(
  config: { databases: ReadonlyArray<{ name: string; gameDay?: { drillPair: string; objectives: DrillObjectives } }> },
  database: string,
  requestedFor?: string,
): { database: string; objectives: DrillObjectives } | null {
  const owner =
    requestedFor !== undefined
      ? config.databases.find((d) => d.name === requestedFor && d.gameDay)
      : config.databases.find((d) => d.gameDay?.drillPair === database);
  return owner?.gameDay ? { database: owner.name, objectives: owner.gameDay.objectives } : null;
}
