// The local API server: the Kubernetes-compatible API app over a running local engine, behind the local gateway
// (what API Gateway is in the cloud) with exec and port-forward upgrades. `podflow serve`, `podflow start` and the API
// benchmark all start it this way, so they measure and show the same server.
import { createApiApp } from '../api/create-api-app.ts';
import { PodMetricsCollector } from '../engine/pod-metrics-collector.ts';
import { systemClock, type Clock } from '../ports/clock.ts';
import { createAttachUpgradeHandler } from './attach-websocket.ts';
import { createExecUpgradeHandler } from './exec-websocket.ts';
import { startGateway } from './gateway.ts';
import { combineUpgradeHandlers, createPortForwardUpgradeHandler } from './port-forward.ts';
import type { LocalEngine } from './local-engine.ts';

export interface LocalServerOptions {
  engine: LocalEngine;
  /** On 127.0.0.1; 0 picks a free port. */
  port: number;
  /** Bearer token every request must carry, if set. */
  token?: string;
  newUid: () => string;
  onError: (err: unknown, context: string) => void;
  /** Serve TLS too, on the same port (gateway.ts). */
  tls?: { key: string; cert: string };
  /** The API's clock (creation timestamps, ages); default the system's. */
  clock?: Clock;
}

export interface LocalServer {
  url: string;
  /** The https:// address when the server has a certificate. */
  tlsUrl?: string;
  /** Stops accepting, ends watches and exec sessions; the engine stays up (its owner stops it). */
  close(): Promise<void>;
}

/** Starts the API on the engine; rejects with the listen error (EADDRINUSE) if the port is taken. */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const { engine, token, onError } = options;
  const api = createApiApp({
    engine: engine.engine,
    store: engine.store,
    changes: engine.store,
    objects: engine.objects,
    objectChanges: engine.objects,
    jobs: { delete: engine.jobs.deleteJob },
    cronJobs: { delete: engine.cronJobs.deleteCronJob },
    logs: engine.runtime,
    // kubectl top: measured when asked (docs/decisions/0015-pod-metrics.md).
    metrics: new PodMetricsCollector({
      containerStats: () => engine.runtime.containerStats(),
      clock: systemClock,
      delay: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    }),
    exec: true,
    portForward: true,
    clock: options.clock ?? systemClock,
    newUid: options.newUid,
    onError,
    ...(token ? { token } : {}),
  });
  try {
    const gateway = await startGateway({
      app: api.app,
      port: options.port,
      upgrade: combineUpgradeHandlers(
        createExecUpgradeHandler({
          runtime: engine.runtime,
          store: engine.store,
          onError,
          ...(token ? { token } : {}),
        }),
        createPortForwardUpgradeHandler({ store: engine.store, onError, ...(token ? { token } : {}) }),
        createAttachUpgradeHandler({
          runtime: engine.runtime,
          store: engine.store,
          onError,
          ...(token ? { token } : {}),
        }),
      ),
      onError,
      ...(options.tls ? { tls: options.tls } : {}),
    });
    return {
      url: gateway.url,
      ...(gateway.tlsUrl ? { tlsUrl: gateway.tlsUrl } : {}),
      async close() {
        api.close();
        await gateway.close();
      },
    };
  } catch (err) {
    api.close();
    throw err;
  }
}
