// EmptyConfigSource: a namespace without ConfigMaps or Secrets — what the engine sees where none are served. Every
// reference is missing, so a container that needs one waits with CreateContainerConfigError.
import type { ConfigSource } from '../../ports/config-source.ts';

export class EmptyConfigSource implements ConfigSource {
  async configMap(): Promise<undefined> {
    return undefined;
  }

  async secret(): Promise<undefined> {
    return undefined;
  }
}
