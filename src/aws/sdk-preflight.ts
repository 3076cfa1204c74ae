/** AccountPreflightPort over the AWS SDK v3 (EC2, KMS, Service Quotas, CloudTrail, IAM). Translation only. */
import {
  EC2Client,
  GetEbsDefaultKmsKeyIdCommand,
  DescribeImagesCommand,
  RunInstancesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeInstancesCommand,
  DescribeAddressesCommand,
  DescribeVpcsCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeSubnetsCommand,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { KMSClient, DescribeKeyCommand, GetKeyPolicyCommand, ListGrantsCommand } from '@aws-sdk/client-kms';
import { ServiceQuotasClient, ListServiceQuotasCommand, ListAWSDefaultServiceQuotasCommand } from '@aws-sdk/client-service-quotas';
import { CloudTrailClient, DescribeTrailsCommand, GetTrailStatusCommand, GetEventSelectorsCommand } from '@aws-sdk/client-cloudtrail';
import { IAMClient, GetRoleCommand, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import type { AccountPreflightPort, ImageDetail, KeyInfo, TrailInfo, TrailSelectors, DryRunOutcome } from './preflight.js';
import { chunk, errorName, isError } from './sdk-common.js';
import { AWS_ITSELF, NotImplementedByEndpointError, offered, type Endpoint } from './endpoint.js';

export interface PreflightClients {
  ec2: EC2Client;
  kms: KMSClient;
  quotas: ServiceQuotasClient;
  trail: CloudTrailClient;
  iam: IAMClient;
}

async function pages<T>(fetch: (token?: string) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetch(token);
    out.push(...page.items);
    token = page.next;
  } while (token);
  return out;
}

export class SdkPreflight implements AccountPreflightPort {
  constructor(
    private readonly c: PreflightClients,
    private readonly endpoint: Endpoint = AWS_ITSELF,
  ) {}

  private offered<T>(operation: string, call: () => Promise<T>): Promise<T> {
    return offered(operation, this.endpoint, call);
  }

  ebsDefaultKmsKeyId(): Promise<string> {
    return this.offered('EC2 GetEbsDefaultKmsKeyId', async () => (await this.c.ec2.send(new GetEbsDefaultKmsKeyIdCommand({}))).KmsKeyId ?? 'alias/aws/ebs');
  }

  describeKey(keyId: string): Promise<KeyInfo> {
    return this.offered('KMS DescribeKey', async () => {
      const m = (await this.c.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
      return { arn: m?.Arn ?? keyId, manager: m?.KeyManager === 'AWS' ? 'AWS' : 'CUSTOMER', state: m?.KeyState ?? 'Unknown' };
    });
  }

  keyPolicy(keyId: string): Promise<unknown> {
    return this.offered('KMS GetKeyPolicy', async () =>
      JSON.parse((await this.c.kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy ?? '{}'),
    );
  }

  keyGrants(keyId: string): Promise<Array<{ grantee: string; operations: string[] }>> {
    return this.offered('KMS ListGrants', () =>
      pages(async (Marker) => {
        const r = await this.c.kms.send(new ListGrantsCommand({ KeyId: keyId, Marker }));
        return {
          items: (r.Grants ?? []).map((g) => ({ grantee: g.GranteePrincipal ?? '', operations: (g.Operations ?? []).map(String) })),
          next: r.Truncated ? r.NextMarker : undefined,
        };
      }),
    );
  }

  describeImages(imageIds: string[]): Promise<ImageDetail[]> {
    return this.offered('EC2 DescribeImages', async () => {
      try {
        const r = await this.c.ec2.send(new DescribeImagesCommand({ ImageIds: imageIds }));
        return (r.Images ?? []).map((i) => ({
          imageId: i.ImageId ?? '',
          name: i.Name,
          ownerId: i.OwnerId,
          state: i.State ?? 'unknown',
          productCodes: (i.ProductCodes ?? []).map((p) => ({ id: p.ProductCodeId ?? '', type: p.ProductCodeType ?? '' })),
        }));
      } catch (err) {
        if (isError(err, /^InvalidAMIID\./)) return [];
        throw err;
      }
    });
  }

  async dryRunLaunch(imageId: string, instanceType: string, subnetId?: string): Promise<DryRunOutcome> {
    try {
      await this.offered('EC2 RunInstances (DryRun)', () =>
        this.c.ec2.send(
          new RunInstancesCommand({
            DryRun: true,
            ImageId: imageId,
            InstanceType: instanceType as _InstanceType,
            MinCount: 1,
            MaxCount: 1,
            ...(subnetId ? { SubnetId: subnetId } : {}),
          }),
        ),
      );
      // A dry run that "succeeds" without DryRunOperation is an endpoint that ignores DryRun.
      return { ok: false, code: 'DryRunIgnored', message: 'the endpoint ran the request instead of answering DryRunOperation' };
    } catch (err) {
      if (err instanceof NotImplementedByEndpointError) throw err;
      if (isError(err, 'DryRunOperation')) return { ok: true };
      return { ok: false, code: errorName(err), message: String((err as Error).message ?? err) };
    }
  }

  instanceTypeOfferings(types: string[], zones: string[]): Promise<Record<string, string[]>> {
    return this.offered('EC2 DescribeInstanceTypeOfferings', async () => {
      const offers = await pages(async (NextToken) => {
        const r = await this.c.ec2.send(
          new DescribeInstanceTypeOfferingsCommand({
            LocationType: 'availability-zone',
            Filters: [
              { Name: 'location', Values: zones },
              { Name: 'instance-type', Values: types },
            ],
            NextToken,
          }),
        );
        return { items: r.InstanceTypeOfferings ?? [], next: r.NextToken };
      });
      const out: Record<string, string[]> = Object.fromEntries(types.map((t) => [t, [] as string[]]));
      for (const o of offers) if (o.InstanceType && o.Location && zones.includes(o.Location)) (out[o.InstanceType] ??= []).push(o.Location);
      return out;
    });
  }

  instanceTypeVcpus(types: string[]): Promise<Record<string, number>> {
    return this.offered('EC2 DescribeInstanceTypes', async () => {
      const out: Record<string, number> = {};
      const read = async (ts: string[]) => {
        const r = await this.c.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ts as _InstanceType[] }));
        for (const t of r.InstanceTypes ?? []) if (t.InstanceType && t.VCpuInfo?.DefaultVCpus !== undefined) out[t.InstanceType] = t.VCpuInfo.DefaultVCpus;
      };
      for (const group of chunk([...new Set(types)], 100)) {
        try {
          await read(group);
        } catch (err) {
          // One unknown type fails the whole call: read the others one by one.
          if (!isError(err, 'InvalidInstanceType') || group.length === 1) throw err;
          for (const t of group) await read([t]).catch((e) => (isError(e, 'InvalidInstanceType') ? undefined : Promise.reject(e)));
        }
      }
      return out;
    });
  }

  runningInstanceTypes(): Promise<string[]> {
    return this.offered('EC2 DescribeInstances', () =>
      pages(async (NextToken) => {
        const r = await this.c.ec2.send(
          new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }], NextToken }),
        );
        return { items: (r.Reservations ?? []).flatMap((res) => (res.Instances ?? []).map((i) => String(i.InstanceType ?? ''))), next: r.NextToken };
      }),
    );
  }

  countAddresses(): Promise<number> {
    return this.offered('EC2 DescribeAddresses', async () => ((await this.c.ec2.send(new DescribeAddressesCommand({}))).Addresses ?? []).length);
  }

  countVpcs(): Promise<number> {
    return this.offered(
      'EC2 DescribeVpcs',
      async () =>
        (
          await pages(async (NextToken) => {
            const r = await this.c.ec2.send(new DescribeVpcsCommand({ NextToken }));
            return { items: r.Vpcs ?? [], next: r.NextToken };
          })
        ).length,
    );
  }

  countInternetGateways(): Promise<number> {
    return this.offered(
      'EC2 DescribeInternetGateways',
      async () =>
        (
          await pages(async (NextToken) => {
            const r = await this.c.ec2.send(new DescribeInternetGatewaysCommand({ NextToken }));
            return { items: r.InternetGateways ?? [], next: r.NextToken };
          })
        ).length,
    );
  }

  natGatewaysPerZone(): Promise<Record<string, number>> {
    return this.offered('EC2 DescribeNatGateways', async () => {
      const nats = await pages(async (NextToken) => {
        const r = await this.c.ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'state', Values: ['pending', 'available'] }], NextToken }));
        return { items: r.NatGateways ?? [], next: r.NextToken };
      });
      const subnets = [...new Set(nats.map((n) => n.SubnetId).filter((s): s is string => Boolean(s)))];
      const zoneOf = new Map<string, string>();
      for (const group of chunk(subnets, 200)) {
        const r = await this.c.ec2.send(new DescribeSubnetsCommand({ SubnetIds: group }));
        for (const s of r.Subnets ?? []) if (s.SubnetId && s.AvailabilityZone) zoneOf.set(s.SubnetId, s.AvailabilityZone);
      }
      const out: Record<string, number> = {};
      for (const n of nats) {
        const z = zoneOf.get(n.SubnetId ?? '') ?? 'unknown';
        out[z] = (out[z] ?? 0) + 1;
      }
      return out;
    });
  }

  /**
   * A service's quotas are read whole, once per service: ListServiceQuotas (every page), then, only
   * if a code is missing there, ListAWSDefaultServiceQuotas (issue 14: a deploy's five quotas of
   * two services took seven requests one code at a time, three this way). Calls for the same service
   * made at once share the reads.
   */
  serviceQuota(serviceCode: string, quotaCode: string): Promise<number | undefined> {
    return this.offered('Service Quotas ListServiceQuotas', async () => {
      const applied = await once(this.applied, serviceCode, () =>
        listQuotas((input) => this.c.quotas.send(new ListServiceQuotasCommand({ ServiceCode: serviceCode, ...input }))),
      );
      if (applied.has(quotaCode)) return applied.get(quotaCode);
      const defaults = await once(this.defaults, serviceCode, () =>
        listQuotas((input) => this.c.quotas.send(new ListAWSDefaultServiceQuotasCommand({ ServiceCode: serviceCode, ...input }))),
      );
      return defaults.get(quotaCode);
    });
  }

  private readonly applied = new Map<string, Promise<Map<string, number>>>();
  private readonly defaults = new Map<string, Promise<Map<string, number>>>();

  describeTrails(): Promise<TrailInfo[]> {
    return this.offered('CloudTrail DescribeTrails', async () =>
      ((await this.c.trail.send(new DescribeTrailsCommand({ includeShadowTrails: true }))).trailList ?? []).map((t) => ({
        name: t.Name ?? '',
        arn: t.TrailARN,
        homeRegion: t.HomeRegion,
        multiRegion: Boolean(t.IsMultiRegionTrail),
      })),
    );
  }

  trailLogging(name: string): Promise<boolean> {
    return this.offered('CloudTrail GetTrailStatus', async () => Boolean((await this.c.trail.send(new GetTrailStatusCommand({ Name: name }))).IsLogging));
  }

  trailSelectors(name: string): Promise<TrailSelectors> {
    return this.offered('CloudTrail GetEventSelectors', async () => {
      const r = await this.c.trail.send(new GetEventSelectorsCommand({ TrailName: name }));
      const classic = (r.EventSelectors ?? []).filter((e) => e.IncludeManagementEvents !== false).map((e) => e.ReadWriteType ?? 'All');
      const advanced = (r.AdvancedEventSelectors ?? [])
        .filter((a) => (a.FieldSelectors ?? []).some((f) => f.Field === 'eventCategory' && (f.Equals ?? []).includes('Management')))
        .map((a) => {
          const ro = (a.FieldSelectors ?? []).find((f) => f.Field === 'readOnly')?.Equals ?? [];
          return ro.includes('true') && !ro.includes('false') ? 'ReadOnly' : ro.includes('false') && !ro.includes('true') ? 'WriteOnly' : 'All';
        });
      const all = [...classic, ...advanced];
      // No selectors at all: CloudTrail's default records every management event.
      if (!r.EventSelectors && !r.AdvancedEventSelectors) return { management: 'All' };
      const management =
        all.includes('All') || (all.includes('ReadOnly') && all.includes('WriteOnly'))
          ? 'All'
          : all.includes('WriteOnly')
            ? 'WriteOnly'
            : all.includes('ReadOnly')
              ? 'ReadOnly'
              : 'none';
      return { management };
    });
  }

  roleArn(roleName: string): Promise<string> {
    return this.offered('IAM GetRole', async () => (await this.c.iam.send(new GetRoleCommand({ RoleName: roleName }))).Role?.Arn ?? '');
  }

  simulate(principalArn: string, actions: string[]): Promise<Array<{ action: string; decision: string }>> {
    return this.offered('IAM SimulatePrincipalPolicy', async () => {
      const out: Array<{ action: string; decision: string }> = [];
      for (const group of chunk(actions, 100)) {
        out.push(
          ...(await pages(async (Marker) => {
            const r = await this.c.iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: principalArn, ActionNames: group, Marker }));
            return {
              items: (r.EvaluationResults ?? []).map((e) => ({ action: e.EvalActionName ?? '', decision: e.EvalDecision ?? 'implicitDeny' })),
              next: r.IsTruncated ? r.Marker : undefined,
            };
          })),
        );
      }
      return out;
    });
  }
}

