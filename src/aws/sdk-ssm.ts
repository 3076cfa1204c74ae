/**
 * SsmPort over the AWS SDK v3. Only translation happens here.
 *
 * Emulator fallbacks (moto 5.2.x answers ListCommandInvocations and DescribeInstanceInformation
 * with HTTP 500):
 * - listInvocations: when the endpoint does not offer ListCommandInvocations, the
 *   targeted instances are taken from ListCommands (Command.InstanceIds; moto fills it, AWS
 *   leaves it empty for tag targets), else from EC2 DescribeInstances with the command's tag
 *   targets as filters (hence the EC2 client inside this adapter); each is then read with
 *   GetCommandInvocation, and instances the command did not reach (InvocationDoesNotExist) are
 *   left out.
 * - describeInstanceInformation: throws NotImplementedByEndpointError (name
 *   'NotImplementedByEndpoint') so callers can report "unknown".
 * What counts as "not offered" is endpoint.ts's notOffered (on AWS only a 501 or an explicit
 * NotImplemented; an HTML 500 only against a custom endpoint). A call found missing is not
 * asked again by this adapter (one per command's ports): an emulator answers each with a 500.
 */
import {
  SSMClient,
  SendCommandCommand,
  ListCommandsCommand,
  ListCommandInvocationsCommand,
  GetCommandInvocationCommand,
  DescribeInstanceInformationCommand,
  DescribeInstanceAssociationsStatusCommand,
  GetParameterCommand,
  PutParameterCommand,
  type CommandInvocation,
  type Target,
} from '@aws-sdk/client-ssm';
import { EC2Client } from '@aws-sdk/client-ec2';
import type { Ec2Port, InstanceAssociationStatus, InvocationResult, ManagedInstance, SendCommandInput, SsmPort, CommandStatus } from './ops-ports.js';
import { SdkEc2 } from './sdk-ec2.js';
import { chunk, isError } from './sdk-common.js';
import { AWS_ITSELF, isCustomEndpoint, notOffered, NotImplementedByEndpointError, type Endpoint } from './endpoint.js';
import { withoutAmbiguousRetries } from './clients.js';

/** `{ 'dpf:env': ['dev'] }` → `[{ Key: 'tag:dpf:env', Values: ['dev'] }]`; `tag:`, `tag-key`, `InstanceIds`, `resource-groups:` keys pass through. */
export function toTargets(targets: Record<string, string[]> | undefined): Target[] | undefined {
  const out = Object.entries(targets ?? {}).map(([k, Values]) => ({
    Key: k.startsWith('tag:') || k === 'tag-key' || k === 'InstanceIds' || k.startsWith('resource-groups:') ? k : `tag:${k}`,
    Values,
  }));
  return out.length ? out : undefined;
}

/** TimedOut refined by StatusDetails ("Delivery Timed Out" / "Execution Timed Out"). */
function invocationStatus(status: string | undefined, details: string | undefined): string {
  if (status === 'TimedOut' && details) {
    if (/delivery/i.test(details)) return 'DeliveryTimedOut';
    if (/execution/i.test(details)) return 'ExecutionTimedOut';
  }
  return status ?? 'Pending';
}

/** -1 (and absent) mean "has not run yet". */
function responseCode(code: number | undefined): number | undefined {
  return code === undefined || code < 0 ? undefined : code;
}

const ERROR_MARK = /\n?-{5,}ERROR-{5,}\n?/;

/** One ListCommandInvocations entry (Details=true): plugin outputs joined, stderr split off SSM's ERROR marker. */
export function fromListedInvocation(inv: CommandInvocation, commandId: string): InvocationResult {
  const plugins = inv.CommandPlugins ?? [];
  const outs: string[] = [];
  const errs: string[] = [];
  for (const p of plugins) {
    const [out, ...err] = (p.Output ?? '').split(ERROR_MARK);
    if (out) outs.push(out);
    if (err.length) errs.push(err.join('\n'));
  }
  const codes = plugins.map((p) => responseCode(p.ResponseCode)).filter((c): c is number => c !== undefined);
  return {
    commandId: inv.CommandId ?? commandId,
    instanceId: inv.InstanceId ?? '',
    status: invocationStatus(inv.Status, inv.StatusDetails),
    responseCode: codes.find((c) => c !== 0) ?? codes[codes.length - 1],
    stdout: outs.join('\n'),
    stderr: errs.join('\n'),
    outputS3Url: plugins.find((p) => p.StandardOutputUrl)?.StandardOutputUrl || inv.StandardOutputUrl || undefined,
  };
}

