// MemoryConfigSource: ConfigMaps and Secrets held in process memory, for the local engine and tests. Values are
// copied in and out, so nothing a caller holds aliases what is stored.
import type { ConfigSource } from '../../ports/config-source.ts';

type Data = Readonly<Record<string, string>>;

export class MemoryConfigSource implements ConfigSource {
  readonly #configMaps = new Map<string, Data>();
  readonly #secrets = new Map<string, Data>();

  async configMap(namespace: string, name: string): Promise<Data | undefined> {
    await Promise.resolve();
    return copy(this.#configMaps.get(`${namespace}/${name}`));
  }

  async secret(namespace: string, name: string): Promise<Data | undefined> {
    await Promise.resolve();
    return copy(this.#secrets.get(`${namespace}/${name}`));
  }

  setConfigMap(namespace: string, name: string, data: Data): void {
    this.#configMaps.set(`${namespace}/${name}`, { ...data });
  }

  setSecret(namespace: string, name: string, data: Data): void {
    this.#secrets.set(`${namespace}/${name}`, { ...data });
  }

  deleteConfigMap(namespace: string, name: string): void {
    this.#configMaps.delete(`${namespace}/${name}`);
  }

  deleteSecret(namespace: string, name: string): void {
    this.#secrets.delete(`${namespace}/${name}`);
  }
}

const copy = (data: Data | undefined): Data | undefined => (data ? { ...data } : undefined);