export function createPreflightPort(cfg: Record<string, unknown>, endpoint: Endpoint = AWS_ITSELF, clients?: Partial<PreflightClients>): AccountPreflightPort {
  return new SdkPreflight(
    {
      ec2: clients?.ec2 ?? new EC2Client(cfg),
      kms: clients?.kms ?? new KMSClient(cfg),
      quotas: clients?.quotas ?? new ServiceQuotasClient(cfg),
      trail: clients?.trail ?? new CloudTrailClient(cfg),
      iam: clients?.iam ?? new IAMClient(cfg),
    },
    endpoint,
  );
}

/** The memoised read of `key`, made on first use; calls made at once share it. */
function once<T>(memo: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> {
  let p = memo.get(key);
  if (!p) memo.set(key, (p = read()));
  return p;
}

type QuotaPage = { Quotas?: Array<{ QuotaCode?: string; Value?: number }>; NextToken?: string };

/** code → value of one service's list, every page; empty when Service Quotas knows no such service (NoSuchResource). */
async function listQuotas(page: (input: { NextToken?: string; MaxResults: number }) => Promise<QuotaPage>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let token: string | undefined;
  try {
    do {
      const r = await page({ NextToken: token, MaxResults: 100 });
      for (const q of r.Quotas ?? []) if (q.QuotaCode && q.Value !== undefined) out.set(q.QuotaCode, q.Value);
      token = r.NextToken;
    } while (token);
  } catch (err) {
    if (!isError(err, 'NoSuchResourceException')) throw err;
  }
  return out;
}
