/**
 * The probe function of one vantage-point Region, named exactly `${prefix}-probe`: the control
 * Region's probe-vantage function invokes it across Regions by that name. It may read the
 * credentials of the databases that list a vantage point in this Region.
 */
import { Duration, Stack, Token } from 'aws-cdk-lib';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { DatabaseConfig, FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { probeFunctionName } from '../../lambdas/shared/names.js';
import { Arns } from '../arns.js';
import { FailoverKey } from './encryption-key.js';
import { FailoverFunction } from './failover-function.js';
import { consolidate, databaseLoginGrants } from './permissions.js';

export interface VantageProbeProps {
  /** The validated config. */
  readonly config: FailoverConfig;
  /** The vantage-point Region this construct serves (its stack's Region). */
  readonly region: string;
}

/** The probe of one vantage-point Region. */
export class VantageProbe extends Construct {
  public readonly key: Key;
  public readonly probe: FailoverFunction;
  /** The databases with a vantage point in this Region. */
  public readonly databases: readonly DatabaseConfig[];

  constructor(scope: Construct, id: string, props: VantageProbeProps) {
    super(scope, id);
    const { config, region } = props;
    const stackRegion = Stack.of(this).region;
    if (!Token.isUnresolved(stackRegion) && stackRegion !== region) throw new Error(`VantageProbe for ${region} is in a stack of ${stackRegion}`);
    this.databases = config.databases.filter((db) => db.detection.vantagePoints.some((v) => v.region === region));
    const writerRegions = (db: DatabaseConfig) => [...new Set([db.primary.region, db.standby.region])];
    this.key = new FailoverKey(this, 'Key', { alias: `${config.prefix}-probe`, description: `RDS failover probe in ${region}: logs` }).key;
    const logins = databaseLoginGrants(this.databases, writerRegions, new Arns());
    this.probe = new FailoverFunction(this, 'Probe', {
      name: 'probe',
      functionName: probeFunctionName(config.prefix),
      description: `Verification: probes a primary from ${region} (connect, SELECT 1, heartbeat write)`,
      encryptionKey: this.key,
      environment: { RESOURCE_PREFIX: config.prefix },
      timeout: Duration.seconds(20),
      permissions: { statements: consolidate(logins.statements), wildcards: logins.wildcards },
      network: config.networks.find((n) => n.region === region),
    });
  }
}
