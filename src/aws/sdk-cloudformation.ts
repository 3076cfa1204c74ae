/** CloudFormationPort over the AWS SDK v3. Only translation happens here. */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  DescribeStacksCommand,
  DescribeStackEventsCommand,
  ListStackResourcesCommand,
  CreateChangeSetCommand,
  CreateStackCommand,
  DescribeChangeSetCommand,
  ExecuteChangeSetCommand,
  DeleteChangeSetCommand,
  ListChangeSetsCommand,
  DeleteStackCommand,
  ContinueUpdateRollbackCommand,
  DetectStackDriftCommand,
  DescribeStackDriftDetectionStatusCommand,
  ListStacksCommand,
  StackStatus,
  type Change,
  type DescribeChangeSetCommandOutput,
} from '@aws-sdk/client-cloudformation';
import type {
  CloudFormationPort,
  StackDescription,
  StackEvent,
  StackResource,
  CreateChangeSetInput,
  CreateStackInput,
  ChangeSetDescription,
  ResourceChange,
  ChangeAction,
  ChangeSetSummary,
  StackSummary,
} from './cloudformation.js';

/** Every stack status but DELETE_COMPLETE: ListStacks otherwise lists deleted stacks too (for 90 days). */
const LIVE_STATUSES = Object.values(StackStatus).filter((s) => s !== StackStatus.DELETE_COMPLETE);

function isMissingStack(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return (e?.name === 'ValidationError' || e?.name === 'ValidationException') && /does not exist/.test(e.message ?? '');
}

export class SdkCloudFormation implements CloudFormationPort {
  constructor(private readonly client: CloudFormationClient) {}

