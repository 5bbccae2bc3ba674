// Lifecycle hooks through the real engine (docs/semantics.md §6, kubelet lifecycle/handlers.go and
// kuberuntime_container.go): postStart holds the container (and the next one) until it finished, a failed postStart
// kills the container which is then restarted; preStop runs on delete before SIGTERM, a failed preStop is reported
// and the kill goes on, and SIGKILL comes no earlier than 2 s after preStop ended. exec, httpGet and sleep handlers.
//
// Container commands record what happened with ms timestamps (`date +%s%3N`) in files under the scratch
// directory. Hook commands are not `$(VAR)`-expanded by Kubernetes, container commands are (`$$` → `$`).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  E2eEngine,
  NOW_MS,
  SHELL_PID,
  containerStatus,
  freePort,
  podManifest,
  readLines,
  restartCount,
  sh,
  waitForLine,
} from './support.ts';

let e: E2eEngine;
beforeAll(async () => {
  e = await E2eEngine.start();
});
afterAll(async () => {
  await e?.close();
});

/** `label ms` lines → [label, ms]. */
const timeline = (file: string): Array<[string, number]> =>
  readLines(file).map((line) => {
    const at = line.lastIndexOf(' ');
    return [line.slice(0, at), Number(line.slice(at + 1))];
  });

/**
 * A shell command that runs until killed; on SIGTERM it writes `term <ms>` to `file` and exits `exitCode`. Once its
 * trap is set it writes `ready` to `<file>.ready` (trapped(file)): Running is the exec, and a SIGTERM before the trap
 * would end it with 143.
 */
const trapTerm = (file: string, exitCode = 0): string =>
  `trap 'echo term ${NOW_MS} >> ${file}; exit ${exitCode}' TERM; echo ready >> ${file}.ready; sleep 30 & wait`;
const trapped = (file: string): Promise<void> => waitForLine(`${file}.ready`, 'ready');

/** A tiny HTTP server: logs `GET <path> <ms>` per request and `TERM <ms>` on SIGTERM (then exits 0). It listens on
 * every interface, as a server in a pod does: httpGet hooks connect to the pod IP. */
const HTTP_SERVER = `
import http.server, signal, sys, time
port, log = int(sys.argv[1]), sys.argv[2]
def note(what):
    with open(log, 'a') as f:
        f.write(what + ' ' + str(int(time.time() * 1000)) + '\\n')
def term(*_):
    note('TERM')
    sys.exit(0)
signal.signal(signal.SIGTERM, term)
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        note('GET ' + self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'ok')
    def log_message(self, *args):
        pass
http.server.HTTPServer(('0.0.0.0', port), Handler).serve_forever()
`;

/** An exec hook command that waits until something listens on `port`. */
const waitForPort = (port: number): string[] => [
  'python3',
  '-c',
  `import socket, time\nwhile True:\n    try:\n        socket.create_connection(('127.0.0.1', ${port}), 0.2).close()\n        break\n    except OSError:\n        time.sleep(0.02)`,
];

