// Where static pod manifests come from (core/static-pods.ts): the kubelet's file source (pkg/kubelet/config/file.go)
// behind an interface, so that the engine's static pod controller reads files without doing I/O itself.

/** One manifest file as read. */
export interface StaticPodFile {
  /** Its path, as the config hash and every message name it. */
  path: string;
  text: string;
}

export interface StaticPodSource {
  /**
   * Every manifest of the directory (core isStaticPodManifestName), in path order, and the files that could not be
   * read. A directory that does not exist reads as empty, as the kubelet's source does ("path does not exist,
   * ignoring"): its pods go, and come back when it does. Rejects only when the directory exists but cannot be listed.
   */
  read(): Promise<{ files: StaticPodFile[]; unreadable: { path: string; message: string }[] }>;
  /**
   * Calls `onChange` after something in the directory may have changed (the consumer reads it again; several changes
   * may make one call or many). Best effort: a periodic read covers what a notification misses. Returns the stop
   * function.
   */
  watch(onChange: () => void): () => void;
}
