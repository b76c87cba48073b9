/**
 * Child process of the harness test: starts a real pair, prints what it started as one JSON line,
 * then waits to be interrupted (SIGINT). The exit hook must leave nothing behind.
 */
import { RealPair } from '../../../twin/real/postgres.js';

const pair = await RealPair.start({ parentDir: process.argv[2] });
process.stdout.write(`${JSON.stringify({ baseDir: pair.baseDir, pids: [pair.primary.pid, pair.replica.pid] })}\n`);
setInterval(() => undefined, 1_000);
