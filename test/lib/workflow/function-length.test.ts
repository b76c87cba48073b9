/**
 * No function in lib/workflow/ spans more than 80 lines (issue #15: each workflow builder is a
 * short spine of phases; a phase that grows past a screen is split). Measured with the TypeScript
 * compiler API on every function declaration, function expression, arrow function, method and
 * accessor, from its first line to its last (comments and blank lines inside it included).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../lib/paths.js';

const LIMIT = 80;
const ROOT = join(PROJECT_ROOT, 'lib', 'workflow');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

export interface FunctionSpan {
  readonly file: string;
  readonly name: string;
  readonly line: number;
  readonly lines: number;
}

/** Every function-like node of a source text, with its line span. */
export function functionSpans(file: string, text: string): FunctionSpan[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const spans: FunctionSpan[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      spans.push({ file, name: nameOf(node), line: start + 1, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return spans;
}

function nameOf(node: ts.Node): string {
  const named = (node as { name?: ts.Node }).name;
  if (named && ts.isIdentifier(named)) return named.text;
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return '(anonymous)';
}

describe('function length in lib/workflow', () => {
  it('measures a function by its lines (the measure can fail)', () => {
    const body = Array.from({ length: LIMIT }, (_, i) => `  const x${i} = ${i};`).join('\n');
    const spans = functionSpans('probe.ts', `export function long(): void {\n${body}\n}\nconst short = () => 1;\n`);
    expect(spans.map((s) => [s.name, s.lines])).toEqual([
      ['long', LIMIT + 2],
      ['short', 1],
    ]);
  });

  it(`has no function over ${LIMIT} lines`, () => {
    const spans = filesUnder(ROOT).flatMap((file) => functionSpans(relative(PROJECT_ROOT, file), readFileSync(file, 'utf8')));
    expect(spans.length).toBeGreaterThan(50);
    const over = spans.filter((s) => s.lines > LIMIT).map((s) => `${s.file}:${s.line} ${s.name}: ${s.lines} lines`);
    expect(over).toEqual([]);
  });
});
