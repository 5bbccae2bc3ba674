// A Job's podFailurePolicy applied to one failed pod, as pkg/controller/job/pod_failure_policy.go
// matchPodFailurePolicy does: the rules in order, the first that matches decides — FailJob (with the controller's
// message), FailIndex, Ignore (the failure does not count towards backoffLimit) or Count; no match counts.
import type { PodFailurePolicy, PodFailurePolicyOnExitCodesRequirement } from 'kubernetes-types/batch/v1';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1';

export type PodFailureAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

export interface PodFailureMatch {
  /** Whether the failure counts towards backoffLimit (every action but Ignore). */
  countFailed: boolean;
  /** The matching rule's action, or undefined when no rule matched. */
  action?: PodFailureAction;
  /** The FailJob message: `Container main for pod default/x failed with exit code 42 matching FailJob rule at index 0`. */
  message?: string;
}

/** getMatchingContainerFromList: a terminated container with a non-zero exit code the requirement selects. */
function matchingContainer(
  statuses: readonly ContainerStatus[] | undefined,
  req: PodFailurePolicyOnExitCodesRequirement,
): ContainerStatus | undefined {
  for (const s of statuses ?? []) {
    const code = s.state?.terminated?.exitCode;
    if (code === undefined || code === 0) continue;
    if (req.containerName && req.containerName !== s.name) continue;
    const listed = req.values.includes(code);
    if (req.operator === 'In' ? listed : !listed) return s;
  }
  return undefined;
}

export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: Pod): PodFailureMatch {
  const where = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
  for (const [index, rule] of (policy?.rules ?? []).entries()) {
    const action = rule.action as PodFailureAction;
    let message: string | undefined;
    if (rule.onExitCodes) {
      // matchOnExitCodes: the app containers first, then the init containers.
      const status =
        matchingContainer(pod.status?.containerStatuses, rule.onExitCodes) ??
        matchingContainer(pod.status?.initContainerStatuses, rule.onExitCodes);
      if (!status) continue;
      message = `Container ${status.name} for pod ${where} failed with exit code ${status.state?.terminated?.exitCode} matching ${action} rule at index ${index}`;
    } else if (rule.onPodConditions) {
      const condition = rule.onPodConditions.find((p) =>
        (pod.status?.conditions ?? []).some((c) => c.type === p.type && c.status === (p.status || 'True')),
      );
      if (!condition) continue;
      message = `Pod ${where} has condition ${condition.type} matching ${action} rule at index ${index}`;
    } else continue;
    if (action === 'Ignore') return { countFailed: false, action };
    if (action === 'FailJob') return { countFailed: true, action, message };
    return { countFailed: true, action };
  }
  return { countFailed: true };
}
