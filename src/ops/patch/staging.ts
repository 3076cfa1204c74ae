/** dpf patch's staging-first rule reads the staging environment's ledger: local copy or state-bucket mirror, the newer. */
import type { Session } from '../../session.js';
import type { AwsPorts } from '../../aws/ports.js';
import type { LedgerData } from '../../state/ledger.js';
import { StateStore } from '../../state/store.js';
import type { ProcessInfo } from '../../settings.js';
import { errorMessage } from '../../errors.js';

/** The staging environment's ledger: the local copy next to the config, or its state-bucket mirror (the newer wins). */
export async function readStagingLedger(
  session: Session,
  me: ProcessInfo,
  awsIn: (region: string) => AwsPorts,
  warn: (message: string) => void,
): Promise<{ found?: { data: LedgerData; source: string }; lookedAt: string[] }> {
  const staging = session.env.patching.stagingEnv;
  const lookedAt: string[] = [];
  let found: { data: LedgerData; source: string } | undefined;
  const store = new StateStore(session.loaded.dir, session.envCtx.project, staging, me);
  const local = store.ledgerFile;
  lookedAt.push(local);
  try {
    const data = await store.readLocal();
    if (data) found = { data, source: local };
  } catch (err) {
    warn(`The ${staging} ledger at ${local} is unreadable: ${errorMessage(err)}`);
  }
  const cfg = session.loaded.config.environments[staging];
  const bucket = store.derivedBucket(cfg?.accountId ?? session.envCtx.accountId);
  const objects = () => awsIn(cfg?.region ?? session.region).objects();
  lookedAt.push(store.mirror(objects, bucket).describe());
  try {
    const remote = await store.readRemote(objects, bucket);
    if (remote.data && StateStore.newer(remote.data, found?.data)) found = { data: remote.data, source: remote.where };
  } catch (err) {
    lookedAt[lookedAt.length - 1] += ` (unreadable: ${errorMessage(err).split('\n')[0]})`;
  }
  return { found, lookedAt };
}
