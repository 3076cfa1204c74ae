import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretsManagerClient, ListSecretsCommand, DeleteSecretCommand } from '@aws-sdk/client-secrets-manager';
import { SdkSecrets } from '../../src/aws/sdk-secrets.js';
import { awsError } from './helpers.js';

const sm = mockClient(SecretsManagerClient);
const port = () => new SdkSecrets(new SecretsManagerClient({ region: 'us-west-2' }));
const PREFIX = 'dp/dev/freeipa/host-keytab/';

beforeEach(() => sm.reset());

describe('Secrets Manager adapter', () => {
  it('GIVEN two pages WHEN listing by prefix THEN only names that start with it are returned, sorted (the name filter also matches words)', async () => {
    sm.on(ListSecretsCommand)
      .resolvesOnce({ SecretList: [{ Name: `${PREFIX}b.dataplatform.internal` }, { Name: 'other/dp/dev/freeipa/host-keytab/x' }], NextToken: 't' })
      .resolvesOnce({ SecretList: [{ Name: `${PREFIX}a.dataplatform.internal` }] });
    expect(await port().listSecretNames(PREFIX)).toEqual([`${PREFIX}a.dataplatform.internal`, `${PREFIX}b.dataplatform.internal`]);
    expect(sm.commandCalls(ListSecretsCommand).map((c) => c.args[0].input)).toEqual([
      { Filters: [{ Key: 'name', Values: [PREFIX] }], NextToken: undefined, MaxResults: 100 },
      { Filters: [{ Key: 'name', Values: [PREFIX] }], NextToken: 't', MaxResults: 100 },
    ]);
  });

  it('GIVEN a secret WHEN deleted THEN without a recovery window; one already gone counts as deleted; other errors surface', async () => {
    sm.on(DeleteSecretCommand, { SecretId: 'a' }).resolves({});
    sm.on(DeleteSecretCommand, { SecretId: 'gone' }).rejects(awsError('ResourceNotFoundException'));
    sm.on(DeleteSecretCommand, { SecretId: 'denied' }).rejects(awsError('AccessDeniedException'));
    await port().deleteSecretNow('a');
    await port().deleteSecretNow('gone');
    await expect(port().deleteSecretNow('denied')).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(sm.commandCalls(DeleteSecretCommand)[0]!.args[0].input).toEqual({ SecretId: 'a', ForceDeleteWithoutRecovery: true });
  });
});
