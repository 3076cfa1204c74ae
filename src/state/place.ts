/**
 * Where an environment lives, as its ledger records it (facts.region, facts.accountId): a command
 * aimed elsewhere — `--region` another region, credentials of another account — would read or
 * change a place where this environment does not exist, and report "32/32 done" there. Every
 * command that opens an environment selects it here (session, status, reports, doctor, unlock).
 */
import { pickEnv, type LoadedConfig } from '../config/select.js';
import type { EnvironmentConfig } from '../config/schema.js';
import { AwsAccessError, UserError } from '../errors.js';
import type { LedgerData } from './ledger.js';
import { localLedgerPath, peekLedgerRegion } from './store.js';

export function assertLedgerPlace(
  data: Pick<LedgerData, 'facts'>,
  envName: string,
  where: { region: string; regionFromFlag: boolean; accountId?: string },
): void {
  const f = data.facts;
  if (f.region && f.region !== where.region)
    throw new UserError(
      'RegionMismatch',
      `Environment "${envName}" lives in ${f.region} (its ledger says so), but this command would use ${where.region}${where.regionFromFlag ? ' (--region)' : ' (the config)'}.`,
      {
        hint: where.regionFromFlag
          ? `Drop --region ${where.region}, or name the environment that lives there.`
          : `If the environment really moved, start a new one (dpf init --env NEW --region ${where.region}); its ledger is .dpf/${envName}/ledger.json.`,
      },
    );
  if (f.accountId && where.accountId && f.accountId !== where.accountId)
    throw new AwsAccessError(
      `The credentials are for account ${where.accountId}, but environment "${envName}" lives in account ${f.accountId} (its ledger says so).`,
      {
        hint: 'Use the profile for that account (--profile NAME or AWS_PROFILE), or pin it in the config (accountId) to catch this earlier.',
      },
    );
}

/**
 * The environment a command works on. A `--region` other than the config's is first compared
 * with where the local ledger says the environment lives (RegionMismatch, naming both): that
 * is the mistake to report, not that the config's zones are not zones of the other region.
 * Only then are the zones checked against it (selectEnv), for an environment not deployed yet.
 */
export async function selectPlacedEnv(loaded: LoadedConfig, globals: { env?: string; region?: string }): Promise<{ name: string; env: EnvironmentConfig }> {
  const picked = pickEnv(loaded, globals.env);
  if (globals.region === undefined) return picked;
  const livesIn = await peekLedgerRegion(localLedgerPath(loaded.dir, picked.name));
  if (livesIn) assertLedgerPlace({ facts: { region: livesIn } }, picked.name, { region: globals.region, regionFromFlag: true });
  if (globals.region === picked.env.region) return picked;
  // The zones checked against the other region: the rules, loaded only for this case.
  return (await import('../config/load.js')).selectEnv(loaded, picked.name, globals.region);
}
