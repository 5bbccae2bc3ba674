/*
 * podflow-shim: the supervisor of ONE container instance of podflow's process runtime
 * (adapters/process/process-container-runtime.ts; docs/architecture.md §6). It plays the part containerd-shim + runc
 * play for a kubelet: it outlives the engine, owns the container's process tree, records how it ended, writes the CRI
 * log file and enforces limits.memory.
 *
 * Why C and not Node.js: a shim runs for every running container; it must cost well under 5 MiB resident and
 * add no measurable start latency. C11 + Linux libc only (signalfd, prctl, /proc).
 *
 * Usage: podflow-shim --dir <instanceDir> --log <logPath> [--cwd <dir>] [--memory <bytes>] [--stdin <fifo>]
 *                     [--sandbox <pid>:<starttime>] [--bind <src> <dst>]... [--bind-ro <src> <dst>]... -- <argv...>
 *   The shim's environment IS the container's environment (the runtime spawns it with exactly that); the shim
 *   reads nothing from it and passes it on unchanged. With --sandbox the container joins the namespaces of the
 *   pod's pause process before it execs. With --bind/--bind-ro it gets a mount namespace of its own in which each
 *   <src> is bind-mounted at <dst> (read-only for --bind-ro): the pod's volumes at their mountPaths
 *   (docs/decisions/0009-volumes.md). <dst> must exist; the runtime creates missing mount points.
 *   With --stdin (a container with `stdin: true`) the container's stdin is the named pipe <fifo>, created here, which
 *   `kubectl attach` writes to (local/attach-websocket.ts); the shim holds the pipe open for writing as long as it
 *   runs, so the container's stdin does not end when an attach does (CRI: stdin stays open without stdinOnce).
 *
 * Other modes (see usage(); docs/decisions/0008-pod-sandbox.md):
 *   --pause      the pod sandbox: holds the pod's network, IPC and UTS namespaces and sets up its interface
 *   --spawner    forks pauses on request (cheaper than a spawn from the engine)
 *   --enter      execs a command in a pod's namespaces (exec probes, exec hooks, kubectl exec)
 *   --bridge-up, --bridge-down, --probe-namespaces   the host's part of the pod network
 *
 * Files in <instanceDir> (the runtime reads them; see adapters/process/shim-state.ts):
 *   (the directory itself is flock()ed for the shim's lifetime: a second shim for the instance backs off)
 *   state      key=value lines, replaced atomically (write state.tmp.<pid> + rename) at each transition:
 *              phase=running (after a successful exec) → exited, or startFailed. The first state is published
 *              with link(2): if a runtime recorded an outcome first (it found no shim), the shim backs off.
 *   stop       written by the runtime before it sends SIGTERM to the shim: the grace period in seconds.
 *   shim.log   the shim's own diagnostics, if it fails.
 *
 * Protocol with the runtime: the runtime spawns the shim detached (own session) with fd 1 a pipe; the shim writes
 * one line ("started", "failed", "already") once the state file says so, then points fd 1 at /dev/null, so the
 * pipe closes and an engine that dies later costs the shim nothing. Exit codes of the shim itself: 0 (the
 * instance's outcome is in `state`), 1 (internal error, message on stderr and in <instanceDir>/shim.log), 2 (usage).
 *
 * Container semantics reproduced:
 *   - The command runs in its own process group (pgid = its pid) under the shim, which is a child subreaper: every
 *     process the container forks stays in the shim's tree, even when it double-forks or calls setsid().
 *   - Stop (SIGTERM to the shim): SIGTERM to the container's process group, SIGKILL to the whole tree when the
 *     grace from `stop` runs out (grace <= 0: SIGKILL at once, like containerd's StopContainer with timeout 0).
 *     The shim enforces the grace itself, so a stop survives the engine dying during the grace.
 *   - When the main process exits, every process left in the container is SIGKILLed, as the kernel does when the
 *     init process of a container's pid namespace exits (and runc does for a shared pid namespace).
 *   - Exit code: the main process's code; killed by signal s: 128 + s, with `signal` recorded.
 *   - limits.memory: the resident memory (VmRSS, from /proc/<pid>/statm) of the whole tree is summed every
 *     MEM_POLL_MS; above the limit the tree is SIGKILLed and `oomKilled=1` recorded (exit 137). Polling, not a
 *     cgroup: podflow cannot assume a writable cgroup v2 hierarchy (see the runtime's doc comment).
 *   - Exec failures are detected with a close-on-exec pipe, so "not found" / "permission denied" is known for sure
 *     before the state says running. Messages follow runc: exec: "foo": executable file not found in $PATH.
 *   - If the shim itself is killed, PR_SET_PDEATHSIG kills the main process: a container never runs unsupervised.
 *   - Logs: stdout and stderr through pipes into <logPath>, CRI format `<RFC3339Nano UTC> <stream> <F|P> <text>`;
 *     lines longer than LOG_LINE_MAX are cut into P chunks and a line without a newline at EOF is written as P
 *     (containerd internal/cri/io/logger.go redirectLogs). The exit is recorded only after both pipes reached EOF,
 *     so the log is complete when the runtime observes the exit.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>

/** containerd: max_container_log_line_size default (16 KiB); longer lines become P chunks. */
#define LOG_LINE_MAX 16384
/** How often the memory of the tree is summed when a limit is set. */
#define MEM_POLL_MS 50
/** Grace when SIGTERM arrives without a `stop` file (e.g. a host shutdown): Kubernetes' default
 * terminationGracePeriodSeconds. */
#define DEFAULT_STOP_GRACE_S 30.0
/** After the main process exited: how long to wait for the rest of the tree to die and the pipes to close. */
#define DRAIN_TIMEOUT_MS 2000
/** Bound on the processes tracked in one container tree. */
#define MAX_TREE 4096
/** runc/Go default PATH when the container's environment has none (opencontainers/runc libcontainer). */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define MSG_MAX 4096

static enum {
  MODE_CONTAINER,
  MODE_PAUSE,
  MODE_ENTER,
  MODE_BRIDGE,
  MODE_BRIDGE_DOWN,
  MODE_PROBE,
  MODE_SPAWNER
} opt_mode;
static const char *opt_dir, *opt_log, *opt_cwd, *opt_stdin;
static long long opt_memory;
static char **opt_argv;
/* The pod sandbox: the pause process a container joins (--sandbox, --enter), or what a pause creates (--pause). */
static const char *opt_sandbox, *opt_hostname, *opt_veth, *opt_bridge, *opt_address, *opt_gateway;
static int opt_unshare;
static unsigned int opt_mtu;
/* Volume mounts of a container (--bind, --bind-ro), and the container whose mount namespace --enter joins (--mnt). */
#define MAX_BINDS 128
static struct bind {
  const char *src, *dst;
  bool ro;
} opt_binds[MAX_BINDS];
static int opt_bind_count;
static const char *opt_mnt;

extern char **environ;

static char path_state[PATH_MAX], path_state_tmp[PATH_MAX], path_stop[PATH_MAX], path_shim_log[PATH_MAX];

struct state {
  const char *phase;
  pid_t shim_pid;
  unsigned long long shim_ticks;
  char boot_id[128];
  pid_t pid;
  unsigned long long pid_ticks;
  long long started_at, finished_at;
  bool exited;
  int exit_code, signal;
  bool oom;
  const char *reason;
  char message[MSG_MAX];
};
static struct state st;

static void report(const char *line);
static bool reported;

/** Reports an internal failure on stderr and in <instanceDir>/shim.log (the runtime quotes it), then exits 1. */
static void die(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "podflow-shim: %s\n", msg);
  if (path_shim_log[0]) {
    FILE *f = fopen(path_shim_log, "ae");
    if (f) {
      fprintf(f, "podflow-shim: %s\n", msg);
      fclose(f);
    }
  }
  if (!reported) report("failed\n"); /* the outcome, for a runtime waiting for one: the reason is in shim.log */
  exit(1);
}

