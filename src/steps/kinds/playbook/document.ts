/** dpf's Ansible Run Command document: its name and its parameters. */
import type { StepContext } from '../../types.js';

/** The Run Command document the compute stack creates (output AnsibleDocumentName). */
export function playbookDocument(envCtx: { project: string; name: string }): string {
  return `dpf-${envCtx.project}-${envCtx.name}-ApplyAnsiblePlaybooks`;
}
/** What the messages call it. */
export const PLAYBOOK_DOCUMENT = 'the dpf Ansible document';

/** The environment's Ansible document: the compute stack's output, else its name by convention. */
export function ansibleDocumentName(ctx: Pick<StepContext, 'ledger' | 'envCtx'>): string {
  // An emulator may return an output empty: the name by convention then.
  return ctx.ledger.outputs('compute.stack').AnsibleDocumentName || playbookDocument(ctx.envCtx);
}

/** The parameters of dpf's Ansible document for one playbook run (deploy steps and dpf patch alike). */
export function ansibleDocumentParameters(o: {
  s3Url: string;
  playbook: string;
  extraVariables?: string;
  check: boolean;
  timeoutSeconds: number;
}): Record<string, string[]> {
  return {
    SourceType: ['S3'],
    SourceInfo: [JSON.stringify({ path: o.s3Url })],
    PlaybookFile: [o.playbook],
    ...(o.extraVariables ? { ExtraVariables: [o.extraVariables] } : {}),
    Check: [o.check ? 'True' : 'False'],
    Verbose: ['-v'],
    TimeoutSeconds: [String(o.timeoutSeconds)],
  };
}
