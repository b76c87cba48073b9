/**
 * `failover drill --serve-approvals`: the CLI serves the approval page on 127.0.0.1, prints the
 * signed link when the game day's failback asks for approval, and waits until it is answered on
 * the page (here with plain HTTP: GET the form, POST it back with its cookie), before the game day's
 * own scripted approval (which then finds nothing pending). The browser flow is in
 * approval-page.browser.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../../../bin/failover.js';
import type { CliIo } from '../../../bin/cli/context.js';
import { parsePort } from '../../../bin/commands/drill.js';

const LINK = /http:\/\/127\.0\.0\.1:\d+\/\?id=[A-Za-z0-9_-]{43}&exp=\d+&sig=[A-Za-z0-9_-]{43}/;

function fakeIo(onOut: (text: string) => void = () => undefined) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIo = {
    stdout: {
      write: (s: string) => {
        stdout.push(s);
        onOut(stdout.join(''));
        return true;
      },
      isTTY: false,
    },
    stderr: { write: (s: string) => stderr.push(s), isTTY: false },
    env: {},
    run: async () => 0,
  };
  return { io, stdout: () => stdout.join(''), stderr: () => stderr.join('') };
}

/** Answers the approval at `url` as a person would: open the page, submit its form. */
async function approve(url: string, name: string): Promise<{ get: number; post: number; text: string }> {
  const page = await fetch(url);
  const html = await page.text();
  const cookie = (page.headers.getSetCookie()[0] ?? '').split(';')[0]!;
  const field = (n: string) => new RegExp(`name="${n}" value="([^"]+)"`).exec(html)?.[1] ?? '';
  const body = new URLSearchParams({ nonce: field('nonce'), token: field('token'), name, reason: 'cli rehearsal', decision: 'approve' }).toString();
  const post = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body });
  return { get: page.status, post: post.status, text: await post.text() };
}

describe('failover drill --serve-approvals', () => {
  it('prints the link, waits for the answer on the page, and the game day ends failed-back with that approver', async () => {
    let answer: Promise<{ get: number; post: number; text: string }> | undefined;
    const t = fakeIo((out) => {
      const url = LINK.exec(out)?.[0];
      if (url && !answer) answer = approve(url, 'Grace Hopper');
    });
    const code = await run(['drill', '--serve-approvals', '--seed', '1'], t.io);
    expect(code, t.stderr() + t.stdout()).toBe(0);
    const out = t.stdout();
    expect(out).toMatch(/Approval page: http:\/\/127\.0\.0\.1:\d+\/ \(127\.0\.0\.1 only/);
    expect(out).toMatch(/Approval requested \(failback: fail-back\); the drill waits for your answer/);
    expect(answer, 'no link was printed').toBeDefined();
    const a = await answer!;
    expect(a).toMatchObject({ get: 200, post: 200 });
    expect(a.text).toContain('Approved by Grace Hopper');
    expect(out).toContain('approved by Grace Hopper via signed link');
    expect(out).toMatch(/operator approves the failback: nothing is pending \(no-op\)/);
    expect(out).toMatch(/PASS \(exit 0\)/);
  }, 300_000);

  it('refuses a bad --port, and --port without --serve-approvals, running nothing (exit 2)', async () => {
    expect(parsePort('8787')).toBe(8787);
    expect(parsePort('0')).toBe(0);
    expect(parsePort('65536')).toBeUndefined();
    expect(parsePort('80a')).toBeUndefined();
    const bad = fakeIo();
    expect(await run(['drill', '--serve-approvals', '--port', '70000'], bad.io)).toBe(2);
    expect(bad.stderr()).toContain('--port must be a whole number from 0 to 65535');
    const alone = fakeIo();
    expect(await run(['drill', '--port', '8787'], alone.io)).toBe(2);
    expect(alone.stderr()).toContain('--port is the port of --serve-approvals');
    expect(alone.stdout()).toBe('');
  });
});