static long long realtime_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/** Reads a small file into buf (NUL-terminated); returns the length or -1. */
static ssize_t read_small(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = 0;
  while (len + 1 < cap) {
    ssize_t n = read(fd, buf + len, cap - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += (size_t)n;
  }
  close(fd);
  buf[len] = '\0';
  return (ssize_t)len;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot): with the pid it identifies a process
 * across pid reuse. Returns 0 when the process is gone. */
static unsigned long long proc_start_ticks(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  if (read_small(path, buf, sizeof buf) <= 0) return 0;
  char *p = strrchr(buf, ')'); /* comm may contain spaces and parentheses */
  if (!p) return 0;
  p++;
  /* after ')' come fields 3 (state) … 22 (starttime) */
  for (int field = 3; field < 22; field++) {
    while (*p == ' ') p++;
    while (*p && *p != ' ') p++;
  }
  return strtoull(p, NULL, 10);
}

static void read_boot_id(char *out, size_t cap) {
  char buf[128];
  if (read_small("/proc/sys/kernel/random/boot_id", buf, sizeof buf) <= 0) {
    out[0] = '\0';
    return;
  }
  size_t len = strcspn(buf, "\n");
  if (len >= cap) len = cap - 1;
  memcpy(out, buf, len);
  out[len] = '\0';
}

/* ---------- state file ---------- */

static size_t append(char *buf, size_t len, size_t cap, const char *fmt, ...) {
  if (len >= cap) return len;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + len, cap - len, fmt, ap);
  va_end(ap);
  if (n < 0) return len;
  return len + (size_t)n >= cap ? cap - 1 : len + (size_t)n;
}

static int state_tmp_fd = -1; /* state.tmp.<pid>, created ahead of time (while the command execs) */

static void prepare_state_tmp(void) {
  state_tmp_fd = open(path_state_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

/**
 * Writes `state` atomically: a reader sees the previous version or this one, never a torn file. No fsync: the
 * file must survive the engine dying, not the machine (a reboot ends the container anyway).
 * The FIRST state of an instance is published with link(2), which fails if a state exists: whoever records the
 * instance's outcome first (this shim, or a runtime that found no shim for it) wins, and the other backs off.
 * Returns 0, 1 when `first` and a state existed already, -1 on error (errno set).
 */
static int write_state(bool first) {
  char buf[3 * MSG_MAX + 1024];
  size_t len = 0, cap = sizeof buf;
  len = append(buf, len, cap, "version=1\nphase=%s\nshimPid=%d\nshimStartTicks=%llu\nbootId=%s\n", st.phase,
               (int)st.shim_pid, st.shim_ticks, st.boot_id);
  if (st.pid > 0) len = append(buf, len, cap, "pid=%d\npidStartTicks=%llu\n", (int)st.pid, st.pid_ticks);
  if (st.started_at > 0) len = append(buf, len, cap, "startedAt=%lld\n", st.started_at);
  if (st.finished_at > 0) len = append(buf, len, cap, "finishedAt=%lld\n", st.finished_at);
  if (st.exited) {
    len = append(buf, len, cap, "exitCode=%d\noomKilled=%d\n", st.exit_code, st.oom ? 1 : 0);
    if (st.signal > 0) len = append(buf, len, cap, "signal=%d\n", st.signal);
  }
  if (st.reason) len = append(buf, len, cap, "reason=%s\n", st.reason);
  if (st.message[0]) {
    len = append(buf, len, cap, "message=");
    for (const char *m = st.message; *m && len + 3 < cap; m++) {
      if (*m == '\\') len = append(buf, len, cap, "\\\\");
      else if (*m == '\n') len = append(buf, len, cap, "\\n");
      else if (*m == '\r') len = append(buf, len, cap, "\\r");
      else buf[len++] = *m;
    }
    buf[len] = '\0';
    len = append(buf, len, cap, "\n");
  }
  int fd = state_tmp_fd >= 0 ? state_tmp_fd : open(path_state_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  state_tmp_fd = -1;
  if (fd < 0) return -1;
  size_t off = 0;
  while (off < len) {
    ssize_t n = write(fd, buf + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return -1;
    }
    off += (size_t)n;
  }
  if (close(fd) < 0) return -1;
  if (!first) return rename(path_state_tmp, path_state);
  int r = link(path_state_tmp, path_state), err = errno;
  unlink(path_state_tmp);
  if (r == 0) return 0;
  if (err == EEXIST) return 1;
  errno = err;
  return -1;
}

static void write_state_or_die(void) {
  if (write_state(false) < 0) die("cannot write %s: %s", path_state, strerror(errno));
}

/** Publishes the instance's first state; false when another party recorded one first (see write_state). */
static bool write_first_state_or_die(void) {
  int r = write_state(true);
  if (r < 0) die("cannot write %s: %s", path_state, strerror(errno));
  return r == 0;
}

/* Set in a pause started by --spawner: its report is "<tag> <line>", so the engine can tell concurrent ones apart. */
static char report_tag[64];

/** One line to the runtime on fd 1, then fd 1 → /dev/null so the engine's pipe closes (and its death later
 * cannot hurt us: SIGPIPE is ignored anyway). */
static void report(const char *line) {
  char buf[128];
  snprintf(buf, sizeof buf, "%s%s%s", report_tag, report_tag[0] ? " " : "", line);
  reported = true;
  ssize_t n;
  do n = write(STDOUT_FILENO, buf, strlen(buf)); /* one write, under PIPE_BUF: lines never interleave */
  while (n < 0 && errno == EINTR);
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (devnull >= 0) {
    dup2(devnull, STDOUT_FILENO);
    close(devnull);
  }
}

/* ---------- the container's process tree ---------- */

/** Collects the descendants of `root` (not root itself) through /proc/<pid>/task/<tid>/children. */
static int collect_tree(pid_t root, pid_t *out, int cap) {
  int n = 0, next = -1; /* next = -1: expand root first, then out[0..] */
  char path[320], buf[4096];
  for (;;) {
    pid_t pid;
    if (next < 0) pid = root;
    else if (next < n) pid = out[next];
    else break;
    next++;
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d) continue;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      snprintf(path, sizeof path, "/proc/%d/task/%s/children", (int)pid, e->d_name);
      if (read_small(path, buf, sizeof buf) <= 0) continue;
      for (char *p = buf; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p) break;
        if (v > 0 && n < cap) out[n++] = (pid_t)v;
        p = end;
        while (*p == ' ' || *p == '\n') p++;
      }
    }
    closedir(d);
  }
  return n;
}

static pid_t child_pid;     /* the container's main process (and its process group id) */
static bool main_exited;    /* reaped */
static int main_status;

/** Reaps every child that ended (as a subreaper the shim also inherits the container's orphans). */
static void reap(void) {
  int status;
  pid_t r;
  while ((r = waitpid(-1, &status, WNOHANG)) > 0) {
    if (r == child_pid && !main_exited) {
      main_exited = true;
      main_status = status;
      st.finished_at = realtime_ms();
    }
  }
}

/** Signals the whole container: its process group (while the main process lives, so the group id cannot have been
 * reused) and every process in the shim's tree (catches those that left the group). Returns how many processes
 * were found in the tree. */
static int signal_container(int sig) {
  if (child_pid > 0 && !main_exited) kill(-child_pid, sig);
  static pid_t tree[MAX_TREE];
  int n = collect_tree(getpid(), tree, MAX_TREE);
  for (int i = 0; i < n; i++) kill(tree[i], sig);
  return n;
}

