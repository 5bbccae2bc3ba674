// What `kubectl exec` answers in the cloud (docs/decisions/0006-fargate-runtime.md §8): podflow does not proxy exec
// to Fargate, but ECS Exec reaches the very container — this names the command, with the task the container runs
// in (from its status containerID, fargate://<task id>/…) when it runs.
import type { Pod } from 'kubernetes-types/core/v1';
import { taskIdFromContainerId } from './task-observations.ts';

export function ecsExecHint(
  pod: Pod,
  container: string | undefined,
  cluster: string,
  enabled: boolean,
): string {
  const name = container ?? pod.spec?.containers[0]?.name ?? '<container>';
  const status = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ].find((s) => s.name === name);
  const taskId = status?.state?.running ? taskIdFromContainerId(status.containerID) : undefined;
  const command =
    `aws ecs execute-command --cluster ${cluster} --task ${taskId ?? '<task id>'} --container ${name} ` +
    '--interactive --command sh';
  const intro = "exec is not served by podflow's Fargate runtime";
  if (!enabled)
    return (
      `${intro}, and ECS Exec is off in this deployment: set enableExecuteCommand on the FargateRuntime construct ` +
      `and redeploy; the pod's next task then accepts \`${command}\``
    );
  return `${intro}; ECS Exec reaches the container: \`${command}\``;
}