describe('postStart', () => {
  it.concurrent(
    'exec postStart holds the container as not started and holds the next container',
    async ({ expect }) => {
      const done = join(e.scratch, 'poststart-done');
      await e.create(
        podManifest('poststart-exec', {
          containers: [
            {
              ...sh('first', 'exec sleep 30'),
              lifecycle: {
                postStart: { exec: { command: ['sh', '-c', `sleep 0.5; date +%s%3N > ${done}`] } },
              },
            },
            sh('second', 'exec sleep 30'),
          ],
        }),
      );
      const running = await e.waitForPod(
        'poststart-exec',
        'both containers running',
        (s) => containerStatus(s, 'second')?.state?.running !== undefined,
      );
      const hookDone = Number(readLines(done)[0]);
      const [first] = e.instances('poststart-exec', 'first');
      const [second] = e.instances('poststart-exec', 'second');
      expect(hookDone - first!.startedAt!).toBeGreaterThanOrEqual(500);
      // The second container was not even requested before the hook finished.
      expect(second!.requestedAt).toBeGreaterThanOrEqual(hookDone);
      expect(second!.startedAt).toBeGreaterThanOrEqual(hookDone);
      // While the hook ran, `first` was running as a process but reported waiting ContainerCreating, not started.
      const during = e
        .history('poststart-exec')
        .filter(
          (s) =>
            s.engine.containers.first?.state.type === 'running' &&
            containerStatus(s, 'second')?.restartCount === 0,
        );
      const held = during.find((s) => containerStatus(s, 'first')?.started === false);
      expect(containerStatus(held, 'first')).toMatchObject({
        started: false,
        ready: false,
        state: { waiting: { reason: 'ContainerCreating' } },
      });
      expect(containerStatus(running, 'first')).toMatchObject({ started: true, ready: true });
      expect(running.pod.status?.phase).toBe('Running');
    },
  );

  it.concurrent(
    'sleep postStart: the container is reported started only after the sleep',
    async ({ expect }) => {
      await e.create(
        podManifest('poststart-sleep', {
          containers: [
            { ...sh('app', 'exec sleep 30'), lifecycle: { postStart: { sleep: { seconds: 1 } } } },
          ],
        }),
      );
      await e.waitForPod('poststart-sleep', 'started', (s) => containerStatus(s, 'app')?.started === true);
      const [app] = e.instances('poststart-sleep', 'app');
      const startedSnapshot = e
        .snapshots('poststart-sleep')
        .find((s) => containerStatus(s.state, 'app')?.started === true)!;
      expect(startedSnapshot.seenAt - app!.startedAt!).toBeGreaterThanOrEqual(1000);
    },
  );

  it.concurrent(
    'httpGet postStart against a server in the pod (which its own exec postStart waits for)',
    async ({ expect }) => {
      const port = await freePort();
      const log = join(e.scratch, 'http-poststart.log');
      await e.create(
        podManifest('poststart-http', {
          containers: [
            {
              name: 'server',
              image: 'python:3',
              command: ['python3', '-c', HTTP_SERVER, String(port), log],
              lifecycle: { postStart: { exec: { command: waitForPort(port) } } },
            },
            {
              ...sh('client', 'exec sleep 30'),
              lifecycle: { postStart: { httpGet: { path: '/poststart', port } } },
            },
          ],
        }),
      );
      await e.waitForPod(
        'poststart-http',
        'client started',
        (s) => containerStatus(s, 'client')?.started === true,
      );
      const [client] = e.instances('poststart-http', 'client');
      const gets = timeline(log).filter(([what]) => what === 'GET /poststart');
      expect(gets).toHaveLength(1);
      expect(gets[0]![1]).toBeGreaterThanOrEqual(client!.startedAt!);
      expect(restartCount(e.last('poststart-http'), 'client')).toBe(0);
      expect(e.recordedEvents('poststart-http').map((ev) => ev.reason)).not.toContain('FailedPostStartHook');
    },
  );

  it.concurrent(
    'failed postStart → FailedPostStartHook, the container is killed and restarted',
    async ({ expect }) => {
      const marker = join(e.scratch, 'poststart-failed-once');
      const pids = join(e.scratch, 'poststart-failed-pids');
      await e.create(
        podManifest('poststart-fail', {
          containers: [
            {
              ...sh('app', `echo ${SHELL_PID} >> ${pids}; trap 'exit 0' TERM; sleep 30 & wait`),
              lifecycle: {
                postStart: {
                  exec: {
                    command: [
                      'sh',
                      '-c',
                      `[ -f ${marker} ] && exit 0; touch ${marker}; echo hook failed; exit 3`,
                    ],
                  },
                },
              },
            },
          ],
        }),
      );
      const state = await e.waitForPod(
        'poststart-fail',
        'restarted and started',
        (s) => restartCount(s, 'app') === 1 && containerStatus(s, 'app')?.started === true,
      );
      await e.waitForEvent('poststart-fail', 'FailedPostStartHook');
      const failed = e.recordedEvents('poststart-fail').find((ev) => ev.reason === 'FailedPostStartHook')!;
      expect(failed).toMatchObject({ type: 'Warning', fieldPath: 'spec.containers{app}' });
      expect(failed.message).toMatch(
        /^Exec lifecycle hook \(\[sh -c .*\]\) for Container "app" in Pod "poststart-fail_default\(.*\)" failed - error: command '.*' exited with 3: hook failed/,
      );
      // Meanwhile the container showed PostStartHookError, then the first instance was killed (it exits 0 on TERM).
      const waiting = e
        .history('poststart-fail')
        .map((s) => containerStatus(s, 'app')?.state?.waiting)
        .find((w) => w?.reason === 'PostStartHookError');
      expect(waiting?.message).toBe(failed.message);
      const [first, second] = e.instances('poststart-fail', 'app');
      expect(first).toMatchObject({ exitCode: 0 });
      expect(second!.startedAt).toBeGreaterThanOrEqual(first!.finishedAt!);
      expect(readLines(pids)).toHaveLength(2);
      expect(state.pod.status?.phase).toBe('Running');
      expect(containerStatus(state, 'app')?.lastState?.terminated).toMatchObject({ exitCode: 0 });
      expect(e.recordedEvents('poststart-fail').map((ev) => ev.reason)).toContain('Killing');
    },
  );
});

