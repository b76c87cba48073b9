import { describe, expect, it } from 'vitest';
import { approvalLink, formToken, sameMac, signApprovalLink, verifyApprovalLink, verifyFormToken } from '../../../lambdas/shared/approval-links.js';

const KEY = new Uint8Array(32).fill(1);
const OTHER = new Uint8Array(32).fill(2);
const ID = 'A'.repeat(43);

describe('approval links', () => {
  it('signs (id, expiry) so that neither can be changed, and another key never verifies', () => {
    const sig = signApprovalLink(KEY, ID, 1_800_000_000);
    expect(sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(verifyApprovalLink(KEY, ID, 1_800_000_000, sig)).toBe(true);
    expect(verifyApprovalLink(KEY, ID, 1_800_000_001, sig)).toBe(false);
    expect(verifyApprovalLink(KEY, 'B'.repeat(43), 1_800_000_000, sig)).toBe(false);
    expect(verifyApprovalLink(OTHER, ID, 1_800_000_000, sig)).toBe(false);
    expect(verifyApprovalLink(KEY, ID, 1_800_000_000, sig.slice(0, -1))).toBe(false);
  });

  it('builds the link with the expiry in epoch seconds (and & when the URL has a query)', () => {
    const expires = new Date('2027-01-15T08:00:00.500Z');
    const link = approvalLink('https://abc.lambda-url.us-west-2.on.aws/', KEY, ID, expires);
    const url = new URL(link);
    expect(url.searchParams.get('id')).toBe(ID);
    expect(url.searchParams.get('exp')).toBe(String(Math.floor(expires.getTime() / 1000)));
    expect(verifyApprovalLink(KEY, ID, Number(url.searchParams.get('exp')), url.searchParams.get('sig')!)).toBe(true);
    expect(approvalLink('https://x/p?db=orders', KEY, ID, expires)).toMatch(/^https:\/\/x\/p\?db=orders&id=/);
  });

  it('form tokens bind the id and the nonce, and are never valid as link signatures', () => {
    const token = formToken(KEY, ID, 'n'.repeat(22));
    expect(verifyFormToken(KEY, ID, 'n'.repeat(22), token)).toBe(true);
    expect(verifyFormToken(KEY, ID, 'm'.repeat(22), token)).toBe(false);
    expect(verifyFormToken(KEY, 'B'.repeat(43), 'n'.repeat(22), token)).toBe(false);
    expect(sameMac(token, signApprovalLink(KEY, ID, 0))).toBe(false);
  });

  it('sameMac compares in constant time and refuses different lengths', () => {
    expect(sameMac('abc', 'abc')).toBe(true);
    expect(sameMac('abc', 'abd')).toBe(false);
    expect(sameMac('abc', 'abcd')).toBe(false);
  });
});
