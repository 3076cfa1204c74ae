/**
 * The ETA model. A stack's duration is the longest chain through its resource graph
 * (CloudFormation creates independent resources in parallel), each resource weighted by
 * its typical create time on AWS (historical averages collected by rain's forecast).
 */
export const TYPICAL_CREATE_SECONDS: Record<string, number> = {
  'AWS::RDS::DBInstance': 595,
  'AWS::IAM::InstanceProfile': 126,
  'AWS::EC2::NatGateway': 106,
  'AWS::EFS::MountTarget': 93,
  'AWS::S3::Bucket': 30,
  'AWS::EC2::EIP': 17,
  'AWS::EC2::InternetGateway': 17,
  'AWS::EC2::Instance': 16,
  'AWS::EC2::VPC': 12,
  'AWS::AutoScaling::AutoScalingGroup': 3,
  'AWS::IAM::Role': 20,
  'AWS::KMS::Key': 15,
  'AWS::EFS::FileSystem': 10,
  'AWS::DynamoDB::Table': 15,
  'AWS::EC2::VPCEndpoint': 10,
  'AWS::EC2::FlowLog': 10,
  'AWS::Backup::BackupVault': 5,
  'AWS::RDS::DBSubnetGroup': 3,
  'AWS::Route53::HostedZone': 40,
  'AWS::Route53::RecordSet': 35,
  'AWS::SecretsManager::Secret': 5,
};
export const DEFAULT_RESOURCE_SECONDS = 3;
/** Change set creation, execution start and completion polling. */
export const STACK_OVERHEAD_SECONDS = 15;

function references(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) return node.forEach((n) => references(n, into));
  if (!node || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'Ref' && typeof v === 'string') into.add(v);
    else if (k === 'Fn::GetAtt') into.add(Array.isArray(v) ? String(v[0]) : String(v).split('.')[0]!);
    else if (k === 'Fn::Sub') {
      const text = Array.isArray(v) ? v[0] : v;
      if (typeof text === 'string') for (const m of text.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}/g)) into.add(m[1]!);
      if (Array.isArray(v)) references(v[1], into);
    } else references(v, into);
  }
}

export interface ResourceEta {
  totalSeconds: number;
  path: string[];
  resourceCount: number;
}

/** Longest create path through a template's resources (seconds), plus stack overhead. */
export function estimateTemplate(template: { Resources?: Record<string, { Type: string; DependsOn?: string | string[]; Properties?: unknown }> }): ResourceEta {
  const resources = template.Resources ?? {};
  const ids = Object.keys(resources);
  const deps = new Map<string, string[]>();
  for (const id of ids) {
    const r = resources[id]!;
    const refs = new Set<string>();
    references(r.Properties, refs);
    for (const d of [r.DependsOn ?? []].flat()) refs.add(d);
    deps.set(
      id,
      [...refs].filter((x) => x !== id && x in resources),
    );
  }
  const memo = new Map<string, { t: number; path: string[] }>();
  const visiting = new Set<string>();
  const finish = (id: string): { t: number; path: string[] } => {
    const m = memo.get(id);
    if (m) return m;
    if (visiting.has(id)) return { t: 0, path: [] }; // cycles are the linter's business
    visiting.add(id);
    let best = { t: 0, path: [] as string[] };
    for (const d of deps.get(id) ?? []) {
      const f = finish(d);
      if (f.t > best.t) best = f;
    }
    visiting.delete(id);
    const own = TYPICAL_CREATE_SECONDS[resources[id]!.Type] ?? DEFAULT_RESOURCE_SECONDS;
    const r = { t: best.t + own, path: [...best.path, id] };
    memo.set(id, r);
    return r;
  };
  let top = { t: 0, path: [] as string[] };
  for (const id of ids) {
    const f = finish(id);
    if (f.t > top.t) top = f;
  }
  return { totalSeconds: top.t + STACK_OVERHEAD_SECONDS, path: top.path, resourceCount: ids.length };
}