/** Sum of VmRSS over the container's tree, in bytes (shared pages are counted once per process, like `ps`). */
static long long tree_rss_bytes(void) {
  static pid_t tree[MAX_TREE];
  static long page;
  if (!page) page = sysconf(_SC_PAGESIZE);
  int n = collect_tree(getpid(), tree, MAX_TREE);
  long long total = 0;
  char path[64], buf[256];
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof path, "/proc/%d/statm", (int)tree[i]);
    if (read_small(path, buf, sizeof buf) <= 0) continue;
    unsigned long long size = 0, resident = 0;
    if (sscanf(buf, "%llu %llu", &size, &resident) == 2) total += (long long)resident * page;
  }
  return total;
}

/* ---------- CRI log ---------- */

struct stream {
  int fd;
  const char *name;
  size_t len;
  char buf[LOG_LINE_MAX];
};
static int log_fd = -1;

static void log_write(struct stream *s, char tag, const char *data, size_t n) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char hdr[96];
  size_t h = strftime(hdr, sizeof hdr, "%Y-%m-%dT%H:%M:%S", &tm);
  h += (size_t)snprintf(hdr + h, sizeof hdr - h, ".%09ldZ %s %c ", ts.tv_nsec, s->name, tag);
  struct iovec iov[3] = {{hdr, h}, {(void *)data, n}, {"\n", 1}};
  /* One writev on an O_APPEND file: stdout and stderr lines never interleave inside a line. A failed write
   * (disk full) is dropped: the container must keep running and its output keep draining, as in containerd. */
  ssize_t r;
  do r = writev(log_fd, iov, 3);
  while (r < 0 && errno == EINTR);
}

static void log_feed(struct stream *s, const char *p, size_t n) {
  while (n > 0) {
    const char *nl = memchr(p, '\n', n);
    size_t seg = nl ? (size_t)(nl - p) : n;
    size_t content = seg;
    if (nl && seg > 0 && p[seg - 1] == '\r') content--; /* "\r\n" ends a line too (containerd readLine) */
    size_t i = 0;
    while (i < content) {
      if (s->len == LOG_LINE_MAX) {
        log_write(s, 'P', s->buf, s->len);
        s->len = 0;
      }
      size_t take = content - i;
      if (take > LOG_LINE_MAX - s->len) take = LOG_LINE_MAX - s->len;
      memcpy(s->buf + s->len, p + i, take);
      s->len += take;
      i += take;
    }
    if (!nl) return;
    size_t len = s->len;
    if (seg == 0 && len > 0 && s->buf[len - 1] == '\r') len--; /* "\r" was the end of the previous read */
    log_write(s, 'F', s->buf, len);
    s->len = 0;
    p += seg + 1;
    n -= seg + 1;
  }
}

static void log_close_stream(struct stream *s) {
  if (s->len > 0) log_write(s, 'P', s->buf, s->len); /* no newline at EOF: a partial line (containerd) */
  s->len = 0;
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
}

