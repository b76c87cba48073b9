import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTRACTS, FUNCTION_NAMES } from '../../../lambdas/shared/contracts.js';

const LAMBDAS = join(import.meta.dirname, '../../../lambdas');
/** Every folder under lambdas/ but shared/ (the common code) is a function, with its handler. */
const functionDirs = readdirSync(LAMBDAS, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'shared')
  .map((d) => d.name)
  .sort();

describe('the contract registry', () => {
  it('has found the function folders', () => {
    expect(functionDirs.length).toBeGreaterThanOrEqual(25);
    expect(functionDirs).not.toContain('shared');
  });

  it.each(functionDirs)('function folder %s has a handler and a contract', (name) => {
    expect(existsSync(join(LAMBDAS, name, 'handler.ts'))).toBe(true);
    expect(Object.keys(CONTRACTS)).toContain(name);
    expect(FUNCTION_NAMES).toContain(name);
  });

  it.each(Object.keys(CONTRACTS))('contract %s has a function folder with a handler', (name) => {
    expect(functionDirs).toContain(name);
  });

  it('names the same functions as FUNCTION_NAMES', () => {
    expect(Object.keys(CONTRACTS).sort()).toEqual([...FUNCTION_NAMES].sort());
  });

  it.each(Object.entries(CONTRACTS))('%s: input and output are schemas', (_name, contract) => {
    expect(typeof contract.input.safeParse).toBe('function');
    expect(typeof contract.output.safeParse).toBe('function');
  });
});
