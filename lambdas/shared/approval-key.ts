/**
 * Key of an approval record, in a module of its own: request-approval's request action writes the
 * record with it at every invocation, while the rest of lambdas/shared/approvals.ts (listing,
 * superseding, deciding) is loaded by its other actions only, on first use.
 */
export const approvalKey = (approvalId: string): { pk: string; sk: string } => ({ pk: `APPROVAL#${approvalId}`, sk: 'APPROVAL' });