/** Reads what is available; returns false at EOF / error. */
static bool log_pump(struct stream *s) {
  static char chunk[65536];
  for (;;) {
    ssize_t n = read(s->fd, chunk, sizeof chunk);
    if (n > 0) {
      log_feed(s, chunk, (size_t)n);
      if ((size_t)n < sizeof chunk) return true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
}

/* ---------- exec (in the forked child) ---------- */

/** strerror in Go's spelling ("no such file or directory"), as runc's messages have it. */
static void go_strerror(int err, char *out, size_t cap) {
  snprintf(out, cap, "%s", strerror(err));
  if (out[0]) out[0] = (char)tolower((unsigned char)out[0]);
}

/** Writes the reason an exec failed to errfd and exits with `code` (the shell's: 127 not found, 126 found but not
 * runnable — what `--enter` reports; in a container start the message is what counts). */
static void child_fail(int errfd, int code, const char *fmt, ...) {
  char msg[MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
  if (errfd == STDERR_FILENO && (size_t)n < sizeof msg - 1) msg[n++] = '\n'; /* --enter: a line for the user */
  ssize_t r;
  do r = write(errfd, msg, (size_t)n);
  while (r < 0 && errno == EINTR);
  _exit(code);
}

static const char *env_lookup(char **envp, const char *name) {
  size_t len = strlen(name);
  for (char **e = envp; *e; e++)
    if (strncmp(*e, name, len) == 0 && (*e)[len] == '=') return *e + len + 1;
  return NULL;
}

/** execve with a $PATH search in the CONTAINER's environment (exec.LookPath in runc). Returns only by
 * reporting the failure through errfd. */
static void child_exec(char **argv, char **envp, int errfd) {
  const char *file = argv[0];
  char err[256];
  if (file[0] == '\0') child_fail(errfd, 127, "exec: \"\": executable file not found in $PATH");
  if (strchr(file, '/')) {
    execve(file, argv, envp);
    int code = errno == ENOENT ? 127 : 126;
    go_strerror(errno, err, sizeof err);
    child_fail(errfd, code, "exec: \"%s\": %s", file, err);
  }
  const char *path = env_lookup(envp, "PATH");
  if (!path) path = DEFAULT_PATH;
  char candidate[PATH_MAX];
  const char *p = path;
  for (;;) {
    const char *colon = strchr(p, ':');
    size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
    if (dlen == 0) snprintf(candidate, sizeof candidate, "./%s", file); /* empty entry = current directory */
    else snprintf(candidate, sizeof candidate, "%.*s/%s", (int)dlen, p, file);
    execve(candidate, argv, envp);
    switch (errno) {
      case ENOENT:
      case ENOTDIR:
      case EACCES: /* not executable: LookPath keeps searching and reports "not found" */
      case ELOOP:
      case ENAMETOOLONG:
        break;
      default: /* found, but it cannot run (exec format error, E2BIG, ENOMEM …) */
        go_strerror(errno, err, sizeof err);
        child_fail(errfd, 126, "exec: \"%s\": %s", candidate, err);
    }
    if (!colon) break;
    p = colon + 1;
  }
  child_fail(errfd, 127, "exec: \"%s\": executable file not found in $PATH", file);
}

/* ---------- the pod sandbox: namespaces and the pod network ---------- */

/* The namespaces a pod's containers share, held by its pause process (CRI: network, IPC and UTS are per pod; the
 * pid namespace is per container unless shareProcessNamespace; the mount namespace is the container's own). */
static const struct {
  const char *name;
  int type;
} SANDBOX_NS[] = {{"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET}};
#define SANDBOX_NS_COUNT 3

/**
 * Joins the namespaces of the pod's pause process that differ from this process's own (a hostNetwork pod's pause
 * holds only an IPC namespace; the host's network and UTS namespaces are ours already). `spec` is
 * "<pid>:<starttime>": the namespace files are opened first and the pause process's identity checked after, so a
 * pid reused by another process in between cannot hand us its namespaces. Returns 0, or -1 with a message in `err`.
 */
static int join_sandbox(const char *spec, char *err, size_t cap) {
  char *end;
  long pid = strtol(spec, &end, 10);
  unsigned long long ticks = *end == ':' ? strtoull(end + 1, NULL, 10) : 0;
  if (pid <= 0 || ticks == 0) {
    snprintf(err, cap, "bad pod sandbox reference %s", spec);
    return -1;
  }
  int fds[SANDBOX_NS_COUNT];
  int opened = 0;
  for (; opened < SANDBOX_NS_COUNT; opened++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/ns/%s", pid, SANDBOX_NS[opened].name);
    fds[opened] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[opened] < 0) break;
  }
  int r = 0;
  if (opened < SANDBOX_NS_COUNT || proc_start_ticks((pid_t)pid) != ticks) {
    snprintf(err, cap, "the pod sandbox is gone (its pause process %ld ended)", pid);
    r = -1;
  }
  for (int i = 0; i < opened; i++) {
    if (r == 0) {
      char self[64];
      struct stat mine, theirs;
      snprintf(self, sizeof self, "/proc/self/ns/%s", SANDBOX_NS[i].name);
      bool same = stat(self, &mine) == 0 && fstat(fds[i], &theirs) == 0 && mine.st_ino == theirs.st_ino &&
                  mine.st_dev == theirs.st_dev;
      if (!same && setns(fds[i], SANDBOX_NS[i].type) < 0) {
        snprintf(err, cap, "cannot join the pod's %s namespace: %s", SANDBOX_NS[i].name, strerror(errno));
        r = -1;
      }
    }
    close(fds[i]);
  }
  return r;
}

/**
 * The container's volume mounts (kubelet: the CRI Mounts of CreateContainer, which runc turns into bind mounts in the
 * container's mount namespace): a mount namespace of its own, nothing propagating back to the host (`rprivate`,
 * mountPropagation None), then each volume bind-mounted at its mountPath, remounted read-only when asked (a bind
 * mount takes MS_RDONLY only on a remount). Returns 0, or -1 with a message in `err`.
 */
static int make_mounts(char *err, size_t cap) {
  if (opt_bind_count == 0) return 0;
  if (unshare(CLONE_NEWNS) < 0) {
    snprintf(err, cap, "cannot create the container's mount namespace: %s", strerror(errno));
    return -1;
  }
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
    snprintf(err, cap, "cannot make the container's mounts private: %s", strerror(errno));
    return -1;
  }
  for (int i = 0; i < opt_bind_count; i++) {
    const struct bind *b = &opt_binds[i];
    if (mount(b->src, b->dst, NULL, MS_BIND | MS_REC, NULL) < 0) {
      snprintf(err, cap, "cannot mount volume %s at %s: %s", b->src, b->dst, strerror(errno));
      return -1;
    }
    if (b->ro && mount(NULL, b->dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_REC, NULL) < 0) {
      snprintf(err, cap, "cannot make the volume at %s read-only: %s", b->dst, strerror(errno));
      return -1;
    }
  }
  return 0;
}

/** --enter --mnt <pid>:<starttime>: joins the mount namespace of the container's main process (its volumes). */
static int join_mounts(const char *spec, char *err, size_t cap) {
  char *end;
  long pid = strtol(spec, &end, 10);
  unsigned long long ticks = *end == ':' ? strtoull(end + 1, NULL, 10) : 0;
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/ns/mnt", pid);
  int fd = pid > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  if (fd < 0 || proc_start_ticks((pid_t)pid) != ticks) {
    if (fd >= 0) close(fd);
    snprintf(err, cap, "the container is gone (its process %ld ended)", pid);
    return -1;
  }
  int r = setns(fd, CLONE_NEWNS);
  if (r < 0) snprintf(err, cap, "cannot join the container's mount namespace: %s", strerror(errno));
  close(fd);
  return r;
}

/* rtnetlink, just enough for what `ip link add … type veth peer … netns …`, `ip addr add` and `ip route add` do
 * (iproute2 ip/iplink.c, ip/ipaddress.c, ip/iproute.c): one request, one acknowledgement. */

union nlmsg {
  struct nlmsghdr h;
  char raw[1024];
};

static struct rtattr *nl_put(union nlmsg *m, unsigned short type, const void *data, size_t len) {
  size_t at = NLMSG_ALIGN(m->h.nlmsg_len);
  if (at + RTA_SPACE(len) > sizeof m->raw) die("netlink request too large"); /* a bug, not an input */
  struct rtattr *a = (struct rtattr *)(m->raw + at);
  a->rta_type = type;
  a->rta_len = (unsigned short)RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(a), data, len);
  m->h.nlmsg_len = (uint32_t)(at + RTA_SPACE(len));
  return a;
}

static void nl_put_u32(union nlmsg *m, unsigned short type, uint32_t v) { nl_put(m, type, &v, sizeof v); }

static void nl_end(union nlmsg *m, struct rtattr *nest) {
  nest->rta_len = (unsigned short)(m->raw + m->h.nlmsg_len - (char *)nest);
}

/** Sends the request in the calling thread's network namespace; returns 0 or -errno from the kernel's answer. */
static int nl_talk(union nlmsg *m) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -errno;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  m->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  m->h.nlmsg_seq = 1;
  if (sendto(fd, m, m->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  union {
    struct nlmsghdr h;
    char raw[8192];
  } answer;
  for (;;) {
    ssize_t n = recv(fd, answer.raw, sizeof answer.raw, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      return -e;
    }
    unsigned int len = (unsigned int)n;
    for (struct nlmsghdr *r = &answer.h; NLMSG_OK(r, len); r = NLMSG_NEXT(r, len)) {
      if (r->nlmsg_type == NLMSG_ERROR) {
        int e = ((struct nlmsgerr *)NLMSG_DATA(r))->error;
        close(fd);
        return e;
      }
    }
  }
}

static void nl_link_request(union nlmsg *m, int flags, unsigned int ifi_flags) {
  memset(m, 0, sizeof *m);
  m->h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  m->h.nlmsg_type = RTM_NEWLINK;
  m->h.nlmsg_flags = (uint16_t)flags;
  struct ifinfomsg *ifi = NLMSG_DATA(&m->h);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_flags = ifi_flags;
  ifi->ifi_change = ifi_flags;
}

/**
 * The CNI bridge plugin's per-pod step (containernetworking/plugins plugins/main/bridge: setupVeth): a veth pair
 * whose host end `host` is attached to the bridge and up, and whose other end is created as `eth0` directly in the
 * pod's network namespace (IFLA_NET_NS_FD), so it never appears on the host under its pod-side name.
 *
 * eth0's MAC is derived from the pod's address, 0a:58 followed by its four bytes (the CNI plugins' hwaddr
 * GenerateHardwareAddr4 with PrivateMACPrefix 0a:58; Docker derives 02:42:<ip> the same way): an address that
 * passes from a deleted pod to a new one keeps its MAC, so the host's neighbour entry for it — still REACHABLE for
 * up to 45 s after the old pod went — stays right. With a random MAC the host keeps sending the new pod's packets
 * to the old pod's MAC until that entry ages out, and connections to the pod time out meanwhile.
 */
static int create_veth(const char *host, unsigned int bridge_index, int pod_netns_fd, unsigned int mtu,
                       struct in_addr pod_address) {
  union nlmsg m;
  nl_link_request(&m, NLM_F_CREATE | NLM_F_EXCL, IFF_UP);
  nl_put(&m, IFLA_IFNAME, host, strlen(host) + 1);
  if (mtu) nl_put_u32(&m, IFLA_MTU, mtu);
  nl_put_u32(&m, IFLA_MASTER, bridge_index);
  struct rtattr *linkinfo = nl_put(&m, IFLA_LINKINFO, NULL, 0);
  nl_put(&m, IFLA_INFO_KIND, "veth", 4);
  struct rtattr *data = nl_put(&m, IFLA_INFO_DATA, NULL, 0);
  struct ifinfomsg peer_ifi = {.ifi_family = AF_UNSPEC};
  struct rtattr *peer = nl_put(&m, VETH_INFO_PEER, &peer_ifi, sizeof peer_ifi);
  nl_put(&m, IFLA_IFNAME, "eth0", 5);
  unsigned char mac[6] = {0x0a, 0x58};
  memcpy(mac + 2, &pod_address.s_addr, 4); /* network byte order: the address's bytes as written */
  nl_put(&m, IFLA_ADDRESS, mac, sizeof mac);
  nl_put_u32(&m, IFLA_NET_NS_FD, (uint32_t)pod_netns_fd);
  if (mtu) nl_put_u32(&m, IFLA_MTU, mtu);
  nl_end(&m, peer);
  nl_end(&m, data);
  nl_end(&m, linkinfo);
  return nl_talk(&m);
}

/** The bridge (CNI bridge plugin ensureBridge), up, with a fixed MAC: a bridge without one takes the lowest MAC of
 * its ports, which changes as pods come and go and makes the pods' ARP entries for the gateway stale. */
static int create_bridge(const char *name, unsigned int mtu) {
  union nlmsg m;
  nl_link_request(&m, NLM_F_CREATE | NLM_F_EXCL, IFF_UP);
  nl_put(&m, IFLA_IFNAME, name, strlen(name) + 1);
  if (mtu) nl_put_u32(&m, IFLA_MTU, mtu);
  unsigned char mac[6] = {0x02, 0x70, 0x66, 0, 0, 0}; /* locally administered, derived from the name */
  uint32_t h = 2166136261u;
  for (const char *c = name; *c; c++) h = (h ^ (unsigned char)*c) * 16777619u;
  mac[3] = (unsigned char)(h >> 16);
  mac[4] = (unsigned char)(h >> 8);
  mac[5] = (unsigned char)h;
  nl_put(&m, IFLA_ADDRESS, mac, sizeof mac);
  struct rtattr *linkinfo = nl_put(&m, IFLA_LINKINFO, NULL, 0);
  nl_put(&m, IFLA_INFO_KIND, "bridge", 6);
  nl_end(&m, linkinfo);
  return nl_talk(&m);
}

/** `ip link del <name>`; a link that does not exist is fine. */
static int delete_link(const char *name) {
  union nlmsg m;
  nl_link_request(&m, 0, 0);
  m.h.nlmsg_type = RTM_DELLINK;
  nl_put(&m, IFLA_IFNAME, name, strlen(name) + 1);
  int r = nl_talk(&m);
  return r == -ENODEV ? 0 : r;
}

static int set_link_up(unsigned int index) {
  union nlmsg m;
  nl_link_request(&m, 0, IFF_UP);
  ((struct ifinfomsg *)NLMSG_DATA(&m.h))->ifi_index = (int)index;
  return nl_talk(&m);
}

/** `ip addr add <addr>/<prefix> brd + dev <index>`; an address already there is fine. */
static int add_address(unsigned int index, struct in_addr addr, int prefix) {
  union nlmsg m;
  memset(&m, 0, sizeof m);
  m.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
  m.h.nlmsg_type = RTM_NEWADDR;
  m.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  struct ifaddrmsg *ifa = NLMSG_DATA(&m.h);
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = (unsigned char)prefix;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = index;
  nl_put(&m, IFA_LOCAL, &addr, sizeof addr);
  nl_put(&m, IFA_ADDRESS, &addr, sizeof addr);
  struct in_addr brd = addr;
  if (prefix < 31) brd.s_addr |= htonl(prefix == 0 ? 0xffffffffu : (1u << (32 - prefix)) - 1);
  nl_put(&m, IFA_BROADCAST, &brd, sizeof brd);
  int r = nl_talk(&m);
  return r == -EEXIST ? 0 : r;
}

/** `ip route add default via <gateway> dev <index>`. */
static int add_default_route(unsigned int index, struct in_addr gateway) {
  union nlmsg m;
  memset(&m, 0, sizeof m);
  m.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
  m.h.nlmsg_type = RTM_NEWROUTE;
  m.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  struct rtmsg *rt = NLMSG_DATA(&m.h);
  rt->rtm_family = AF_INET;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  nl_put(&m, RTA_GATEWAY, &gateway, sizeof gateway);
  nl_put_u32(&m, RTA_OIF, index);
  return nl_talk(&m);
}

/** "10.77.0.5/16" → address and prefix length. */
static bool parse_cidr(const char *text, struct in_addr *addr, int *prefix) {
  char buf[64];
  snprintf(buf, sizeof buf, "%s", text);
  char *slash = strchr(buf, '/');
  if (!slash) return false;
  *slash = '\0';
  char *end;
  long p = strtol(slash + 1, &end, 10);
  if (*end || p < 0 || p > 32) return false;
  *prefix = (int)p;
  return inet_pton(AF_INET, buf, addr) == 1;
}

/* ---------- setup ---------- */

static void usage(void) {
  fputs("usage: podflow-shim --dir <instanceDir> --log <logPath> [--cwd <dir>] [--memory <bytes>] [--stdin <fifo>]\n"
        "                    [--sandbox <pid>:<starttime>] [--bind|--bind-ro <src> <dst>]... -- <argv...>\n"
        "       podflow-shim [--report-tag <tag>] --pause --dir <sandboxDir> [--unshare ipc,uts,net]\n"
        "                    [--hostname <name>] [--bridge <name>]\n"
        "                    [--veth <hostName> --address <ip>/<prefix> --gateway <ip> [--mtu <n>]]\n"
        "       podflow-shim --enter <pid>:<starttime>|- [--mnt <pid>:<starttime>] [--cwd <dir>] -- <argv...>\n"
        "       podflow-shim --bridge-up <name> --address <ip>/<prefix> [--mtu <n>]\n"
        "       podflow-shim --bridge-down <name>\n"
        "       podflow-shim --probe-namespaces\n"
        "       podflow-shim --spawner\n",
        stderr);
  if (report_tag[0]) report("failed\n"); /* a pause the spawner started: its engine waits for an outcome */
  exit(2);
}

static int parse_unshare(const char *list) {
  int flags = 0;
  char buf[64];
  snprintf(buf, sizeof buf, "%s", list);
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    int found = 0;
    for (int i = 0; i < SANDBOX_NS_COUNT; i++)
      if (strcmp(t, SANDBOX_NS[i].name) == 0) found = SANDBOX_NS[i].type;
    if (!found) usage();
    flags |= found;
  }
  return flags;
}

static void parse_args(int argc, char **argv) {
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (strcmp(a, "--pause") == 0) {
      opt_mode = MODE_PAUSE;
      continue;
    }
    if (strcmp(a, "--probe-namespaces") == 0) {
      opt_mode = MODE_PROBE;
      continue;
    }
    if (strcmp(a, "--spawner") == 0) {
      opt_mode = MODE_SPAWNER;
      continue;
    }
    if (i + 1 >= argc) usage();
    if (strcmp(a, "--bind") == 0 || strcmp(a, "--bind-ro") == 0) {
      if (i + 2 >= argc || opt_bind_count >= MAX_BINDS) usage();
      opt_binds[opt_bind_count++] = (struct bind){argv[i + 1], argv[i + 2], a[6] == '-'};
      i += 2;
      continue;
    }
    if (strcmp(a, "--dir") == 0) opt_dir = argv[++i];
    else if (strcmp(a, "--log") == 0) opt_log = argv[++i];
    else if (strcmp(a, "--cwd") == 0) opt_cwd = argv[++i];
    else if (strcmp(a, "--stdin") == 0) opt_stdin = argv[++i];
    else if (strcmp(a, "--memory") == 0) opt_memory = strtoll(argv[++i], NULL, 10);
    else if (strcmp(a, "--sandbox") == 0) opt_sandbox = argv[++i];
    else if (strcmp(a, "--mnt") == 0) opt_mnt = argv[++i];
    else if (strcmp(a, "--report-tag") == 0) snprintf(report_tag, sizeof report_tag, "%s", argv[++i]);
    else if (strcmp(a, "--enter") == 0) {
      opt_mode = MODE_ENTER;
      opt_sandbox = argv[++i];
    } else if (strcmp(a, "--bridge-up") == 0) {
      opt_mode = MODE_BRIDGE;
      opt_bridge = argv[++i];
    } else if (strcmp(a, "--bridge-down") == 0) {
      opt_mode = MODE_BRIDGE_DOWN;
      opt_bridge = argv[++i];
    } else if (strcmp(a, "--unshare") == 0) opt_unshare = parse_unshare(argv[++i]);
    else if (strcmp(a, "--hostname") == 0) opt_hostname = argv[++i];
    else if (strcmp(a, "--veth") == 0) opt_veth = argv[++i];
    else if (strcmp(a, "--bridge") == 0) opt_bridge = argv[++i];
    else if (strcmp(a, "--address") == 0) opt_address = argv[++i];
    else if (strcmp(a, "--gateway") == 0) opt_gateway = argv[++i];
    else if (strcmp(a, "--mtu") == 0) opt_mtu = (unsigned int)strtoul(argv[++i], NULL, 10);
    else usage();
  }
  bool has_argv = i < argc;
  switch (opt_mode) {
    case MODE_CONTAINER:
      if (!opt_dir || !opt_log || !has_argv) usage();
      break;
    case MODE_PAUSE:
      if (!opt_dir || has_argv) usage();
      if (opt_veth && (!opt_bridge || !opt_address || !opt_gateway || !(opt_unshare & CLONE_NEWNET))) usage();
      break;
    case MODE_ENTER:
      if (!has_argv) usage();
      break;
    case MODE_BRIDGE:
      if (!opt_address) usage();
      break;
    case MODE_BRIDGE_DOWN:
    case MODE_PROBE:
    case MODE_SPAWNER:
      break;
  }
  opt_argv = argv + i;
  if (opt_dir) {
    snprintf(path_state, sizeof path_state, "%s/state", opt_dir);
    snprintf(path_state_tmp, sizeof path_state_tmp, "%s/state.tmp.%d", opt_dir, (int)getpid());
    snprintf(path_stop, sizeof path_stop, "%s/stop", opt_dir);
    snprintf(path_shim_log, sizeof path_shim_log, "%s/shim.log", opt_dir);
  }
}

/** Whatever the spawner leaked beyond stdio must not reach the container. */
static void close_inherited_fds(void) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
#endif
  DIR *d = opendir("/proc/self/fd");
  if (!d) return;
  int keep = dirfd(d);
  int fds[1024], n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < 1024) {
    int fd = atoi(e->d_name);
    if (fd > 2 && fd != keep) fds[n++] = fd;
  }
  closedir(d);
  for (int i = 0; i < n; i++) close(fds[i]);
}

