/** The pseudo parameters of a stack (AWS::Region, AWS::AccountId, …) as CloudFormation sets them, for rendering a template offline. */
import { partitionOf } from '../aws/partitions.js';
import type { Pseudo } from './render.js';

export function pseudoParameters(region: string, accountId: string, stack: string): Pseudo {
  const p = partitionOf(region);
  return {
    'AWS::Region': region,
    'AWS::AccountId': accountId,
    'AWS::Partition': p.name ?? 'aws',
    'AWS::URLSuffix': p.dnsSuffix ?? 'amazonaws.com',
    'AWS::StackName': stack,
  };
}