  async describeStack(stackName: string): Promise<StackDescription | undefined> {
    try {
      const r = await this.client.send(new DescribeStacksCommand({ StackName: stackName }));
      const s = r.Stacks?.[0];
      if (!s || s.StackStatus === 'DELETE_COMPLETE') return undefined;
      return {
        stackId: s.StackId ?? stackName,
        stackName: s.StackName ?? stackName,
        status: s.StackStatus ?? 'UNKNOWN',
        statusReason: s.StackStatusReason,
        outputs: Object.fromEntries((s.Outputs ?? []).filter((o) => o.OutputKey).map((o) => [o.OutputKey!, o.OutputValue ?? ''])),
        parameters: Object.fromEntries((s.Parameters ?? []).filter((p) => p.ParameterKey).map((p) => [p.ParameterKey!, p.ParameterValue ?? ''])),
        tags: Object.fromEntries((s.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? ''])),
        lastUpdated: s.LastUpdatedTime ?? s.CreationTime,
        driftStatus: s.DriftInformation?.StackDriftStatus,
      };
    } catch (err) {
      if (isMissingStack(err)) return undefined;
      throw err;
    }
  }

  async listStacks(nextToken?: string): Promise<{ stacks: StackSummary[]; nextToken?: string }> {
    const r = await this.client.send(new ListStacksCommand({ StackStatusFilter: LIVE_STATUSES, NextToken: nextToken }));
    const stacks = (r.StackSummaries ?? [])
      .filter((s) => s.StackName && s.StackStatus !== StackStatus.DELETE_COMPLETE)
      .map((s) => ({ stackId: s.StackId ?? s.StackName!, stackName: s.StackName!, status: s.StackStatus ?? 'UNKNOWN' }));
    return { stacks, nextToken: r.NextToken };
  }

  async describeStackEvents(stackName: string): Promise<StackEvent[]> {
    const r = await this.client.send(new DescribeStackEventsCommand({ StackName: stackName }));
    return (r.StackEvents ?? []).map((e) => ({
      eventId: e.EventId ?? `${e.LogicalResourceId}-${e.Timestamp?.toISOString()}-${e.ResourceStatus}`,
      stackName: e.StackName ?? stackName,
      logicalId: e.LogicalResourceId ?? '',
      physicalId: e.PhysicalResourceId,
      resourceType: e.ResourceType ?? '',
      status: e.ResourceStatus ?? '',
      reason: e.ResourceStatusReason,
      timestamp: e.Timestamp ?? new Date(0),
    }));
  }

  async listStackResources(stackName: string): Promise<StackResource[]> {
    const out: StackResource[] = [];
    let token: string | undefined;
    do {
      const r = await this.client.send(new ListStackResourcesCommand({ StackName: stackName, NextToken: token }));
      for (const s of r.StackResourceSummaries ?? [])
        out.push({
          logicalId: s.LogicalResourceId ?? '',
          physicalId: s.PhysicalResourceId,
          resourceType: s.ResourceType ?? '',
          status: s.ResourceStatus ?? '',
        });
      token = r.NextToken;
    } while (token);
    return out;
  }

  async createChangeSet(i: CreateChangeSetInput): Promise<{ changeSetId: string; stackId?: string }> {
    const r = await this.client.send(
      new CreateChangeSetCommand({
        ...stackDefinition(i),
        ChangeSetName: i.changeSetName,
        ChangeSetType: i.changeSetType,
        Description: i.description,
        ClientToken: i.clientToken,
      }),
    );
    return { changeSetId: r.Id ?? i.changeSetName, stackId: r.StackId };
  }

  async createStack(i: CreateStackInput): Promise<{ stackId: string }> {
    const r = await this.client.send(
      new CreateStackCommand({
        ...stackDefinition(i),
        ClientRequestToken: i.clientRequestToken,
      }),
    );
    return { stackId: r.StackId ?? i.stackName };
  }

  async describeChangeSet(stackName: string, changeSetName: string): Promise<ChangeSetDescription> {
    const changes: ResourceChange[] = [];
    let token: string | undefined;
    let first: DescribeChangeSetCommandOutput | undefined;
    do {
      // IncludePropertyValues: property-level before/after values, shown before asking (as CDK's diff does).
      const r = await this.client.send(
        new DescribeChangeSetCommand({ StackName: stackName, ChangeSetName: changeSetName, NextToken: token, IncludePropertyValues: true }),
      );
      first ??= r;
      for (const c of (r.Changes ?? []) as Change[]) {
        const rc = c.ResourceChange;
        if (!rc) continue;
        changes.push({
          action: (rc.Action ?? 'Modify') as ChangeAction,
          logicalId: rc.LogicalResourceId ?? '',
          physicalId: rc.PhysicalResourceId,
          resourceType: rc.ResourceType ?? '',
          replacement: rc.Replacement,
          ...(rc.Details?.length
            ? {
                details: rc.Details.filter((d) => d.Target).map((d) => ({
                  path: d.Target!.Path ?? [d.Target!.Attribute, d.Target!.Name].filter(Boolean).join('.'),
                  change: d.Target!.AttributeChangeType ?? d.ChangeSource ?? 'Modify',
                  before: d.Target!.BeforeValue,
                  after: d.Target!.AfterValue,
                  recreation: d.Target!.RequiresRecreation,
                })),
              }
            : {}),
          ...(rc.AfterContext ? { afterContext: rc.AfterContext } : {}),
        });
      }
      token = r.NextToken;
    } while (token);
    const f = first!;
    return {
      changeSetId: f.ChangeSetId ?? changeSetName,
      stackId: f.StackId,
      status: f.Status ?? 'UNKNOWN',
      statusReason: f.StatusReason,
      executionStatus: f.ExecutionStatus,
      changes,
    };
  }

  async listChangeSets(stackName: string): Promise<ChangeSetSummary[]> {
    const out: ChangeSetSummary[] = [];
    let token: string | undefined;
    try {
      do {
        const r = await this.client.send(new ListChangeSetsCommand({ StackName: stackName, NextToken: token }));
        for (const c of r.Summaries ?? [])
          out.push({
            changeSetId: c.ChangeSetId ?? '',
            changeSetName: c.ChangeSetName ?? '',
            status: c.Status ?? 'UNKNOWN',
            executionStatus: c.ExecutionStatus,
            description: c.Description,
            creationTime: c.CreationTime,
          });
        token = r.NextToken;
      } while (token);
    } catch (err) {
      if (isMissingStack(err)) return [];
      throw err;
    }
    return out;
  }

  async executeChangeSet(stackName: string, changeSetName: string, clientRequestToken?: string): Promise<void> {
    await this.client.send(new ExecuteChangeSetCommand({ StackName: stackName, ChangeSetName: changeSetName, ClientRequestToken: clientRequestToken }));
  }

  async deleteChangeSet(stackName: string, changeSetName: string): Promise<void> {
    await this.client.send(new DeleteChangeSetCommand({ StackName: stackName, ChangeSetName: changeSetName }));
  }

  async deleteStack(stackName: string, retainResources?: string[], clientRequestToken?: string): Promise<void> {
    await this.client.send(
      new DeleteStackCommand({
        StackName: stackName,
        RetainResources: retainResources?.length ? retainResources : undefined,
        ClientRequestToken: clientRequestToken,
      }),
    );
  }

  async continueUpdateRollback(stackName: string, clientRequestToken?: string): Promise<void> {
    await this.client.send(new ContinueUpdateRollbackCommand({ StackName: stackName, ClientRequestToken: clientRequestToken }));
  }

  async detectStackDrift(stackName: string): Promise<string> {
    const r = await this.client.send(new DetectStackDriftCommand({ StackName: stackName }));
    return r.StackDriftDetectionId ?? '';
  }

  async describeStackDriftDetectionStatus(detectionId: string): Promise<{ status: string; driftStatus?: string; reason?: string }> {
    const r = await this.client.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: detectionId }));
    return { status: r.DetectionStatus ?? 'UNKNOWN', driftStatus: r.StackDriftStatus, reason: r.DetectionStatusReason };
  }
}

/** What a stack is made from, as CreateStack and CreateChangeSet both take it. */
function stackDefinition(i: CreateStackInput | CreateChangeSetInput) {
  return {
    StackName: i.stackName,
    TemplateBody: i.templateBody,
    TemplateURL: i.templateUrl,
    Parameters: i.parameters.map((p) => ({ ParameterKey: p.key, ParameterValue: p.value })),
    Tags: i.tags.map((t) => ({ Key: t.key, Value: t.value })),
    Capabilities: i.capabilities as never,
  };
}
