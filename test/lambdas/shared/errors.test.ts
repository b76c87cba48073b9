/**
 * The workflow's Retry/Catch match the names in ERROR_NAMES; the functions throw the classes in
 * lambdas/shared/errors.ts. These rows tie the two together: rename a class's `name` (or an entry
 * of ERROR_NAMES) and a row fails, naming both.
 */
import { describe, expect, it } from 'vitest';
import * as errors from '../../../lambdas/shared/errors.js';

type Concrete = new (message: string) => errors.FailoverError;

/** Every concrete error class the module exports, by its exported identifier. */
const classes = (Object.entries(errors) as [string, unknown][]).filter(
  (entry): entry is [string, Concrete] =>
    typeof entry[1] === 'function' && entry[1].prototype instanceof errors.FailoverError && !['TransientError', 'TerminalError'].includes(entry[0]),
);
const instanceOf = (ctor: Concrete): errors.FailoverError =>
  ctor === (errors.ApprovalRefusedError as unknown) ? new errors.ApprovalRefusedError('expired', 'x') : new ctor('x');

/** Classes a workflow step never throws (so Retry/Catch need not name them). */
const NOT_THROWN_BY_STEPS = new Set(['ApprovalRefusedError']);

const namesInWorkflow = Object.values(errors.ERROR_NAMES).flat() as string[];

describe('error names', () => {
  it('finds the concrete classes (the rows below are not empty)', () => {
    expect(classes.length).toBeGreaterThanOrEqual(10);
  });

  it.each(classes)('%s sets name to its own class name (bundling mangles constructor.name)', (exported, ctor) => {
    expect(instanceOf(ctor).name).toBe(exported);
  });

  it.each(classes.filter(([exported]) => !NOT_THROWN_BY_STEPS.has(exported)))('%s is in ERROR_NAMES, so Retry/Catch can match it', (_exported, ctor) => {
    expect(namesInWorkflow).toContain(instanceOf(ctor).name);
  });

  it.each(namesInWorkflow)('ERROR_NAMES entry %s is the name of a class the functions throw', (name) => {
    expect(classes.map(([, ctor]) => instanceOf(ctor).name)).toContain(name);
  });

  it('sorts every thrown class into retried or escalated', () => {
    const transient = classes.filter(([, ctor]) => instanceOf(ctor) instanceof errors.TransientError).map(([n]) => n);
    expect(transient.sort()).toEqual(['ResourceBusyError', 'TransientAwsError', 'WritesNotYetVisibleError']);
    expect([...errors.ERROR_NAMES.transient, errors.ERROR_NAMES.writesNotYetVisible].sort()).toEqual(transient);
  });
});