export class SdkSsm implements SsmPort {
  constructor(
    private readonly client: SSMClient,
    /** For the listInvocations fallback only (instances by tag targets). */
    private readonly ec2: () => Pick<Ec2Port, 'describeInstances'>,
    /** For SendCommand only: a client that does not repeat it after a lost answer or a 5xx (no idempotency token). */
    private readonly sendClient: SSMClient = client,
    private readonly endpoint: Endpoint = AWS_ITSELF,
  ) {}

  /** Calls this endpoint turned out not to offer: the fallback (or "unknown") at once from then on. */
  private readonly missing = new Set<string>();

  private notOffered(err: unknown): boolean {
    return notOffered(err, isCustomEndpoint(this.endpoint, 'SSM'));
  }

  async sendCommand(i: SendCommandInput): Promise<string> {
    const r = await this.sendClient.send(
      new SendCommandCommand({
        DocumentName: i.documentName,
        Parameters: i.parameters,
        Targets: toTargets(i.targets),
        InstanceIds: i.instanceIds?.length ? i.instanceIds : undefined,
        MaxConcurrency: i.maxConcurrency,
        MaxErrors: i.maxErrors,
        TimeoutSeconds: i.timeoutSeconds,
        OutputS3BucketName: i.outputS3Bucket,
        OutputS3KeyPrefix: i.outputS3Bucket ? i.outputS3KeyPrefix : undefined,
        CloudWatchOutputConfig: { CloudWatchOutputEnabled: false },
        Comment: i.comment?.slice(0, 100),
      }),
    );
    const id = r.Command?.CommandId;
    if (!id) throw new Error(`SendCommand ${i.documentName} returned no command id`);
    return id;
  }

  async findCommandByMarker(marker: string, opts: { documentName?: string; since: Date }): Promise<string | undefined> {
    // Filters narrow the listing on AWS (an emulator may ignore them); the Comment is matched here.
    const since = new Date(opts.since.getTime() - 5 * 60_000);
    const filters = [
      { key: 'InvokedAfter' as const, value: since.toISOString() },
      ...(opts.documentName ? [{ key: 'DocumentName' as const, value: opts.documentName }] : []),
    ];
    let token: string | undefined;
    for (let page = 0; page < 20; page++) {
      const r = await this.client.send(new ListCommandsCommand({ Filters: filters, NextToken: token, MaxResults: 50 }));
      const hit = (r.Commands ?? []).find((c) => (c.Comment ?? '').split(/\s+/).includes(marker));
      if (hit?.CommandId) return hit.CommandId;
      token = r.NextToken;
      if (!token) break;
    }
    return undefined;
  }

  async getCommand(commandId: string): Promise<CommandStatus> {
    const r = await this.client.send(new ListCommandsCommand({ CommandId: commandId }));
    const c = r.Commands?.[0];
    if (!c) throw new Error(`SSM command ${commandId} not found`);
    return {
      commandId: c.CommandId ?? commandId,
      status: c.Status ?? 'Pending',
      targetCount: c.TargetCount,
      completedCount: c.CompletedCount,
      errorCount: c.ErrorCount,
    };
  }