static double read_stop_grace(void) {
  char buf[64];
  if (read_small(path_stop, buf, sizeof buf) <= 0) return DEFAULT_STOP_GRACE_S;
  char *end;
  double g = strtod(buf, &end);
  return end == buf ? DEFAULT_STOP_GRACE_S : g;
}

/* ---------- the other modes ---------- */

/** --enter: kubectl exec, exec probes and exec hooks run in the pod's namespaces, as CRI ExecSync runs a command
 * in the container (runc exec joins the container's namespaces). The environment and working directory are the
 * container's (the runtime spawns this with them); failures use the shell's exit codes. */
static int enter_main(void) {
  char err[512];
  if (strcmp(opt_sandbox, "-") != 0 && join_sandbox(opt_sandbox, err, sizeof err) < 0) {
    fprintf(stderr, "podflow-shim: %s\n", err);
    return 126;
  }
  if (opt_mnt && join_mounts(opt_mnt, err, sizeof err) < 0) {
    fprintf(stderr, "podflow-shim: %s\n", err);
    return 126;
  }
  if (opt_cwd && opt_cwd[0] && chdir(opt_cwd) < 0) {
    go_strerror(errno, err, sizeof err);
    fprintf(stderr, "chdir to cwd (\"%s\") set in the container spec failed: %s\n", opt_cwd, err);
    return 126;
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  child_exec(opt_argv, environ, STDERR_FILENO);
  return 127; /* not reached */
}

/** --bridge-up: the pod network's bridge with the gateway address, up (idempotent). */
static int bridge_main(void) {
  struct in_addr addr;
  int prefix;
  if (!parse_cidr(opt_address, &addr, &prefix)) usage();
  int r = create_bridge(opt_bridge, opt_mtu);
  if (r < 0 && r != -EEXIST) {
    fprintf(stderr, "podflow-shim: cannot create bridge %s: %s\n", opt_bridge, strerror(-r));
    return 1;
  }
  unsigned int index = if_nametoindex(opt_bridge);
  if (!index) {
    fprintf(stderr, "podflow-shim: bridge %s: %s\n", opt_bridge, strerror(errno));
    return 1;
  }
  if ((r = set_link_up(index)) < 0 || (r = add_address(index, addr, prefix)) < 0) {
    fprintf(stderr, "podflow-shim: cannot configure bridge %s: %s\n", opt_bridge, strerror(-r));
    return 1;
  }
  return 0;
}

/** --bridge-down: removes the bridge (not something the engine does; tests and a host's cleanup). */
static int bridge_down_main(void) {
  int r = delete_link(opt_bridge);
  if (r < 0) {
    fprintf(stderr, "podflow-shim: cannot delete %s: %s\n", opt_bridge, strerror(-r));
    return 1;
  }
  return 0;
}

/** --probe-namespaces: can this process create the namespaces a pod sandbox needs? */
static int probe_main(void) {
  if (unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) < 0) {
    fprintf(stderr, "unshare(CLONE_NEWNET|CLONE_NEWIPC|CLONE_NEWUTS): %s\n", strerror(errno));
    return 1;
  }
  return 0;
}

