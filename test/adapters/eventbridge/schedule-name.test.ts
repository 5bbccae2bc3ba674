import { describe, expect, it } from 'vitest';
import {
  SCHEDULE_NAME_MAX_LENGTH,
  SCHEDULE_NAME_PATTERN,
  scheduleNameFor,
} from '../../../src/adapters/eventbridge/schedule-name.ts';

const longName = 'a'.repeat(253); // DNS-1123 subdomain maximum, the longest pod name Kubernetes accepts

describe('scheduleNameFor', () => {
  it.each([
    { name: 'short pod and timer', key: { namespace: 'default', name: 'web-0' }, timerId: 'backoff-c1-3' },
    { name: 'longest pod name', key: { namespace: 'n'.repeat(63), name: longName }, timerId: 'backoff-c1-3' },
    {
      name: 'timerId with separators',
      key: { namespace: 'default', name: 'web.0' },
      timerId: 'backoff/c1:3 #x',
    },
    { name: 'non-ASCII timerId', key: { namespace: 'default', name: 'web-0' }, timerId: 'récréation-⏰' },
  ])('$name: at most 64 characters of [0-9a-zA-Z-_.]', ({ key, timerId }) => {
    const name = scheduleNameFor(key, timerId);
    expect(name.length).toBeLessThanOrEqual(SCHEDULE_NAME_MAX_LENGTH);
    expect(name).toMatch(SCHEDULE_NAME_PATTERN);
    expect(name).toMatch(/^[0-9a-zA-Z_.-]+-[0-9a-f]{24}$/);
  });

  it('is deterministic and starts with the readable pod key and timerId (pinned: a change orphans live schedules)', () => {
    const key = { namespace: 'default', name: 'web-0' };
    expect(scheduleNameFor(key, 'backoff-c1-3')).toBe('default.web-0.backoff-c1-3-404544219dded6b9dceb127d');
    expect(scheduleNameFor({ ...key }, 'backoff-c1-3')).toBe(scheduleNameFor(key, 'backoff-c1-3'));
    expect(scheduleNameFor(key, 'backoff/c1:3')).toBe('default.web-0.backoff_c1_3-b5e3285695468ef0104dd562');
  });

  it.each([
    {
      name: 'same readable text from different splits',
      a: [{ namespace: 'a', name: 'b.c' }, 't'],
      b: [{ namespace: 'a.b', name: 'c' }, 't'],
    },
    {
      name: 'timerIds that sanitize alike',
      a: [{ namespace: 'ns', name: 'pod' }, 'x/y'],
      b: [{ namespace: 'ns', name: 'pod' }, 'x_y'],
    },
    {
      name: 'long pod names that differ after the truncated prefix',
      a: [{ namespace: 'ns', name: `${longName}1` }, 't'],
      b: [{ namespace: 'ns', name: `${longName}2` }, 't'],
    },
    {
      name: 'same pod, other namespace',
      a: [{ namespace: 'x', name: 'p' }, 't'],
      b: [{ namespace: 'y', name: 'p' }, 't'],
    },
  ] as const)('distinct inputs get distinct names: $name', ({ a, b }) => {
    expect(scheduleNameFor(a[0], a[1])).not.toBe(scheduleNameFor(b[0], b[1]));
  });

  it('stays distinct over many restart-count timers of many pods', () => {
    const names = new Set<string>();
    for (let pod = 0; pod < 100; pod++) {
      for (let restart = 0; restart < 100; restart++) {
        names.add(
          scheduleNameFor(
            { namespace: 'default', name: `${longName.slice(0, 60)}-${pod}` },
            `backoff-c-${restart}`,
          ),
        );
      }
    }
    expect(names.size).toBe(10_000);
  });
});
