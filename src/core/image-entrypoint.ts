// What a container runs when the runtime has no image to read an ENTRYPOINT from (the process runtime). A container's
// `command` replaces the image's ENTRYPOINT and `args` its CMD (pkg/kubelet/kuberuntime/kuberuntime_container.go
// generateContainerConfig → container.ExpandContainerCommandAndArgs; the runtime then joins them as Docker does:
// moby daemon/create.go, an image without ENTRYPOINT runs CMD alone). So for an image known to have no ENTRYPOINT —
// the base images `kubectl run IMAGE -- ARGS…` is typed with — `args` alone is the whole command line, exactly as on
// a node. For any other image without `command` the entry point is unknown here and nothing can be run.

/**
 * Official images (Docker Hub library) whose ENTRYPOINT is empty: busybox, the distributions, and the language
 * images whose CMD is their interpreter.
 */
const NO_ENTRYPOINT = new Set([
  'busybox',
  'alpine',
  'debian',
  'ubuntu',
  'fedora',
  'centos',
  'rockylinux',
  'amazonlinux',
  'archlinux',
  'python',
  'ruby',
  'perl',
  'golang',
]);

/** The repository of an image reference without registry, tag or digest: `docker.io/library/busybox:1.36` → `busybox`. */
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@')[0]!;
  const parts = withoutDigest.split('/');
  const last = parts[parts.length - 1]!;
  const name = last.split(':')[0]!;
  // docker.io/library/NAME and NAME are the same image; any other path is not a library image.
  const path = parts.slice(0, -1);
  if (path[0] !== undefined && (path[0].includes('.') || path[0].includes(':') || path[0] === 'localhost'))
    path.shift();
  return path.length === 0 || (path.length === 1 && path[0] === 'library') ? name : [...path, name].join('/');
}

/**
 * The argv a process runtime runs: `command` + `args`; `args` alone for an image without an ENTRYPOINT; empty when
 * the image's entry point would be needed (the runtime then reports CreateContainerConfigError).
 */
export function processArgv(
  image: string | undefined,
  command: readonly string[] | undefined,
  args: readonly string[],
): string[] {
  if (command !== undefined) return [...command, ...args];
  if (image !== undefined && args.length > 0 && NO_ENTRYPOINT.has(imageRepository(image))) return [...args];
  return [];
}
