import { describe, expect, it } from 'vitest';
import { isStreamPattern, resolveStreamPattern, streamPatternToRegExp } from '../../src/runtime/transports/redis-streams/index.js';

const addresses = [
  'events:workflow.created',
  'events:workflow.started',
  'events:workflow.completed',
  'events:workflow.failed.dlq',
  'events:generation.started',
  'events:audit.started',
  'events:a2a.request',
  'events:workflow.{workflowId}',
];

describe('resolveStreamPattern', () => {
  const cases: [string, { given: string; want: string[] }][] = [
    [
      'the seed pattern: every workflow stream',
      { given: 'events:workflow.*', want: ['events:workflow.created', 'events:workflow.started', 'events:workflow.completed', 'events:workflow.failed.dlq'] },
    ],
    ['`*` crosses dots and colons, as in Redis KEYS', { given: 'events:*', want: addresses.slice(0, 7) }],
    ['a suffix pattern', { given: 'events:*.started', want: ['events:workflow.started', 'events:generation.started', 'events:audit.started'] }],
    ['`?` is one character', { given: 'events:a?a.request', want: ['events:a2a.request'] }],
    ['a class', { given: 'events:[ag]*.started', want: ['events:generation.started', 'events:audit.started'] }],
    ['a negated class', { given: 'events:[^w]*.started', want: ['events:generation.started', 'events:audit.started'] }],
    ['no glob: only itself', { given: 'events:audit.started', want: ['events:audit.started'] }],
    ['regex characters are literal', { given: 'events:workflow+started', want: [] }],
    ['a dot is a dot, not any character', { given: 'events:workflow.starte.', want: [] }],
    ['an escaped star is literal', { given: 'events:workflow.\\*', want: [] }],
    ['nothing matches', { given: 'events:deployment.*', want: [] }],
    ['addresses with {parameters} are not concrete', { given: 'events:workflow.{*', want: [] }],
  ];
  it.each(cases)('%s', (_, { given, want }) => {
    expect(resolveStreamPattern(given, addresses)).toEqual(want);
  });

  it('keeps the order of the addresses and drops duplicates', () => {
    expect(resolveStreamPattern('s.*', ['s.b', 's.a', 's.b'])).toEqual(['s.b', 's.a']);
  });

  it('builds anchored regular expressions', () => {
    expect(streamPatternToRegExp('a*').test('xa')).toBe(false);
    expect(streamPatternToRegExp('a*').test('a')).toBe(true);
    expect(streamPatternToRegExp('[abc').test('[abc')).toBe(true);
  });

  it('tells patterns from concrete keys', () => {
    expect(isStreamPattern('events:workflow.*')).toBe(true);
    expect(isStreamPattern('events:workflow.started')).toBe(false);
  });
});