/** A pause that could not set the sandbox up records why (startFailed) and reports `line`. */
static int pause_fail(const char *line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(st.message, sizeof st.message, fmt, ap);
  va_end(ap);
  st.phase = "startFailed";
  st.reason = "RunContainerError";
  st.finished_at = realtime_ms();
  report(write_first_state_or_die() ? line : "already\n");
  return 0;
}

/**
 * --pause: the pod sandbox, what the pause container is to a kubelet (kubernetes build/pause/linux/pause.c): it
 * creates the pod's namespaces and holds them for as long as the pod exists, while its containers come and go;
 * SIGTERM or SIGINT ends it, SIGCHLD reaps. Before it records `running` it has set up what the sandbox needs:
 * the hostname (the kubelet's sandbox config carries it; the runtime sets it in the new UTS namespace), loopback up,
 * and, with --veth, the pod's interface: the veth pair on the bridge, eth0 with the pod's address and a default
 * route through the bridge (what the CNI bridge plugin does for a sandbox's network namespace). A veth name that
 * exists means its address is taken by another pod on this host: reported as "conflict", so the runtime picks
 * another address. If any step fails the pause exits, and its namespaces — and the veth pair in them — go with it.
 */
static int pause_main(const sigset_t *handled) {
  if (chdir("/") < 0) { /* hold nothing of the data directory; harmless if it fails */
  }
  int sig_fd = signalfd(-1, handled, SFD_CLOEXEC);
  if (sig_fd < 0) die("signalfd: %s", strerror(errno));
  st.shim_pid = getpid();
  st.shim_ticks = proc_start_ticks(st.shim_pid);
  read_boot_id(st.boot_id, sizeof st.boot_id);

  int host_net = -1;
  if (opt_veth && (host_net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
    return pause_fail("failed\n", "cannot open the host's network namespace: %s", strerror(errno));
  if (opt_unshare && unshare(opt_unshare) < 0)
    return pause_fail("failed\n", "cannot create the pod's namespaces: unshare: %s", strerror(errno));
  if (opt_hostname && (opt_unshare & CLONE_NEWUTS) && sethostname(opt_hostname, strlen(opt_hostname)) < 0)
    return pause_fail("failed\n", "cannot set the pod's hostname %s: %s", opt_hostname, strerror(errno));
  if (opt_unshare & CLONE_NEWNET) {
    unsigned int lo = if_nametoindex("lo");
    int r = lo ? set_link_up(lo) : -ENODEV;
    if (r < 0) return pause_fail("failed\n", "cannot bring the pod's loopback up: %s", strerror(-r));
  }
  if (opt_veth) {
    struct in_addr addr, gateway;
    int prefix;
    if (!parse_cidr(opt_address, &addr, &prefix) || inet_pton(AF_INET, opt_gateway, &gateway) != 1) usage();
    int pod_net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (pod_net < 0 || setns(host_net, CLONE_NEWNET) < 0)
      return pause_fail("failed\n", "cannot enter the host's network namespace: %s", strerror(errno));
    unsigned int bridge = if_nametoindex(opt_bridge);
    int r = bridge ? create_veth(opt_veth, bridge, pod_net, opt_mtu, addr) : -ENODEV;
    if (setns(pod_net, CLONE_NEWNET) < 0)
      return pause_fail("failed\n", "cannot return to the pod's network namespace: %s", strerror(errno));
    close(pod_net);
    close(host_net);
    if (!bridge) return pause_fail("failed\n", "bridge %s does not exist", opt_bridge);
    if (r == -EEXIST)
      return pause_fail("conflict\n", "veth %s exists: address %s is in use", opt_veth, opt_address);
    if (r < 0)
      return pause_fail("failed\n", "cannot create veth %s on bridge %s: %s", opt_veth, opt_bridge, strerror(-r));
    unsigned int eth0 = if_nametoindex("eth0");
    r = eth0 ? 0 : -ENODEV;
    if (r == 0) r = add_address(eth0, addr, prefix);
    if (r == 0) r = set_link_up(eth0);
    if (r == 0) r = add_default_route(eth0, gateway);
    if (r < 0) return pause_fail("failed\n", "cannot configure eth0 in the pod: %s", strerror(-r));
  }
  st.phase = "running";
  st.started_at = realtime_ms();
  if (!write_first_state_or_die()) {
    report("already\n");
    return 0;
  }
  report("started\n");

  for (;;) {
    struct signalfd_siginfo si;
    ssize_t n = read(sig_fd, &si, sizeof si);
    if (n < 0 && errno == EINTR) continue;
    if (n != (ssize_t)sizeof si) die("signalfd read: %s", strerror(errno));
    if (si.ssi_signo == SIGCHLD) {
      while (waitpid(-1, NULL, WNOHANG) > 0) {
      }
      continue;
    }
    break; /* SIGTERM, SIGINT: pause.c's sigdown */
  }
  st.phase = "exited";
  st.exited = true;
  st.exit_code = 0;
  st.finished_at = realtime_ms();
  if (write_state(false) < 0) { /* the runtime removes the sandbox directory next; nothing to add */
  }
  return 0;
}

static int spawner_main(void);

int main(int argc, char **argv) {
  /* Signals are handled synchronously through a signalfd. Blocked first thing: a stop (SIGTERM) that arrives
   * while the shim is still starting stays pending instead of killing it, and no SIGCHLD is lost. */
  sigset_t handled;
  sigemptyset(&handled);
  sigaddset(&handled, SIGCHLD);
  sigaddset(&handled, SIGTERM);
  sigaddset(&handled, SIGINT);
  sigprocmask(SIG_BLOCK, &handled, NULL);
  close_inherited_fds();
  parse_args(argc, argv);
  if (opt_mode == MODE_ENTER) return enter_main();
  if (opt_mode == MODE_BRIDGE) return bridge_main();
  if (opt_mode == MODE_BRIDGE_DOWN) return bridge_down_main();
  if (opt_mode == MODE_PROBE) return probe_main();
  if (opt_mode == MODE_SPAWNER) return spawner_main();
  setsid(); /* EPERM when the spawner already made us a session leader (Node's detached: true) */
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);

  /* One shim per instance, ever: the lock on the instance directory excludes a concurrent shim (and is released
   * by the kernel however the shim ends), the state file a later one. */
  int lock_fd = open(opt_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock_fd < 0) die("cannot open %s: %s", opt_dir, strerror(errno));
  if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
    if (errno == EWOULDBLOCK) {
      report("already\n");
      return 0;
    }
    die("cannot lock %s: %s", opt_dir, strerror(errno));
  }
  if (access(path_state, F_OK) == 0) {
    report("already\n");
    return 0;
  }
  if (opt_mode == MODE_PAUSE) return pause_main(&handled);

  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) die("prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));

  char **envp = environ;
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) die("cannot open /dev/null: %s", strerror(errno));
  /* --stdin: the read end becomes the container's stdin; the shim keeps a write end (never written) so that the
   * pipe has a writer between attaches and reading it blocks instead of seeing EOF. Opened before the fork, on the
   * host's path, whatever namespaces the child joins. */
  int stdin_fd = devnull;
  if (opt_stdin) {
    if (mkfifo(opt_stdin, 0600) < 0 && errno != EEXIST) die("mkfifo %s: %s", opt_stdin, strerror(errno));
    int keep = open(opt_stdin, O_RDWR | O_CLOEXEC);
    if (keep < 0) die("cannot open %s: %s", opt_stdin, strerror(errno));
    stdin_fd = open(opt_stdin, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (stdin_fd < 0) die("cannot open %s: %s", opt_stdin, strerror(errno));
    fcntl(stdin_fd, F_SETFL, 0); /* the container reads it blocking */
  }
  int out_pipe[2], err_pipe[2], exec_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0 || pipe2(exec_pipe, O_CLOEXEC) < 0)
    die("pipe2: %s", strerror(errno));
  int sig_fd = signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sig_fd < 0) die("signalfd: %s", strerror(errno));

  pid_t shim = getpid();
  pid_t pid = fork();
  if (pid < 0) die("fork: %s", strerror(errno));
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL); /* ignored signals would survive exec */
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != shim) _exit(127); /* the shim died before prctl */
    if (opt_sandbox) {
      char err[512];
      if (join_sandbox(opt_sandbox, err, sizeof err) < 0) child_fail(exec_pipe[1], 126, "%s", err);
    }
    if (opt_bind_count > 0) {
      char err[512];
      if (make_mounts(err, sizeof err) < 0) child_fail(exec_pipe[1], 126, "%s", err);
    }
    if (dup2(stdin_fd, STDIN_FILENO) < 0 || dup2(out_pipe[1], STDOUT_FILENO) < 0 ||
        dup2(err_pipe[1], STDERR_FILENO) < 0)
      child_fail(exec_pipe[1], 126, "dup2: %s", strerror(errno));
    if (opt_cwd && opt_cwd[0] && chdir(opt_cwd) < 0) {
      char err[256];
      go_strerror(errno, err, sizeof err);
      child_fail(exec_pipe[1], 126, "chdir to cwd (\"%s\") set in the container spec failed: %s", opt_cwd, err);
    }
    child_exec(opt_argv, envp, exec_pipe[1]);
  }
  child_pid = pid;
  setpgid(pid, pid); /* also here: no race with a signal sent to the group right after fork */
  if (stdin_fd != devnull) close(stdin_fd);
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(exec_pipe[1]);

  /* While the child execs (in parallel on another CPU), create what the shim needs afterwards: file creation is
   * the slowest part of a start on a busy ext4 journal, so none of it sits on the critical path. */
  log_fd = open(opt_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int log_errno = errno;
  prepare_state_tmp();
  st.shim_pid = shim;
  st.shim_ticks = proc_start_ticks(shim);
  read_boot_id(st.boot_id, sizeof st.boot_id);
  st.pid = pid;
  st.pid_ticks = proc_start_ticks(pid);

  /* EOF on the close-on-exec pipe = execve succeeded; data = the reason it did not. */
  char msg[MSG_MAX];
  size_t mlen = 0;
  for (;;) {
    ssize_t n = read(exec_pipe[0], msg + mlen, sizeof msg - 1 - mlen);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || mlen + (size_t)n >= sizeof msg - 1) {
      if (n > 0) mlen += (size_t)n;
      break;
    }
    mlen += (size_t)n;
  }
  msg[mlen] = '\0';
  close(exec_pipe[0]);
  if (mlen == 0 && log_fd < 0) {
    /* Exec'd, but there is nowhere to write its output: the container must not run (containerd fails the
     * start the same way). It was running for microseconds only. */
    char err[256];
    go_strerror(log_errno, err, sizeof err);
    snprintf(msg, sizeof msg, "open log file %s: %s", opt_log, err);
    mlen = strlen(msg);
    kill(-pid, SIGKILL);
  }
  if (mlen > 0) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    st.phase = "startFailed";
    st.reason = "RunContainerError";
    st.pid = 0;
    snprintf(st.message, sizeof st.message, "%s", msg);
    st.finished_at = realtime_ms();
    report(write_first_state_or_die() ? "failed\n" : "already\n");
    return 0;
  }
  st.started_at = realtime_ms();
  st.phase = "running";
  if (!write_first_state_or_die()) {
    /* A runtime found this instance without a shim and recorded an outcome first: that verdict stands. */
    kill(-pid, SIGKILL);
    report("already\n");
    return 0;
  }
  report("started\n");

  struct stream out = {.fd = out_pipe[0], .name = "stdout"}, err = {.fd = err_pipe[0], .name = "stderr"};
  fcntl(out.fd, F_SETFL, O_NONBLOCK);
  fcntl(err.fd, F_SETFL, O_NONBLOCK);

  bool stopping = false;
  long long kill_at = -1;                        /* monotonic ms: SIGKILL when the stop grace runs out */
  long long next_mem = opt_memory > 0 ? mono_ms() + MEM_POLL_MS : -1;
  long long drain_until = -1;                    /* set when the main process exited */
  bool tree_empty = false;

  for (;;) {
    long long now = mono_ms();
    if (main_exited && out.fd < 0 && err.fd < 0 && tree_empty) break;
    if (main_exited && now >= drain_until) break; /* something unkillable holds a pipe: give up waiting */

    int timeout = -1;
    long long deadlines[3] = {main_exited ? -1 : kill_at, main_exited ? -1 : next_mem,
                              main_exited ? (tree_empty ? drain_until : now + 20) : -1};
    for (int i = 0; i < 3; i++) {
      if (deadlines[i] < 0) continue;
      long long d = deadlines[i] - now;
      if (d < 0) d = 0;
      if (timeout < 0 || d < timeout) timeout = (int)d;
    }
    struct pollfd fds[3] = {{sig_fd, POLLIN, 0}, {out.fd, POLLIN, 0}, {err.fd, POLLIN, 0}};
    int pr = poll(fds, 3, timeout);
    if (pr < 0 && errno != EINTR) die("poll: %s", strerror(errno));
    now = mono_ms();

    if (pr > 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) && !log_pump(&out)) log_close_stream(&out);
    if (pr > 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) && !log_pump(&err)) log_close_stream(&err);

    if (pr > 0 && (fds[0].revents & POLLIN)) {
      struct signalfd_siginfo si;
      bool stop_request = false;
      while (read(sig_fd, &si, sizeof si) == (ssize_t)sizeof si)
        if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) stop_request = true;
      reap();
      if (stop_request && !main_exited) {
        double grace = read_stop_grace();
        long long deadline = now + (long long)(grace * 1000.0);
        if (grace <= 0) {
          signal_container(SIGKILL);
          kill_at = -1;
        } else if (!stopping) {
          kill(-child_pid, SIGTERM);
          kill_at = deadline;
        } else if (kill_at < 0 || deadline < kill_at) {
          kill_at = deadline; /* a second stop may shorten the grace, never extend it */
        }
        stopping = true;
      }
    }

    if (!main_exited && kill_at >= 0 && now >= kill_at) {
      signal_container(SIGKILL);
      kill_at = -1;
    }
    if (!main_exited && next_mem >= 0 && now >= next_mem) {
      if (tree_rss_bytes() > opt_memory) {
        st.oom = true;
        signal_container(SIGKILL);
        next_mem = -1;
      } else {
        next_mem = now + MEM_POLL_MS;
      }
    }
    if (main_exited) {
      if (drain_until < 0) drain_until = now + DRAIN_TIMEOUT_MS;
      /* The container ends with its main process: kill what is left so the pipes close. */
      reap();
      tree_empty = signal_container(SIGKILL) == 0;
    }
  }
  if (out.fd >= 0) {
    log_pump(&out);
    log_close_stream(&out);
  }
  if (err.fd >= 0) {
    log_pump(&err);
    log_close_stream(&err);
  }

  st.exited = true;
  if (WIFEXITED(main_status)) {
    st.exit_code = WEXITSTATUS(main_status);
  } else if (WIFSIGNALED(main_status)) {
    st.signal = WTERMSIG(main_status);
    st.exit_code = 128 + st.signal;
  }
  st.phase = "exited";
  write_state_or_die();
  close(lock_fd);
  return 0;
}

