/** One structured logger for every function (Powertools). Never log task tokens or secrets. */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'rds-failover', logLevel: (process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO' });
