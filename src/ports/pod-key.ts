/** Identifies a pod object: namespace and name, as the API addresses it. */
export interface PodKey {
  namespace: string;
  name: string;
}

export const podKeyString = (k: PodKey): string => `${k.namespace}/${k.name}`;
