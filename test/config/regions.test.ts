import { describe, expect, it } from 'vitest';
import { allRegions, knownRegion, regionProblem } from '../../src/config/regions.js';

describe('regions from the SDK partition data', () => {
  it.each(['us-west-2', 'eu-west-1', 'ap-south-2', 'us-gov-west-1', 'cn-north-1'])('GIVEN %s WHEN checked THEN it is known', (r) => {
    expect(knownRegion(r)?.description).toBeTruthy();
    expect(regionProblem(r)).toBeUndefined();
  });
  it.each([
    ['us-wset-2', /"us-wset-2" is not an AWS region \(did you mean us-west-2\?\)/],
    ['us-west-9', /"us-west-9" is not an AWS region/],
    ['aws-global', /not an AWS region/],
    ['', /not an AWS region/],
  ])('GIVEN %j WHEN checked THEN the problem names it', (r, msg) => {
    expect(knownRegion(r)).toBeUndefined();
    expect(regionProblem(r)).toMatch(msg);
  });
  it('WHEN listing THEN every listed region is known and the list includes the commercial ones', () => {
    const all = allRegions();
    expect(all).toEqual(expect.arrayContaining(['us-east-1', 'us-west-2', 'eu-central-1', 'ap-southeast-2']));
    for (const r of all) expect(knownRegion(r)).toBeDefined();
  });
});
