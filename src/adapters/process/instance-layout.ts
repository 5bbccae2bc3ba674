// Where the process runtime keeps things (docs/architecture.md §6), one directory per container instance:
//
//   <dataDir>/pods/<podUid>/sandbox.json                      the sandbox: pod key + uid, its network, address, ports
//   <dataDir>/pods/<podUid>/_sandbox/state                    the pause process (podflow-shim --pause): shim-state.ts
//   <dataDir>/network/<bridge>/<ip>                           an address in use, holding the pod uid (ip-allocator.ts)
//   <dataDir>/pods/<podUid>/<container>/<n>/launch.json       what was started (argv, env, cwd, limits): exec, recover
//   <dataDir>/pods/<podUid>/<container>/<n>/state             written by podflow-shim (shim-state.ts)
//   <dataDir>/pods/<podUid>/<container>/<n>/stop              grace seconds of a requested stop
//   <dataDir>/pods/<podUid>/<container>/<n>/shim.log          the shim's own diagnostics, if it failed
//   <dataDir>/pods/<podUid>/<container>/<n>/<n>.log           the container's output, CRI format
//
// The instance directory itself is flock()ed by its shim while it runs (one shim per instance).
// Instance n is restartCount n, as kubelet names its log files /var/log/pods/<pod>/<container>/<n>.log.
import { join } from 'node:path';
import type { ContainerInstanceRef } from '../../ports/container-runtime.ts';

export const SANDBOX_FILE = 'sandbox.json';
/** The pause process's directory: `_` cannot start a container name (a DNS label), so it never clashes with one. */
export const PAUSE_DIR = '_sandbox';
export const LAUNCH_FILE = 'launch.json';
export const STOP_FILE = 'stop';
/** The named pipe that is a `stdin: true` container's stdin (podflow-shim --stdin). */
export const STDIN_FIFO = 'stdin';
export const SHIM_LOG_FILE = 'shim.log';

/** Path segments come from the pod (uid, container name): never let one climb out of the data directory. */
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function assertSafeSegment(what: string, value: string): void {
  if (!SAFE_SEGMENT.test(value) || value.includes('..')) {
    throw new TypeError(`${what} ${JSON.stringify(value)} cannot name a directory of the process runtime`);
  }
}

export const podsDir = (dataDir: string): string => join(dataDir, 'pods');

/** Where the pod network's addresses are allocated (one directory per bridge, like host-local's per network). */
export const networkDir = (dataDir: string, bridge: string): string => join(dataDir, 'network', bridge);

export const pauseDir = (dataDir: string, podUid: string): string => join(podDir(dataDir, podUid), PAUSE_DIR);

export function podDir(dataDir: string, podUid: string): string {
  assertSafeSegment('pod uid', podUid);
  return join(podsDir(dataDir), podUid);
}

export function instanceDir(dataDir: string, ref: ContainerInstanceRef): string {
  assertSafeSegment('container name', ref.container);
  if (!Number.isSafeInteger(ref.instance) || ref.instance < 0) {
    throw new TypeError(`container instance ${ref.instance} is not a restart count`);
  }
  return join(podDir(dataDir, ref.podUid), ref.container, String(ref.instance));
}

export const logFile = (dir: string, instance: number): string => join(dir, `${instance}.log`);

export const instanceKey = (ref: ContainerInstanceRef): string =>
  `${ref.podUid}/${ref.container}/${ref.instance}`;
