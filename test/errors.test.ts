import { describe, expect, it } from 'vitest';
import {
  AbortError,
  AwsAccessError,
  BlockedError,
  ConfigInvalidError,
  DpfError,
  ExitCode,
  LockHeldError,
  NotConfirmedError,
  StateInvalidError,
  StepFailedError,
  UserError,
  errorMessage,
} from '../src/errors.js';

describe('error family', () => {
  const holder = { identity: 'bob', host: 'h', pid: 1, command: 'deploy', since: 's', expiresAt: 'e' };
  it.each<[string, DpfError, number, string]>([
    ['UserError', new UserError('BadFlag', 'bad'), ExitCode.Usage, 'user'],
    ['ConfigInvalidError', new ConfigInvalidError(['a: b'], '/x.yaml'), ExitCode.Usage, 'user'],
    ['StepFailedError', new StepFailedError('network.stack', 'failed'), ExitCode.StepFailed, 'toolkit'],
    ['LockHeldError', new LockHeldError('dev', holder, 'lock file /x'), ExitCode.LockHeld, 'user'],
    ['StateInvalidError', new StateInvalidError('corrupt', 'restore it'), ExitCode.StateInvalid, 'user'],
    ['NotConfirmedError', new NotConfirmedError('Go?', 'declined'), ExitCode.NotConfirmed, 'user'],
    ['AwsAccessError', new AwsAccessError('no creds'), ExitCode.AwsAccess, 'toolkit'],
    ['BlockedError', new BlockedError('network first'), ExitCode.Blocked, 'user'],
    ['AbortError', new AbortError(), ExitCode.Interrupted, 'toolkit'],
  ])('GIVEN a %s WHEN raised THEN it carries its exit code and source', (name, err, exitCode, source) => {
    expect(err).toBeInstanceOf(DpfError);
    expect(err.name).toBe(name);
    expect(err.exitCode).toBe(exitCode);
    expect(err.source).toBe(source);
  });

  it('GIVEN a question nobody can answer WHEN refused THEN the hint says --yes', () => {
    const e = new NotConfirmedError('Create stack x?', 'no-tty');
    expect(e.code).toBe('ConfirmationRequired');
    expect(e.message).toContain('"Create stack x?"');
    expect(e.hint).toContain('--yes');
    expect(new NotConfirmedError('Go?', 'declined').code).toBe('Declined');
  });
});

describe('errorMessage', () => {
  it('GIVEN a non-Error WHEN its message is taken THEN it is stringified', () => {
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(new Error('boom'))).toBe('boom');
  });
});
