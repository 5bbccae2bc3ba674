// What a container of the process runtime uses, read from /proc: there is no cgroup per container (the hosts podflow
// targets give an unprivileged engine no writable cgroup v2 subtree: process-container-runtime.ts), so the container
// is its shim's process tree — every process the shim, a child subreaper, supervises (podflow-shim.c collect_tree).
//
// - CPU: the tree's cumulative CPU time, as a cgroup's cpuacct usage counts it (what the kubelet reports as
//   usageCoreNanoSeconds): user + system time of every live process in the tree (/proc/<pid>/stat utime, stime,
//   all threads), plus the time of processes that already ended — a process's cutime/cstime hold its reaped
//   children's, and the shim's hold those of the main process and of the orphans it reaped. The shim's own
//   utime/stime are not the container's (containerd-shim runs outside the container's cgroup too).
// - Memory: the sum of the tree's resident set sizes (/proc/<pid>/status VmRSS: anonymous, file-backed and shmem pages
//   mapped by each process; pages shared between processes of the tree count once per process, as `ps` counts them).
//   It stands in for the cgroup working set the kubelet reports (usage − inactive file cache), which a process tree
//   has no counter for; it is the number the shim compares with limits.memory, so a container is OOMKilled when the
//   memory `kubectl top` shows passes its limit.
// Processes started by `kubectl exec` run beside the tree (podflow-shim --enter) and are not counted.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Clock ticks per second of /proc's CPU times: USER_HZ, fixed at 100 on the architectures Linux runs podflow on
 * (include/asm-generic/param.h USER_HZ; `getconf CLK_TCK`).
 */
export const USER_HZ = 100;
const NS_PER_TICK = 1e9 / USER_HZ;

/** podflow-shim.c MAX_TREE: the shim tracks at most this many processes per container. */
const MAX_TREE = 4096;

export interface TreeUsage {
  /** CPU time of the tree since the shim started it, nanoseconds (10 ms resolution). */
  cpuNanoSeconds: number;
  /** Sum of VmRSS over the tree, bytes. */
  memoryBytes: number;
  /** How many processes the tree had. */
  processes: number;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process ended meanwhile
  }
}

/** utime + stime and cutime + cstime in ticks (/proc/<pid>/stat fields 14–17, after the last ')' of comm). */
function cpuTicks(pid: number): { own: number; children: number } | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const field = (n: number): number => Number(rest[n - 3] ?? 0);
  return { own: field(14) + field(15), children: field(16) + field(17) };
}

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readText(`/proc/${pid}/status`) ?? '');
  return m ? Number(m[1]) * 1024 : 0;
}

/** The descendants of `root` (not root itself), through /proc/<pid>/task/<tid>/children, as the shim collects them. */
export function processTree(root: number): number[] {
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0 && out.length < MAX_TREE) {
    const pid = queue.shift()!;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      for (const child of (readText(`/proc/${pid}/task/${tid}/children`) ?? '').split(' ')) {
        const n = Number(child);
        if (child.trim() !== '' && Number.isSafeInteger(n) && n > 0 && out.length < MAX_TREE) {
          out.push(n);
          queue.push(n);
        }
      }
    }
  }
  return out;
}

/** The usage of the container supervised by the shim `shimPid`; undefined when the shim is gone. */
export function readTreeUsage(shimPid: number): TreeUsage | undefined {
  const shim = cpuTicks(shimPid);
  if (!shim) return undefined;
  let ticks = shim.children;
  let memoryBytes = 0;
  const tree = processTree(shimPid);
  for (const pid of tree) {
    const t = cpuTicks(pid);
    if (!t) continue;
    ticks += t.own + t.children;
    memoryBytes += rssBytes(pid);
  }
  return { cpuNanoSeconds: ticks * NS_PER_TICK, memoryBytes, processes: tree.length };
}
