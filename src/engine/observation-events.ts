// Runtime observations become inbox events. Ids are derived from the instance, so a re-reported observation
// (the runtime's recover() after an engine restart, ECS redelivery) is the same event and is dropped. A start
// failure also carries its time: a container that could not be created is tried again as the same instance, and
// each attempt's failure is an event of its own.
import type { PodEvent } from '../core/pod-events.ts';
import type { ContainerObservation } from '../ports/container-runtime.ts';
import type { PodKey } from '../ports/pod-key.ts';
import type { TimerDue } from '../ports/wakeup-scheduler.ts';

/** A wake-up timer that fired (back-off over, active deadline); its id makes a redelivered timer one event. */
export function timerDueEvent(t: TimerDue, now: number): PodEvent {
  return { id: `timer/${t.timerId}/${t.dueAt}`, at: now, type: 'timerDue', timerId: t.timerId };
}

export function eventFromObservation(o: ContainerObservation): { key: PodKey; event: PodEvent } {
  const { key, podUid, container, instance } = o.ref;
  const id = `${podUid}/${container}/${instance}/${o.type}`;
  switch (o.type) {
    case 'started':
      return {
        key,
        event: {
          id,
          at: o.startedAt,
          type: 'containerStarted',
          container,
          instance,
          startedAt: o.startedAt,
          ...(o.imageID !== undefined || o.pulledInMs !== undefined
            ? {
                image: {
                  ...(o.imageID !== undefined ? { id: o.imageID } : {}),
                  ...(o.pulledInMs !== undefined ? { pulledInMs: o.pulledInMs } : {}),
                },
              }
            : {}),
          ...(o.podIP ? { podIP: o.podIP } : {}),
          ...(o.containerID ? { containerID: o.containerID } : {}),
        },
      };
    case 'exited':
      return {
        key,
        event: {
          id,
          at: o.finishedAt,
          type: 'containerExited',
          container,
          instance,
          exitCode: o.exitCode,
          ...(o.signal !== undefined ? { signal: o.signal } : {}),
          oomKilled: o.oomKilled,
          startedAt: o.startedAt,
          finishedAt: o.finishedAt,
          ...(o.message ? { message: o.message } : {}),
          ...(o.lost ? { lost: true } : {}),
        },
      };
    case 'startFailed':
      return {
        key,
        event: {
          id: `${id}/${o.at}`,
          at: o.at,
          type: 'containerStartFailed',
          container,
          instance,
          reason: o.reason,
          message: o.message,
        },
      };
  }
}
