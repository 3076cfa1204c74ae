/** What a restored copy is and how it is checked (src/ops/restore/copy.ts). */
import { describe, it, expect } from 'vitest';
import { dbCopyChecks, fileSystemIdOf, restoreName, restoreTags } from '../../../src/ops/restore/copy.js';
import type { DbInstanceInfo } from '../../../src/aws/ops-ports.js';

const copy = (o: Partial<DbInstanceInfo> = {}): DbInstanceInfo => ({
  identifier: 'db-restore-1',
  engine: 'postgres',
  status: 'available',
  port: 5432,
  encrypted: true,
  publiclyAccessible: false,
  multiAz: false,
  subnetGroup: 'sn',
  securityGroupIds: ['sg-db'],
  parameterGroups: ['pg'],
  tags: {},
  ...o,
});
const want = { engine: 'postgres', port: 5432, subnetGroup: 'sn', securityGroupIds: ['sg-db'], parameterGroup: 'pg' };

describe('dbCopyChecks', () => {
  it('GIVEN a copy as asked THEN every check is ok', () => {
    expect(dbCopyChecks(copy(), want).every((c) => c.status === 'ok')).toBe(true);
  });

  it.each([
    ['not available', { status: 'incompatible-network' }, 'status', 'incompatible-network'],
    ['not encrypted', { encrypted: false }, 'encrypted at rest', 'NOT encrypted'],
    ['another port', { port: 5433 }, 'port', '5433 (source: 5432)'],
    ['the default subnet group', { subnetGroup: 'default' }, 'subnet group', 'default (wanted sn)'],
    ['the default VPC group', { securityGroupIds: ['sg-default'] }, 'security groups', 'sg-default (wanted sg-db)'],
    ['the default parameter group', { parameterGroups: ['default.postgres16'] }, 'parameter group', 'default.postgres16 (wanted pg)'],
    ['public', { publiclyAccessible: true }, 'not publicly accessible', 'PUBLIC'],
  ])('GIVEN a copy %s THEN that check fails, naming what it is', (_n, o, name, detail) => {
    const failed = dbCopyChecks(copy(o), want).filter((c) => c.status === 'failed');
    expect(failed).toEqual([{ name, status: 'failed', detail }]);
  });
});

describe('names and tags', () => {
  it('GIVEN a long identifier THEN the restore name is cut to 63 characters, ending in the stamp', () => {
    const n = restoreName('x'.repeat(70), '20250101000000');
    expect(n).toHaveLength(63);
    expect(n.endsWith('-restore-20250101000000')).toBe(true);
  });

  it.each([
    ['arn:aws:elasticfilesystem:us-west-2:1:file-system/fs-123', 'fs-123'],
    [undefined, undefined],
    ['arn:aws:elasticfilesystem:us-west-2:1:file-system/', undefined],
  ])('GIVEN %s THEN the file system id is %s', (arn, id) => {
    expect(fileSystemIdOf(arn)).toBe(id);
  });

  it.each([
    ['restore', 'dpf:operation'],
    ['drill', 'dpf:drill'],
  ] as const)('GIVEN a %s copy THEN its tags name the operation under %s', (purpose, key) => {
    expect(restoreTags({ envCtx: { name: 'dev', project: 'p' } } as never, 'op-1', purpose)).toEqual({
      'dpf:env': 'dev',
      'dpf:project': 'p',
      [key]: 'op-1',
      'dpf:purpose': purpose,
    });
  });
});
