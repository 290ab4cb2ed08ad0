import { describe, expect, it } from 'vitest';
import { progressText } from '../../src/cli/commands/generate.js';
import { progressLine } from '../../src/cli/progress.js';

function fakeStderr(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (s: string) => (writes.push(s), true) } };
}

describe('progress line', () => {
  it('shows nothing for the first 2 s, then rewrites one line in place, and erases it at the end', () => {
    const { writes, stream } = fakeStderr(true);
    let t = 0;
    const p = progressLine({ stream, label: 'evc generate', now: () => t });
    p.update('0/1 contracts parsed, 0/0 systems generated');
    t = 1999;
    p.update('1/1 contracts parsed, 0/1 systems generated');
    expect(writes).toEqual([]);
    t = 2000;
    p.update('1/1 contracts parsed, 0/1 systems generated');
    p.update('1/1 contracts parsed, 0/1 systems generated');
    p.update('1/1 contracts parsed, 1/1 systems generated');
    p.done();
    expect(writes).toEqual([
      '\r\x1b[2Kevc generate: 1/1 contracts parsed, 0/1 systems generated',
      '\r\x1b[2Kevc generate: 1/1 contracts parsed, 1/1 systems generated',
      '\r\x1b[2K',
    ]);
  });

  it.each([
    ['stderr is not a terminal', false, false],
    ['--quiet', true, true],
  ])('is off when %s', (_, isTTY, quiet) => {
    const { writes, stream } = fakeStderr(isTTY);
    let t = 0;
    const p = progressLine({ stream, quiet, label: 'evc generate', now: () => t });
    t = 10_000;
    p.update('1/1 contracts parsed, 1/1 systems generated');
    p.done();
    expect(writes).toEqual([]);
  });

  it('a run shorter than 2 s writes nothing, not even the erase', () => {
    const { writes, stream } = fakeStderr(true);
    const p = progressLine({ stream, label: 'evc lint', now: () => 5 });
    p.update('1/1 contracts parsed');
    p.done();
    expect(writes).toEqual([]);
  });

  it('names the validators of the system being generated while they compile', () => {
    const base = { contractsParsed: 1, contracts: 1, systemsGenerated: 0, systems: 1 };
    expect(progressText(base)).toBe('1/1 contract(s) parsed, 0/1 system(s) generated');
    expect(progressText({ ...base, validators: { compiled: 4200, total: 10000 } })).toBe(
      '1/1 contract(s) parsed, 0/1 system(s) generated, validators 4,200/10,000',
    );
    expect(progressText({ ...base, validators: { compiled: 0, total: 0 } })).toBe('1/1 contract(s) parsed, 0/1 system(s) generated');
  });
});
