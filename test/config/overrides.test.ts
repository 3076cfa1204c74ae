/** The --set path=value language: paths checked against the environment schema, values typed by it. */
import { describe, it, expect } from 'vitest';
import { parseSet, applySets } from '../../src/config/overrides.js';
import { DpfError, ExitCode } from '../../src/errors.js';

describe('--set path=value', () => {
  it.each([
    ['compute.workers.max=8', ['compute', 'workers', 'max'], 8],
    ['storage.rds.instanceClass=db.m5.large', ['storage', 'rds', 'instanceClass'], 'db.m5.large'],
    ['network.adminCidrs=198.51.100.0/24,192.0.2.0/24', ['network', 'adminCidrs'], ['198.51.100.0/24', '192.0.2.0/24']],
    ['network.adminCidrs=198.51.100.0/24', ['network', 'adminCidrs'], ['198.51.100.0/24']],
    ['monitoring.alarmEmail=a@b.c', ['monitoring', 'alarmEmail'], 'a@b.c'],
    ['storage.rds.multiAz=true', ['storage', 'rds', 'multiAz'], true],
    ['storage.rds.engineVersion=16', ['storage', 'rds', 'engineVersion'], '16'],
    ['storage.efs.transitionToIaDays=60', ['storage', 'efs', 'transitionToIaDays'], 60],
    ['patching.maintenanceWindow.days=sat, sun', ['patching', 'maintenanceWindow', 'days'], ['sat', 'sun']],
    ['recovery.drRegion=us-east-1', ['recovery', 'drRegion'], 'us-east-1'],
    ['highAvailability=false', ['highAvailability'], false],
  ])('GIVEN %s THEN the value is typed by the schema', (text, p, value) => {
    expect(parseSet(text)).toEqual({ text, path: p, value });
  });

  it.each([
    ['compute.workers.maxx=8', /--set compute\.workers\.maxx=8: unknown key "maxx" in compute\.workers/],
    ['computer.workers.max=8', /--set computer\.workers\.max=8: unknown key "computer" in the environment/],
    ['compute.workers.max.min=1', /--set compute\.workers\.max\.min=1: compute\.workers\.max is not a section/],
    ['compute.workers=8', /--set compute\.workers=8: compute\.workers is a section, not a value/],
    ['compute.workers.max', /--set compute\.workers\.max: expected path=value/],
  ])('GIVEN %s THEN a usage error naming the --set value', (text, message) => {
    let err: DpfError | undefined;
    try {
      parseSet(text);
    } catch (e) {
      err = e as DpfError;
    }
    expect(err?.exitCode).toBe(ExitCode.Usage);
    expect(err?.message).toMatch(message);
  });

  it('GIVEN an override at a path THEN it is written there, creating the sections', () => {
    expect(applySets({ a: 1 }, [{ text: 'x', path: ['b', 'c'], value: 2 }])).toEqual({ a: 1, b: { c: 2 } });
  });
});
