import { describe, expect, it } from 'vitest';
import { AwsAccessError, ExitCode, StepFailedError } from '../../src/errors.js';
import { explainAwsError } from '../../src/aws/explain.js';

describe('explainAwsError', () => {
  const aws = (name: string, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { name, ...extra });

  it.each([
    [
      'expired keys',
      aws('ExpiredToken', 'The security token included in the request is expired'),
      {},
      /credentials of the default credential chain have expired \(while calling X\): The security token/,
      /aws sso login/,
    ],
    [
      'no credentials at all',
      aws('CredentialsProviderError', 'Could not load credentials from any providers'),
      {},
      /^No AWS credentials found for the default credential chain/,
      /--profile NAME or AWS_PROFILE/,
    ],
    [
      'a named profile without credentials',
      aws('CredentialsProviderError', 'Could not load credentials from any providers'),
      { profile: 'ops', profileNamed: true },
      /^No AWS credentials found for profile "ops"/,
      /profile "ops" exists/,
    ],
    [
      'an SSO profile never logged in',
      aws(
        'CredentialsProviderError',
        'The SSO session associated with this profile is invalid. To refresh this SSO session run aws sso login with the corresponding profile.',
      ),
      { profile: 'sso-dev', profileNamed: true },
      /SSO\) session for profile "sso-dev" is missing or has expired/,
      /aws sso login --profile sso-dev/,
    ],
    [
      'an SSO token provider failure',
      aws('TokenProviderError', 'SSO Token is expired. Refresh SSO Token'),
      { profile: 'sso-dev', profileNamed: true },
      /SSO\) session for profile "sso-dev"/,
      /aws sso login --profile sso-dev/,
    ],
    [
      'unknown keys',
      aws('InvalidClientTokenId', 'The security token included in the request is invalid.'),
      {},
      /^AWS refused the credentials of the default credential chain/,
      /get-caller-identity/,
    ],
    [
      'an action the identity may not perform',
      aws('AccessDenied', 'User: arn:aws:iam::1:user/x is not authorized to perform: cloudformation:CreateChangeSet on resource: y'),
      {},
      /^Access denied to cloudformation:CreateChangeSet while calling X/,
      /lacks the permission cloudformation:CreateChangeSet/,
    ],
    [
      'connection refused',
      aws('Error', 'connect ECONNREFUSED 127.0.0.1:5000', { code: 'ECONNREFUSED' }),
      {},
      /Could not reach AWS while calling X: connect ECONNREFUSED/,
      /./,
    ],
    ['DNS failure', aws('Error', 'getaddrinfo ENOTFOUND cloudformation.mars-1.amazonaws.com'), {}, /Could not reach AWS/, /./],
  ])('GIVEN %s WHEN explained THEN AwsAccessError (exit 7) says what is wrong and what to do', (_what, err, context, message, hint) => {
    const e = explainAwsError(err, 'calling X', context) as AwsAccessError;
    expect(e).toBeInstanceOf(AwsAccessError);
    expect(e.exitCode).toBe(ExitCode.AwsAccess);
    expect(e.message).toMatch(message);
    expect(e.cause).toBe(err);
    expect(e.hint).toMatch(hint);
  });

  it('GIVEN an endpoint override WHEN AWS is unreachable THEN the hint names the endpoint', () => {
    const e = explainAwsError(aws('Error', 'x', { code: 'ECONNREFUSED' }), 'y', { endpointUrl: 'http://127.0.0.1:5000' }) as AwsAccessError;
    expect(e.hint).toContain('The endpoint is http://127.0.0.1:5000');
  });

  it.each([
    ['a DpfError', new StepFailedError('s', 'm')],
    ['a service error dpf cannot explain', aws('ValidationError', 'Template format error')],
  ])('GIVEN %s WHEN explained THEN it passes through unchanged', (_what, err) => {
    expect(explainAwsError(err, 'x')).toBe(err);
  });
});
