// ConfigSource: the ConfigMaps and Secrets of a namespace that pods refer to (env `valueFrom`/`envFrom`, volumes).
// The engine reads them when it builds a container's launch, as the kubelet's configmap and secret managers do
// (pkg/kubelet/configmap, pkg/kubelet/secret); the core turns a missing object or key into the kubelet's
// CreateContainerConfigError (src/core/env.ts).
//
// Guarantees: reads are current (a value stored before the call is seen); a missing object is `undefined`, never an
// error; Secret values come back decoded (the API's base64 is undone by the adapter).

export interface ConfigSource {
  /** A ConfigMap's `data`, or undefined when there is no such ConfigMap. */
  configMap(namespace: string, name: string): Promise<Readonly<Record<string, string>> | undefined>;
  /** A Secret's decoded `data`, or undefined when there is no such Secret. */
  secret(namespace: string, name: string): Promise<Readonly<Record<string, string>> | undefined>;
}