  async listInvocations(commandId: string): Promise<InvocationResult[]> {
    // Known missing on this endpoint (first call of the run found out): straight to the fallback.
    if (this.missing.has('ListCommandInvocations')) return this.invocationsOneByOne(commandId);
    const out: InvocationResult[] = [];
    let token: string | undefined;
    try {
      do {
        const r = await this.client.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, NextToken: token }));
        for (const inv of r.CommandInvocations ?? []) out.push(fromListedInvocation(inv, commandId));
        token = r.NextToken;
      } while (token);
      return out;
    } catch (err) {
      if (!this.notOffered(err)) throw err;
      this.missing.add('ListCommandInvocations');
    }
    return this.invocationsOneByOne(commandId);
  }

  /** The fallback: targeted instances from ListCommands or EC2, then GetCommandInvocation each. */
  private async invocationsOneByOne(commandId: string): Promise<InvocationResult[]> {
    const r = await this.client.send(new ListCommandsCommand({ CommandId: commandId }));
    const cmd = r.Commands?.[0];
    if (!cmd) return [];
    let ids = [...(cmd.InstanceIds ?? [])];
    if (!ids.length) {
      const filters: Record<string, string[]> = {};
      for (const t of cmd.Targets ?? []) {
        if (!t.Key || !t.Values) continue;
        if (t.Key === 'InstanceIds') ids.push(...t.Values);
        else if (t.Key.startsWith('tag:') || t.Key === 'tag-key') filters[t.Key] = t.Values;
      }
      if (Object.keys(filters).length) {
        if (ids.length) filters['instance-id'] = ids;
        ids = (await this.ec2().describeInstances(filters)).map((i) => i.instanceId);
      }
    }
    const out: InvocationResult[] = [];
    for (const id of [...new Set(ids)]) {
      try {
        out.push(await this.getInvocation(commandId, id));
      } catch (err) {
        if (!isError(err, 'InvocationDoesNotExist')) throw err;
      }
    }
    return out;
  }

  async getInvocation(commandId: string, instanceId: string): Promise<InvocationResult> {
    const r = await this.client.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
    return {
      commandId: r.CommandId ?? commandId,
      instanceId: r.InstanceId ?? instanceId,
      status: invocationStatus(r.Status, r.StatusDetails),
      responseCode: responseCode(r.ResponseCode),
      stdout: r.StandardOutputContent ?? '',
      stderr: r.StandardErrorContent ?? '',
      outputS3Url: r.StandardOutputUrl || undefined,
    };
  }

  async describeInstanceInformation(instanceIds?: string[]): Promise<ManagedInstance[]> {
    if (this.missing.has('DescribeInstanceInformation')) throw new NotImplementedByEndpointError('SSM DescribeInstanceInformation', this.endpoint);
    const out: ManagedInstance[] = [];
    const batches: Array<string[] | undefined> = instanceIds?.length ? chunk(instanceIds, 50) : [undefined];
    try {
      for (const batch of batches) {
        let token: string | undefined;
        do {
          const r = await this.client.send(
            new DescribeInstanceInformationCommand({ Filters: batch ? [{ Key: 'InstanceIds', Values: batch }] : undefined, NextToken: token }),
          );
          for (const i of r.InstanceInformationList ?? [])
            out.push({
              instanceId: i.InstanceId ?? '',
              pingStatus: i.PingStatus ?? 'Unknown',
              platform: i.PlatformName ?? i.PlatformType,
              agentVersion: i.AgentVersion,
              lastPing: i.LastPingDateTime,
            });
          token = r.NextToken;
        } while (token);
      }
    } catch (err) {
      if (this.notOffered(err)) {
        this.missing.add('DescribeInstanceInformation');
        throw new NotImplementedByEndpointError('SSM DescribeInstanceInformation', this.endpoint, err);
      }
      throw err;
    }
    return out;
  }

  async describeInstanceAssociationsStatus(instanceId: string): Promise<InstanceAssociationStatus[]> {
    const out: InstanceAssociationStatus[] = [];
    let token: string | undefined;
    try {
      do {
        const r = await this.client.send(new DescribeInstanceAssociationsStatusCommand({ InstanceId: instanceId, NextToken: token }));
        for (const a of r.InstanceAssociationStatusInfos ?? [])
          out.push({
            associationId: a.AssociationId ?? '',
            associationName: a.AssociationName,
            documentName: a.Name ?? '',
            status: a.Status ?? 'Pending',
            detailedStatus: a.DetailedStatus,
            executionDate: a.ExecutionDate,
            executionSummary: a.ExecutionSummary,
          });
        token = r.NextToken;
      } while (token);
    } catch (err) {
      if (this.notOffered(err)) throw new NotImplementedByEndpointError('SSM DescribeInstanceAssociationsStatus', this.endpoint, err);
      throw err;
    }
    return out;
  }

  /** AWS's public parameters (the AMI aliases) read in this process: the preflight and the compute stack ask for the same one within seconds. */
  private readonly publicParameters = new Map<string, Promise<string | undefined>>();

  async getParameter(name: string): Promise<string | undefined> {
    if (!name.startsWith('/aws/service/')) return this.readParameter(name);
    let p = this.publicParameters.get(name);
    if (!p) {
      p = this.readParameter(name);
      this.publicParameters.set(name, p);
      p.catch(() => this.publicParameters.delete(name));
    }
    return p;
  }

  private async readParameter(name: string): Promise<string | undefined> {
    try {
      const r = await this.client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      return r.Parameter?.Value;
    } catch (err) {
      if (isError(err, 'ParameterNotFound')) return undefined;
      throw err;
    }
  }

  /** Writes a String parameter. */
  async putParameter(name: string, value: string, overwrite: boolean): Promise<void> {
    await this.client.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: overwrite }));
  }
}

export function createSsmPort(cfg: Record<string, unknown>, endpoint: Endpoint = AWS_ITSELF): SsmPort {
  let ec2: SdkEc2 | undefined;
  return new SdkSsm(new SSMClient(cfg), () => (ec2 ??= new SdkEc2(new EC2Client(cfg))), new SSMClient(withoutAmbiguousRetries(cfg)), endpoint);
}
