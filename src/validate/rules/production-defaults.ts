/**
 * Production-only defaults follow the one definition of production (src/config/production.ts):
 * in a production environment the rendered stacks have a NAT gateway per AZ, a Multi-AZ RDS
 * instance and RDS deletion protection unless the config turns one off (then a warning names it);
 * elsewhere they follow the config or stay off. A value that disagrees with the definition means
 * some code path decided "production" on its own.
 */
import type { Finding, Rule } from '../types.js';
import type { Setting } from '../../config/production.js';
import { normalised } from '../../config/normalise.js';
import { ofType } from '../../templates/render.js';

export const productionDefaults: Rule = {
  id: 'production-defaults',
  title: 'Production defaults follow one definition of production',
  rule: 'NAT gateway per AZ, RDS Multi-AZ and RDS deletion protection are on in a production environment (src/config/production.ts) unless the config turns them off, and every stack agrees with that one definition.',
  protectsAgainst:
    "a production database without a standby (the checkov skip claimed dpf passes Multi-AZ for prod; it passed the dev default), or one AZ outage taking every private subnet's internet access with it",
  docs: [
    'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZSingleStandby.html',
    'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html#USER_DeletionProtection',
    'https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-basics.html',
  ],
  check({ env }) {
    const findings: Finding[] = [];
    const { production: prod, resilience: want } = normalised(env.envName, env.config);
    const compare = (subject: string, what: string, configPath: string, setting: Setting, actual: boolean | undefined) => {
      if (actual === undefined) return;
      if (actual !== setting.value)
        findings.push({
          severity: 'error',
          subject,
          message: `${what} is ${actual} but the ${setting.source} is ${setting.value} (${configPath}): the value was not derived from src/config/production.ts`,
        });
      else if (prod && !actual && setting.source === 'config')
        findings.push({
          severity: 'warning',
          subject,
          message: `${what} is off in production environment ${env.envName} because the config sets ${configPath}: false`,
        });
    };
    const network = env.stacks.find((s) => s.template === 'network');
    if (network) {
      const nats = ofType(network.rendered, 'AWS::EC2::NatGateway').length;
      const zones = new Set(ofType(network.rendered, 'AWS::EC2::Subnet').map(([, r]) => String(r.Properties.AvailabilityZone))).size;
      compare(
        'network/NatGateway*',
        `a NAT gateway per AZ (${nats} NAT gateway(s) for ${zones} AZs)`,
        `environments.${env.envName}.highAvailability`,
        want.highAvailability,
        nats >= zones && zones > 1,
      );
    }
    for (const s of env.stacks)
      for (const [id, db] of ofType(s.rendered, 'AWS::RDS::DBInstance')) {
        const bool = (v: unknown) => (v === undefined ? false : String(v) === 'true');
        compare(`${s.template}/${id}`, 'RDS Multi-AZ', `environments.${env.envName}.storage.rds.multiAz`, want.multiAz, bool(db.Properties.MultiAZ));
        compare(
          `${s.template}/${id}`,
          'RDS deletion protection',
          `environments.${env.envName}.storage.rds.deletionProtection`,
          want.deletionProtection,
          bool(db.Properties.DeletionProtection),
        );
      }
    return findings;
  },
};
