// The ConfigSource the engine reads ConfigMaps and Secrets through when they are API objects: straight from the
// ObjectStore (strongly consistent reads, so an object the API stored before the start is seen). A Secret's data is
// base64 on the wire and in the store; containers get its bytes as text (kubelet_pods.go makeEnvironmentVariables:
// `string(secret.Data[key])`). A ConfigMap's binaryData is not offered: env reads `Data` only, as upstream.
import type { ConfigMap, Secret } from 'kubernetes-types/core/v1';
import { secretValues } from '../core/manifest/api-objects.ts';
import type { ConfigSource } from '../ports/config-source.ts';
import type { ObjectStore } from '../ports/object-store.ts';

export class ObjectStoreConfigSource implements ConfigSource {
  readonly #objects: Pick<ObjectStore, 'get'>;

  constructor(objects: Pick<ObjectStore, 'get'>) {
    this.#objects = objects;
  }

  async configMap(namespace: string, name: string): Promise<Readonly<Record<string, string>> | undefined> {
    const found = await this.#objects.get({ kind: 'ConfigMap', namespace, name });
    return found && { ...(found.object as ConfigMap).data };
  }

  async secret(namespace: string, name: string): Promise<Readonly<Record<string, string>> | undefined> {
    const found = await this.#objects.get({ kind: 'Secret', namespace, name });
    return found && secretValues(found.object as Secret);
  }
}
