// The API server's NamespaceLifecycle admission (k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle): content
// may only be created in a namespace that exists and is not being deleted, and the system namespaces can never be
// deleted. Pods, ConfigMaps and Secrets are checked on create (updates and deletes of existing content go on, as
// upstream, so that a namespace's deletion can finish).
import type { Namespace } from 'kubernetes-types/core/v1';
import { SYSTEM_NAMESPACES } from '../core/manifest/api-objects.ts';
import { isTerminating } from '../core/namespace-deletion.ts';
import type { ApiContext } from './api-context.ts';
import { forbidden, notFound } from './status.ts';

/**
 * 404 `namespaces "x" not found` when the namespace does not exist; 403 `<resource> "<name>" is forbidden: unable to
 * create new content in namespace x because it is being terminated` (with the NamespaceTerminating cause) when it is
 * Terminating.
 */
export async function requireWritableNamespace(
  x: ApiContext,
  namespace: string,
  resource: string,
  name: string,
): Promise<void> {
  const found = await x.deps.objects.get({ kind: 'Namespace', namespace: '', name: namespace });
  if (!found) throw notFound('namespaces', namespace);
  if (isTerminating(found.object as Namespace)) {
    throw forbidden(
      resource,
      name,
      `unable to create new content in namespace ${namespace} because it is being terminated`,
      [
        {
          reason: 'NamespaceTerminating',
          message: `namespace ${namespace} is being terminated`,
          field: 'metadata.namespace',
        },
      ],
    );
  }
}

/** `namespaces "default" is forbidden: this namespace may not be deleted`. */
export function refuseSystemNamespaceDeletion(name: string): void {
  if (SYSTEM_NAMESPACES.includes(name))
    throw forbidden('namespaces', name, 'this namespace may not be deleted');
}
