/**
 * Which Region codes exist: the Regions of every partition in the endpoint table the AWS SDK for
 * JavaScript ships (`partitions.js` of @aws-sdk/core, the data its endpoint resolver reads), read
 * as data, not a list kept by hand. A Region AWS opens arrives with an SDK upgrade.
 *
 * The schema checks a Region's form (`us-east-1`); this checks that it exists, so a misspelt
 * `us-wset-2` is refused with "did you mean us-west-2" before anything is synthesized or drilled.
 * Every Region of the config is checked: each `region` and `controlRegion`, each entry of
 * `secretReplicaRegions`, and the Region inside each ARN.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { formatPath, type ConfigProblem } from './problems.js';

/** One partition of the SDK's table: its id and its Region codes. */
export interface SdkPartition {
  id: string;
  regions: string[];
}

let partitionsCache: SdkPartition[] | undefined;

/** The file the table is read from (in @aws-sdk/core, next to the endpoint resolver that uses it). */
export function sdkPartitionsFile(): string {
  const require = createRequire(import.meta.url);
  // The package's main entry is dist-cjs/index.js; the table is an ES module in dist-es.
  const main = require.resolve('@aws-sdk/core');
  return join(dirname(main), '..', 'dist-es', 'submodules', 'client', 'util-endpoints', 'lib', 'aws', 'partitions.js');
}

/**
 * The SDK's partitions and their Regions. Endpoint names that are not Regions (`aws-global`,
 * `aws-cn-global`, ...) are left out.
 *
 * @throws Error when the table cannot be read (an SDK whose layout changed): a bug to fix here
 */
export function sdkPartitions(): SdkPartition[] {
  if (partitionsCache) return partitionsCache;
  const file = sdkPartitionsFile();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`the AWS SDK's Region table cannot be read (${file}): ${(err as Error).message}`, { cause: err });
  }
  // `export const partitionsInfo = { ...JSON... };`
  const info = JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)) as {
    partitions: Array<{ id: string; regions: Record<string, unknown> }>;
  };
  partitionsCache = info.partitions.map((p) => ({
    id: p.id,
    regions: Object.keys(p.regions)
      .filter((r) => !r.endsWith('-global'))
      .sort(),
  }));
  return partitionsCache;
}

/** Every Region code the SDK knows, sorted. */
export function knownRegions(): string[] {
  return [...new Set(sdkPartitions().flatMap((p) => p.regions))].sort();
}

/** Whether `region` is a Region the SDK knows. */
export const isKnownRegion = (region: string): boolean => sdkPartitions().some((p) => p.regions.includes(region));

/** Levenshtein distance, with a swap of two neighbouring letters counted as one edit. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known Regions closest to `region` (at most 3 edits away, the closest first; ties in the
 * table's order), for a "did you mean".
 */
export function suggestRegions(region: string, known: readonly string[] = knownRegions()): string[] {
  const scored = known.map((r) => ({ r, d: editDistance(region.toLowerCase(), r) })).filter((s) => s.d <= 3);
  if (scored.length === 0) return [];
  const best = Math.min(...scored.map((s) => s.d));
  return scored.filter((s) => s.d === best).map((s) => s.r);
}

/** The message for an unknown Region: what is wrong and the nearest known codes. */
export function unknownRegionMessage(region: string): string {
  const near = suggestRegions(region);
  const hint = near.length > 0 ? `did you mean ${near.join(' or ')}?` : 'no known Region is close; Region codes look like us-east-1';
  return `is not an AWS Region the AWS SDK knows (${hint})`;
}

/** A Region's form (what the schema allows); values of another form are the schema's to report. */
const REGION_FORM = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const REGION_KEYS = new Set(['region', 'controlRegion']);
const REGION_LIST_KEYS = new Set(['secretReplicaRegions']);

/**
 * Every well-formed Region code of the raw config that the SDK does not know, each with its path
 * and a suggestion: `databases[0].standby.region is not an AWS Region ...: did you mean us-west-2?`.
 */
export function unknownRegionProblems(raw: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const check = (path: PropertyKey[], value: string): void => {
    if (REGION_FORM.test(value) && !isKnownRegion(value)) problems.push({ path: formatPath(path), message: unknownRegionMessage(value), value });
  };
  const walk = (node: unknown, path: PropertyKey[], key: PropertyKey | undefined, parentKey: PropertyKey | undefined): void => {
    if (typeof node === 'string') {
      if ((typeof key === 'string' && REGION_KEYS.has(key)) || (typeof key === 'number' && typeof parentKey === 'string' && REGION_LIST_KEYS.has(parentKey))) {
        check(path, node);
      } else if (node.startsWith('arn:')) {
        const region = node.split(':')[3];
        if (region && REGION_FORM.test(region) && !isKnownRegion(region)) {
          problems.push({ path: formatPath(path), message: `names the Region ${JSON.stringify(region)}, which ${unknownRegionMessage(region)}`, value: node });
        }
      }
      return;
    }
    if (Array.isArray(node)) node.forEach((item, i) => walk(item, [...path, i], i, key));
    else if (node !== null && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, [...path, k], k, key);
  };
  walk(raw, [], undefined, undefined);
  return problems;
}
