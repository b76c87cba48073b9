/**
 * The project's own documents stay true to the code and self-contained:
 * - every key the scenario loader accepts and every field the report carries is named in
 *   docs/scenarios.md, and so is every fault, operator action, service, outcome, invariant,
 *   liveness check and expectation;
 * - no file of the repository points outside it (to design notes that are not in it);
 * - every `docs/<page>.md` written in a code comment names a page that exists, and the heading it
 *   cites (`#anchor`, `"Heading"` or `§N`) is a heading of that page; so does every relative link
 *   between the pages of docs/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EXPECTATION_NAMES, INVARIANT_NAMES, LIVENESS_NAMES, OUTCOMES, reportSchema, TIMELINE_SOURCES } from '../../twin/report/index.js';
import { FAULT_SCHEMAS, FAULTS, OPERATOR_ACTIONS, OPERATOR_SCHEMAS, scenarioFileSchema, SERVICES, STEPS } from '../../twin/scenario/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SELF = relative(ROOT, fileURLToPath(import.meta.url));
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** Files of the repository (tracked or new, not ignored), as paths from its root. */
const repositoryFiles = (): string[] =>
  execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f !== '' && existsSync(join(ROOT, f)));

/** Every key an object schema accepts, as `path` → key (walking optionals, defaults, pipes, arrays and unions). */
function schemaKeys(schema: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  let node = schema;
  for (;;) {
    if (node instanceof z.ZodOptional || node instanceof z.ZodDefault || node instanceof z.ZodNullable) node = node.unwrap();
    else if (node instanceof z.ZodPipe) node = node.in;
    else break;
  }
  if (node instanceof z.ZodObject) {
    for (const [key, value] of Object.entries(node.shape as Record<string, unknown>)) {
      out.set(`${prefix}${key}`, key);
      schemaKeys(value, `${prefix}${key}.`, out);
    }
  } else if (node instanceof z.ZodArray) schemaKeys(node.element, prefix.replace(/\.$/, '[].'), out);
  else if (node instanceof z.ZodUnion) for (const option of node.options) schemaKeys(option, prefix, out);
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** True when `word` is written in a code span of `doc` (alone, or as a part of a dotted path or JSON). */
const inCodeSpan = (doc: string, word: string) => new RegExp(`\`[^\`\\n]*(?<![\\w$-])${escape(word)}(?![\\w-])[^\`\\n]*\``).test(doc);

describe('docs/scenarios.md is the contract of the scenario file and the report', () => {
  const doc = read('docs/scenarios.md');
  const cases = (what: string, schema: unknown) => [...schemaKeys(schema)].map(([path, key]) => [`${what} ${path}`, key] as const);

  it('the test reads every key (a schema walker that found nothing would pass anything)', () => {
    expect(schemaKeys(scenarioFileSchema).size).toBeGreaterThan(15);
    expect(schemaKeys(reportSchema).size).toBeGreaterThan(100);
    expect(inCodeSpan('`world.dataSizeGiB`', 'dataSizeGiB')).toBe(true);
    expect(inCodeSpan('`dataSizeGiBs`', 'dataSizeGiB')).toBe(false);
  });

  it.each([
    ...cases('scenario', scenarioFileSchema),
    ...Object.entries(FAULT_SCHEMAS).flatMap(([name, schema]) => cases(`fault ${name}`, schema)),
    ...Object.entries(OPERATOR_SCHEMAS).flatMap(([name, schema]) => cases(`operator ${name}`, schema)),
  ])('names the %s key (`%s`)', (_path, key) => {
    expect(inCodeSpan(doc, key), `docs/scenarios.md never writes \`${key}\``).toBe(true);
  });

  it.each(cases('report', reportSchema))('names the %s field (`%s`)', (_path, key) => {
    expect(inCodeSpan(doc, key), `docs/scenarios.md never writes \`${key}\``).toBe(true);
  });

  it.each([
    ...FAULTS.map((name) => ['fault', name]),
    ...OPERATOR_ACTIONS.map((name) => ['operator action', name]),
    ...SERVICES.map((name) => ['service', name]),
    ...STEPS.map((name) => ['step', name]),
    ...OUTCOMES.map((name) => ['outcome', name]),
    ...TIMELINE_SOURCES.map((name) => ['timeline source', name]),
    ...INVARIANT_NAMES.map((name) => ['invariant', name]),
    ...LIVENESS_NAMES.map((name) => ['liveness check', name]),
    ...EXPECTATION_NAMES.map((name) => ['expectation', name]),
  ])('names the %s `%s`', (_what, name) => {
    expect(inCodeSpan(doc, name), `docs/scenarios.md never writes \`${name}\``).toBe(true);
  });
});

// Written in pieces so that this file does not name what it looks for.
const OUTSIDE_NAMES = ['DESIGN', 'SCENARIOS', 'AWS-FACTS', 'TOOLCHAIN', 'STYLE'].map((n) => `${n}.md`);
const OUTSIDE = new RegExp(`\\b(?:${OUTSIDE_NAMES.map(escape).join('|')})|\\bprimer/|/work/${'shared'}`);
/** `../shared` not followed by a path (`see ../shared`), or followed by one that is not in the repository. */
const SHARED = /((?:\.\.\/)+shared)(\/[\w./-]*[\w/])?/g;
const TEXT = /\.(?:[cm]?[jt]s|tsx?|json|md|ya?ml|html|css|sh|txt)$|(?:^|\/)(?:run|Dockerfile|\.gitignore)$/;

describe('the repository points only inside itself', () => {
  const files = repositoryFiles().filter((f) => TEXT.test(f) && f !== SELF && !f.endsWith('package-lock.json'));

  it('reads the repository (code, docs and scenarios)', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/scenarios.md', 'twin/scenario/schema.ts', 'lambdas/shared/contracts.ts']));
  });

  it('no comment or doc refers to design notes outside the repository', () => {
    const found: string[] = [];
    for (const file of files) {
      read(file)
        .split('\n')
        .forEach((line, i) => {
          if (OUTSIDE.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
          for (const m of line.matchAll(SHARED)) {
            const target = m[2] ? normalize(join(dirname(file), m[1]! + m[2])) : undefined;
            // An import's `.js` names the `.ts` it is compiled from.
            const exists = target !== undefined && !target.startsWith('..') && [target, target.replace(/\.js$/, '.ts')].some((t) => existsSync(join(ROOT, t)));
            if (!exists) found.push(`${file}:${i + 1}: ${line.trim()}`);
          }
        });
    }
    expect(found).toEqual([]);
  });

  it('the check finds what it looks for', () => {
    expect(OUTSIDE.test(`see ${OUTSIDE_NAMES[1]} "Events"`)).toBe(true);
    expect(OUTSIDE.test('the primer/ notes')).toBe(true);
    expect([...'see ../shared for the notes'.matchAll(SHARED)]).toHaveLength(1);
    expect(OUTSIDE.test('docs/scenarios.md "Events"')).toBe(false);
  });
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

const headingsCache = new Map<string, string[]>();
/** The headings of a Markdown file (outside fenced code), without their `#`s. */
function headingsOf(file: string): string[] {
  let headings = headingsCache.get(file);
  if (!headings) {
    let fenced = false;
    headings = [];
    for (const line of read(file).split('\n')) {
      if (/^\s*```/.test(line)) fenced = !fenced;
      const m = !fenced && /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
      if (m) headings.push(m[1]!);
    }
    headingsCache.set(file, headings);
  }
  return headings;
}

/** The bold labels that open a list item or a paragraph (`1. **One incident at a time, with an epoch**: ...`). */
const labelsOf = (file: string): string[] => [...read(file).matchAll(/^(?:\s*(?:[-*]|\d+\.)\s+)?\*\*([^*\n]+)\*\*/gm)].map((m) => m[1]!.replace(/[.:]$/, ''));

/**
 * Whether `file` has a heading that `cited` names: its anchor, its `§N`, or its text (or the start
 * of it, up to a parenthesis or a colon); a quoted title may also name a bold label.
 */
function hasHeading(file: string, cited: { anchor?: string; title?: string; section?: string }): boolean {
  const headings = headingsOf(file);
  if (cited.anchor !== undefined) return headings.some((h) => slug(h) === cited.anchor);
  if (cited.section !== undefined) return headings.some((h) => h.startsWith(`${cited.section} `));
  const plain = (s: string) => s.replace(/`/g, '').trim().toLowerCase();
  const title = plain(cited.title!);
  return [...headings, ...labelsOf(file)].some((h) => plain(h) === title || plain(h).startsWith(`${title} (`) || plain(h).startsWith(`${title}:`));
}

/** `docs/x.md`, then optionally `#anchor`, ` "Heading"` / `, "Heading"` or ` §N`. */
const DOC_REFERENCE = /\bdocs\/([\w.-]+\.md)(?:#([\w-]+)|,? "([^"\n]+)"|,? §(\d+))?/g;

describe('references to docs/ resolve', () => {
  const code = repositoryFiles().filter((f) => /\.(?:[cm]?[jt]s|tsx?)$/.test(f) && f !== SELF);
  const references = code.flatMap((file) =>
    read(file)
      .split('\n')
      .flatMap((line, i) =>
        [...line.matchAll(DOC_REFERENCE)].map((m) => ({
          where: `${file}:${i + 1}`,
          text: m[0],
          page: `docs/${m[1]}`,
          anchor: m[2],
          title: m[3],
          section: m[4] === undefined ? undefined : `§${m[4]}`,
        })),
      ),
  );

  it('finds the references written in code comments', () => {
    expect(references.length).toBeGreaterThan(100);
    expect(references.some((r) => r.section !== undefined)).toBe(true);
    expect(references.some((r) => r.title !== undefined)).toBe(true);
  });

  it('every docs/ page a code comment names exists', () => {
    expect(references.filter((r) => !existsSync(join(ROOT, r.page))).map((r) => `${r.where}: ${r.text}`)).toEqual([]);
  });

  it('every heading a code comment cites is a heading of that page', () => {
    const broken = references
      .filter((r) => existsSync(join(ROOT, r.page)) && (r.anchor ?? r.title ?? r.section) !== undefined && !hasHeading(r.page, r))
      .map((r) => `${r.where}: ${r.text}`);
    expect(broken).toEqual([]);
  });

  it('every relative link between the pages of docs/ resolves, anchor included', () => {
    const docs = repositoryFiles().filter((f) => /^docs\/[^/]+\.md$/.test(f));
    const broken: string[] = [];
    for (const file of docs) {
      for (const m of read(file).matchAll(/\]\(((?!https?:|mailto:)[^)#\s]*)(?:#([^)\s]+))?\)/g)) {
        const target = m[1] ? normalize(join(dirname(file), m[1])) : file;
        if (!existsSync(join(ROOT, target))) broken.push(`${file}: ${m[0]} (no ${target})`);
        else if (m[2] !== undefined && target.endsWith('.md') && !hasHeading(target, { anchor: m[2] })) broken.push(`${file}: ${m[0]} (no heading #${m[2]})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the anchors follow GitHub', () => {
    expect(slug('Failover, step by step')).toBe('failover-step-by-step');
    expect(slug('Aurora global failover (`FailoverGlobalCluster`)')).toBe('aurora-global-failover-failoverglobalcluster');
    expect(hasHeading('docs/design.md', { title: 'Timing model' })).toBe(true);
    expect(hasHeading('docs/design.md', { title: 'Timing' })).toBe(false);
    expect(hasHeading('docs/design.md', { title: 'One incident at a time, with an epoch' })).toBe(true);
    expect(hasHeading('docs/aws-behaviour.md', { section: '§6' })).toBe(true);
    expect(hasHeading('docs/aws-behaviour.md', { section: '§11' })).toBe(false);
  });
});

describe('docs/design.md covers the design', () => {
  it.each(['Architecture', 'Layout and dependencies', 'Detection', 'Safety rules', 'Failover, step by step', 'Timing model (the twin)'])(
    'has the section "%s"',
    (title) => {
      expect(headingsOf('docs/design.md')).toContain(title);
    },
  );

  it('states the nine safety rules, each named', () => {
    const rules = read('docs/design.md')
      .split(/^## Safety rules$/m)[1]!
      .split(/^## /m)[0]!;
    expect([...rules.matchAll(/^(\d+)\. \*\*[^*]+\*\*/gm)].map((m) => Number(m[1]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('docs/aws-behaviour.md gives its sources', () => {
  // Each section (and each §N of the reference by area) with the text up to the next one.
  const sections = read('docs/aws-behaviour.md')
    .split(/^(?=##+ )/m)
    .filter((part) => part.startsWith('## ') || part.startsWith('### §'))
    .filter((part) => !part.startsWith('## Reference by area'))
    .map((part) => [part.split('\n')[0]!.replace(/^#+ /, ''), part] as const);

  it('has the sections the code cites', () => {
    expect(sections.length).toBeGreaterThan(25);
  });

  it.each(sections)('"%s" cites an AWS page', (_heading, text) => {
    expect(text).toMatch(/https:\/\/(?:docs\.aws\.amazon\.com|aws\.amazon\.com|github\.com|states-language\.net|smithy\.io)\//);
  });
});

describe('docs/design.md "Layout and dependencies" holds', () => {
  const sources = (dir: string) => repositoryFiles().filter((f) => f.startsWith(`${dir}/`) && /\.[cm]?ts$/.test(f));
  /** Module specifiers a file imports (static and dynamic, type-only included). */
  const importsOf = (file: string) => [...read(file).matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)'([^']+)'/gm)].map((m) => m[1]!);
  const offending = (files: string[], bad: RegExp) =>
    files.flatMap((f) =>
      importsOf(f)
        .filter((i) => bad.test(i))
        .map((i) => `${f}: ${i}`),
    );

  it('reads the imports', () => {
    expect(importsOf(SELF)).toEqual(expect.arrayContaining(['node:child_process', 'vitest', '../../twin/scenario/index.js']));
  });

  it('lambdas/ never imports aws-cdk-lib (a function bundle holds its runtime code only)', () => {
    expect(offending(sources('lambdas'), /^aws-cdk-lib(?:\/|$)|^constructs$/)).toEqual([]);
  });

  it("nothing deployed imports the twin (lambdas/, lib/ but the operators' lib/ops)", () => {
    const deployed = [...sources('lambdas'), ...sources('lib').filter((f) => !f.startsWith('lib/ops/'))];
    expect(offending(deployed, /(?:^|\/)twin\//)).toEqual([]);
  });
});
