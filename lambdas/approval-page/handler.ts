/**
 * approval-page: the approval page behind a Lambda function URL (see core.ts: GET shows, only a
 * verified POST acts). This handler only wires the world in: the signing key from Secrets
 * Manager (read once per execution environment), the approval record in DynamoDB, SendTaskSuccess
 * through lambdas/shared/approvals.ts, the clock and the nonce source.
 *
 * Env: TABLE_NAME (approval records), APPROVAL_SIGNING_SECRET_ARN (the link-signing key),
 * AWS_REGION (control Region).
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { signingKeyFrom } from '../shared/approval-links.js';
import { decideApproval, getApproval } from '../shared/approvals.js';
import { awsErrorName } from '../shared/aws-errors.js';
import { ownRegion, regional } from '../shared/clients.js';
import { functionUrlEvent, pageResponse } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { logger } from '../shared/logger.js';
import { fromFunctionUrlEvent, messagePage, serveApproval, type PageResponse } from './core.js';

const TABLE_NAME = process.env.TABLE_NAME ?? '';
const SECRET_ARN = process.env.APPROVAL_SIGNING_SECRET_ARN ?? '';
const REGION = ownRegion();

let keyPromise: Promise<Uint8Array> | undefined;
/** The signing key, read once (a failed read is retried on the next request). */
function signingKey(): Promise<Uint8Array> {
  keyPromise ??= (async () => {
    const region = /^arn:[^:]+:secretsmanager:([^:]+):/.exec(SECRET_ARN)?.[1] ?? REGION;
    const out = await regional(SecretsManagerClient, region).send(new GetSecretValueCommand({ SecretId: SECRET_ARN }));
    if (!out.SecretString) throw new Error('the approval signing secret has no string value');
    return signingKeyFrom(out.SecretString);
  })().catch((err: unknown) => {
    keyPromise = undefined;
    throw err;
  });
  return keyPromise;
}

export const handler = defineHandler('approval-page', { input: functionUrlEvent, output: pageResponse }, async (event) => {
  const req = fromFunctionUrlEvent(event);
  let key: Uint8Array;
  try {
    key = await signingKey();
  } catch (err) {
    logger.error('approval page: the signing key could not be read', { error: awsErrorName(err) });
    return messagePage(
      503,
      'The approval page is unavailable',
      'Its signing key could not be read. Nothing was changed: answer with the CLI (failover approve ID).',
    );
  }
  const ddb = regional(DynamoDBClient, REGION);
  const sfn = regional(SFNClient, REGION);
  const deps = { ddb, sfn, tableName: TABLE_NAME };
  let res: PageResponse;
  try {
    res = await serveApproval(req, {
      key,
      now: new Date(),
      newNonce: () => randomBytes(16).toString('base64url'),
      getApproval: (id) => getApproval(deps, id),
      decide: async (r) => {
        const out = await decideApproval(deps, { ...r, now: new Date() });
        return { decidedAt: out.decidedAt };
      },
    });
  } catch (err) {
    logger.error('approval page: the approval could not be read', { error: awsErrorName(err) });
    return messagePage(
      503,
      'The approval page is unavailable',
      'The approval could not be read. Nothing was changed: try again in a minute, or answer with the CLI.',
    );
  }
  logger.info('approval page', { method: req.method, status: res.statusCode, sourceIp: req.sourceIp });
  return res;
});