describe('preStop', () => {
  it.concurrent('exec preStop runs on delete before SIGTERM', async ({ expect }) => {
    const log = join(e.scratch, 'prestop-exec.log');
    await e.create(
      podManifest('prestop-exec', {
        terminationGracePeriodSeconds: 5,
        containers: [
          {
            ...sh('app', trapTerm(log)),
            lifecycle: {
              preStop: {
                exec: { command: ['sh', '-c', `sleep 0.3; echo prestop $(date +%s%3N) >> ${log}`] },
              },
            },
          },
        ],
      }),
    );
    await e.waitForPhase('prestop-exec', 'Running');
    await trapped(log);
    await e.delete('prestop-exec');
    await e.waitForRemoval('prestop-exec');
    const lines = timeline(log);
    expect(lines.map(([what]) => what)).toEqual(['prestop', 'term']);
    expect(lines[1]![1]).toBeGreaterThanOrEqual(lines[0]![1]);
    const last = e.last('prestop-exec')!;
    expect(last.pod.status?.phase).toBe('Succeeded');
  });

  it.concurrent('httpGet preStop against the container’s own server, before SIGTERM', async ({ expect }) => {
    const port = await freePort();
    const log = join(e.scratch, 'http-prestop.log');
    await e.create(
      podManifest('prestop-http', {
        terminationGracePeriodSeconds: 5,
        containers: [
          {
            name: 'server',
            image: 'python:3',
            command: ['python3', '-c', HTTP_SERVER, String(port), log],
            lifecycle: {
              postStart: { exec: { command: waitForPort(port) } },
              preStop: { httpGet: { path: '/prestop', port } },
            },
          },
        ],
      }),
    );
    await e.waitForPod('prestop-http', 'started', (s) => containerStatus(s, 'server')?.started === true);
    await e.delete('prestop-http');
    await e.waitForRemoval('prestop-http');
    expect(timeline(log).map(([what]) => what)).toEqual(['GET /prestop', 'TERM']);
    expect(e.recordedEvents('prestop-http').map((ev) => ev.reason)).not.toContain('FailedPreStopHook');
  });

  it.concurrent('sleep preStop delays SIGTERM by its seconds', async ({ expect }) => {
    const log = join(e.scratch, 'prestop-sleep.log');
    await e.create(
      podManifest('prestop-sleep', {
        terminationGracePeriodSeconds: 5,
        containers: [{ ...sh('app', trapTerm(log)), lifecycle: { preStop: { sleep: { seconds: 1 } } } }],
      }),
    );
    await e.waitForPhase('prestop-sleep', 'Running');
    await trapped(log);
    await e.delete('prestop-sleep');
    const deleting = await e.waitForPod('prestop-sleep', 'deletion', (s) => s.engine.deletion !== undefined);
    await e.waitForRemoval('prestop-sleep');
    const [[what, at]] = timeline(log) as [[string, number]];
    expect(what).toBe('term');
    // Not before the sleep ended, and long before the 5 s grace would have run out: the sleep, not the grace, held
    // SIGTERM back. (How soon after the sleep SIGTERM comes measures the machine's load: a benchmark's business.)
    expect(at - deleting.engine.deletion!.requestedAt).toBeGreaterThanOrEqual(1000);
    expect(at - deleting.engine.deletion!.requestedAt).toBeLessThan(5000);
    // The stop after the hook gets the grace left — at most 4 s after a 1 s sleep, never under 2 s
    // (kuberuntime_container.go killContainer).
    const windows = e.stops.filter((s) => s.pod === 'prestop-sleep').map((s) => s.graceSeconds);
    expect(windows).toHaveLength(1);
    expect(windows[0]).toBeGreaterThanOrEqual(2);
    expect(windows[0]).toBeLessThanOrEqual(4);
  });

  it.concurrent('failed preStop → FailedPreStopHook, and the kill continues', async ({ expect }) => {
    const log = join(e.scratch, 'prestop-fail.log');
    await e.create(
      podManifest('prestop-fail', {
        terminationGracePeriodSeconds: 5,
        containers: [
          {
            ...sh('app', trapTerm(log)),
            lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo cannot drain; exit 2'] } } },
          },
        ],
      }),
    );
    await e.waitForPhase('prestop-fail', 'Running');
    await trapped(log);
    await e.delete('prestop-fail');
    await e.waitForRemoval('prestop-fail');
    expect(timeline(log).map(([what]) => what)).toEqual(['term']);
    await e.waitForEvent('prestop-fail', 'FailedPreStopHook');
    const failed = e.recordedEvents('prestop-fail').find((ev) => ev.reason === 'FailedPreStopHook')!;
    expect(failed).toMatchObject({ type: 'Warning', fieldPath: 'spec.containers{app}' });
    expect(failed.message).toMatch(/exited with 2: cannot drain/);
  });

  it.concurrent(
    'SIGKILL comes no earlier than 2 s after preStop ended, even past the grace (grace 3, preStop 2.5 s)',
    async ({ expect }) => {
      const log = join(e.scratch, 'prestop-minimum.log');
      await e.create(
        podManifest('prestop-minimum', {
          terminationGracePeriodSeconds: 3,
          containers: [
            {
              // Survives SIGTERM (records it and keeps going): only SIGKILL ends it.
              ...sh('app', `trap 'echo term ${NOW_MS} >> ${log}' TERM; while :; do sleep 0.05; done`),
              lifecycle: {
                preStop: {
                  exec: { command: ['sh', '-c', `sleep 2.5; echo prestop-done $(date +%s%3N) >> ${log}`] },
                },
              },
            },
          ],
        }),
      );
      await e.waitForPhase('prestop-minimum', 'Running');
      await e.delete('prestop-minimum');
      await e.waitForRemoval('prestop-minimum', 15_000);
      const lines = timeline(log);
      expect(lines[0]![0]).toBe('prestop-done');
      expect(lines.slice(1).every(([what]) => what === 'term')).toBe(true);
      const preStopDone = lines[0]![1];
      const termAt = lines[1]![1];
      expect(termAt).toBeGreaterThanOrEqual(preStopDone);
      const [app] = e.instances('prestop-minimum', 'app');
      expect(app).toMatchObject({ exitCode: 137 });
      // kuberuntime_container.go killContainer: max(grace left, 2 s) after the hook — here 2 s, past the 3 s grace:
      // the engine decides a 2 s window, and the process outlives the hook by at least that.
      expect(e.stops.filter((s) => s.pod === 'prestop-minimum').map((s) => s.graceSeconds)).toEqual([2]);
      expect(app!.finishedAt! - preStopDone).toBeGreaterThanOrEqual(2000 - 50);
    },
    15_000,
  );
});
