/** A CLI `io` that records what a command writes (for commands run in-process with `run`), with this environment. */
import type { CliIo } from '../../bin/cli/context.js';

export function fakeIo(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env, run: async () => 0 };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}
