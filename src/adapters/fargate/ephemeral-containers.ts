// Why the cloud API refuses `kubectl debug`: an ECS task's containers are fixed by its task definition when the task
// is started (RunTask); ECS has no call that adds a container to a running task, and a new task would be a new pod
// sandbox (another ENI, another IP), not the pod being debugged. ECS Exec into an existing container is the way in.
export const FARGATE_EPHEMERAL_CONTAINERS_UNAVAILABLE =
  'ephemeral containers are not available from this podflow API: the cloud runs each pod as one ECS Fargate task, ' +
  'and ECS cannot add a container to a running task; use kubectl exec (ECS Exec) into an existing container instead';
