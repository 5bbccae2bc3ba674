// pkg/probe/util.go ResolveContainerPort: a probe's port is a number, or the name of one of the container's ports.
import type { Container } from 'kubernetes-types/core/v1';

/** The port number, or the upstream error message (the probe then errors: "… probe errored …"). */
export function resolveContainerPort(
  port: number | string | undefined,
  container: Container,
): { port: number } | { error: string } {
  let value: number;
  if (typeof port === 'number') {
    value = port;
  } else if (typeof port === 'string') {
    // findPortByName: only names, no numeric strings (an int-or-string port is typed by the API decoder).
    const found = container.ports?.find((p) => p.name === port);
    if (!found) return { error: `port ${JSON.stringify(port)} not found` };
    value = found.containerPort;
  } else {
    return { error: `intOrString had no kind: ${String(port)}` };
  }
  if (Number.isInteger(value) && value > 0 && value < 65536) return { port: value };
  return { error: `invalid port number: ${value}` };
}

/** net.JoinHostPort: IPv6 literals in brackets. */
export const joinHostPort = (host: string, port: number): string =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