/**
 * --spawner: starts pause processes on request, so that a sandbox costs a fork of this small static process rather
 * than a spawn from the engine (libuv forks the whole Node.js process: several milliseconds, the larger part of a
 * sandbox's cost). Requests on stdin, one per pause, "<tag>\0<arg>\0…<arg>\0\0" (the arguments of --pause); each
 * pause reports "<tag> started|failed|conflict|already\n" on this process's stdout, in one write (--report-tag). A
 * pause is forked twice, so its parent is init, as for a detached spawn: it outlives this process, which ends at EOF
 * on stdin (its engine is gone).
 */
static int spawner_main(void) {
  static char buf[65536];
  size_t len = 0;
  for (;;) {
    size_t end = 0;
    for (size_t i = 0; i + 1 < len; i++) {
      if (buf[i] == '\0' && buf[i + 1] == '\0') {
        end = i + 2;
        break;
      }
    }
    if (end == 0) {
      if (len == sizeof buf) return 1; /* a request that large is not one of ours */
      ssize_t n = read(STDIN_FILENO, buf + len, sizeof buf - len);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return 0;
      len += (size_t)n;
      continue;
    }
    char *tag = buf;
    char *args[256];
    int count = 0;
    args[count++] = "podflow-shim";
    args[count++] = "--report-tag";
    args[count++] = tag;
    args[count++] = "--pause";
    for (char *p = tag + strlen(tag) + 1; p < buf + end - 1 && count < 255; p += strlen(p) + 1) args[count++] = p;
    args[count] = NULL;
    pid_t child = fork();
    if (child == 0) {
      if (fork() != 0) _exit(0);
      /* The pause execs this binary again rather than running in the fork: `ps` and /proc/<pid>/cmdline then show
       * it with its own arguments (tools and tests find a bridge's pauses by them), at the cost of one exec of a
       * small static binary. */
      int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (devnull >= 0) dup2(devnull, STDIN_FILENO);
      execv("/proc/self/exe", args);
      char line[128];
      snprintf(line, sizeof line, "%s failed\n", tag);
      ssize_t n;
      do n = write(STDOUT_FILENO, line, strlen(line));
      while (n < 0 && errno == EINTR);
      _exit(127);
    }
    if (child > 0) {
      while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {
      }
    } else { /* fork failed: the request's outcome all the same */
      char line[128];
      snprintf(line, sizeof line, "%s failed\n", tag);
      ssize_t n;
      do n = write(STDOUT_FILENO, line, strlen(line));
      while (n < 0 && errno == EINTR);
    }
    memmove(buf, buf + end, len - end);
    len -= end;
  }
}
