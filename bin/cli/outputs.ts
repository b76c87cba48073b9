/**
 * Report files a command writes (`--json FILE`, `--html FILE`): `-` is stdout; a path that cannot
 * be written is refused before anything runs (exit 2), not after a drill of many minutes.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Why `path` cannot be written, or undefined when it can (`-` is stdout: always fine). */
export function outputPathProblem(path: string): string | undefined {
  if (path === '-') return undefined;
  if (path === '') return 'is empty (give a file, or - for stdout)';
  const full = resolve(path);
  let stat;
  try {
    stat = statSync(full);
  } catch {
    stat = undefined;
  }
  if (stat?.isDirectory()) return 'is a directory, not a file';
  if (stat) {
    try {
      accessSync(full, constants.W_OK);
      return undefined;
    } catch {
      return 'is not writable';
    }
  }
  const dir = dirname(full);
  let dirStat;
  try {
    dirStat = statSync(dir);
  } catch {
    return `cannot be created: the directory ${dir} does not exist`;
  }
  if (!dirStat.isDirectory()) return `cannot be created: ${dir} is not a directory`;
  try {
    accessSync(dir, constants.W_OK);
    return undefined;
  } catch {
    return `cannot be created: the directory ${dir} is not writable`;
  }
}

/** The problems of a command's output options (`--json -` and `--html -` together: both on stdout). */
export function outputOptionProblems(options: Record<string, string | undefined>): string[] {
  const given = Object.entries(options).filter((e): e is [string, string] => e[1] !== undefined);
  const problems = given.flatMap(([flag, path]) => {
    const p = outputPathProblem(path);
    return p ? [`--${flag} ${JSON.stringify(path)} ${p}`] : [];
  });
  const toStdout = given.filter(([, path]) => path === '-').map(([flag]) => `--${flag}`);
  if (toStdout.length > 1) problems.push(`${toStdout.join(' and ')} cannot both write to stdout (-): send one to a file`);
  return problems;
}
