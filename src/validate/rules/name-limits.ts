/**
 * Names dpf derives fit AWS's limits for every project and environment name the config loader
 * accepts: rendered with the longest names (and the edge characters) it allows, every
 * custom physical name keeps within its type's length and character rules, and every parameter
 * dpf computes satisfies the template's own constraints (AllowedPattern, lengths, values).
 */
import type { Finding, Rule } from '../types.js';
import { nameProblem, namedResources } from '../physical-names.js';
import { holdsPlaceholder } from '../offline.js';

function parameterProblem(decl: Record<string, any>, value: string): string | undefined {
  if (holdsPlaceholder(value)) return undefined;
  if (decl.AllowedPattern && !new RegExp(`^(?:${decl.AllowedPattern})$`).test(value)) return `does not match AllowedPattern ${decl.AllowedPattern}`;
  if (decl.MaxLength !== undefined && value.length > Number(decl.MaxLength)) return `is longer than MaxLength ${decl.MaxLength}`;
  if (decl.MinLength !== undefined && value.length < Number(decl.MinLength)) return `is shorter than MinLength ${decl.MinLength}`;
  if (decl.AllowedValues && !decl.AllowedValues.map(String).includes(value)) return `is not one of AllowedValues`;
  return undefined;
}

export const nameLimits: Rule = {
  id: 'name-limits',
  title: 'Derived names fit AWS limits for the longest allowed names',
  rule: "With the longest project and environment names the config loader accepts (and its edge characters), every custom name stays within AWS's length and character limits and every parameter dpf computes satisfies the template's constraints.",
  protectsAgainst:
    'a deployment that works for "dataplatform/dev" failing at create time for a longer or differently spelled project or environment name (IAM role names over 64 characters, RDS identifiers with "--", bucket names over 63)',
  docs: [
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html',
    'https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html',
    'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.Constraints',
    'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html',
  ],
  check({ env, probes }) {
    const findings: Finding[] = [];
    const seen = new Set<string>();
    const add = (f: Finding) => {
      const k = `${f.subject}|${f.message}`;
      if (!seen.has(k)) (seen.add(k), findings.push(f));
    };
    for (const probe of [{ project: env.project, envName: env.envName, stacks: env.stacks }, ...probes]) {
      const names = `project "${probe.project}" (${probe.project.length}), environment "${probe.envName}" (${probe.envName.length})`;
      for (const n of namedResources(probe.stacks)) {
        const problem = nameProblem(n);
        if (problem)
          add({
            severity: 'error',
            subject: `${n.stack.template}/${n.logicalId}`,
            message: `${n.type} name "${n.name}" ${problem} with ${names}; see ${n.spec.doc}`,
          });
      }
      for (const s of probe.stacks)
        for (const [name, value] of Object.entries(s.parameters)) {
          const problem = parameterProblem(s.source.Parameters?.[name] ?? {}, value);
          if (problem)
            add({ severity: 'error', subject: `${s.template}/Parameters/${name}`, message: `the value dpf computes, "${value}", ${problem} with ${names}` });
        }
    }
    return findings;
  },
};
