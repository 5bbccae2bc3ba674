// TEST DOUBLE support — a local signing proxy for clients that cannot sign AWS requests (kubectl): it listens on
// 127.0.0.1, signs every request with SigV4 (service `execute-api`) using the credentials it was given, and forwards it
// to the API's invoke URL, streaming the answer back. On AWS the same role is played by any SigV4 proxy in front of an
// IAM-authorized API (kubectl → proxy → API Gateway).
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { EmulatorServer } from './aws-wire.ts';
import { signRequest, type Credentials } from './sigv4.ts';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
  'authorization',
]);

export async function startSigningProxy(opts: {
  /** The API's invoke URL, `http://127.0.0.1:<port>/<stage>/`. */
  target: string;
  credentials: Credentials;
  region: string;
}): Promise<EmulatorServer> {
  const target = new URL(opts.target);
  const base = target.pathname.replace(/\/$/, '');
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://proxy');
      const headers: Record<string, string | string[] | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
      headers.host = target.host;
      if (body.length > 0) headers['content-length'] = String(body.length);
      const path = `${base}${url.pathname}`;
      signRequest(
        { method: req.method ?? 'GET', path, query: url.searchParams, headers, body },
        opts.credentials,
        opts.region,
        'execute-api',
      );
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: `${path}${url.search}`,
          headers: headers as Record<string, string>,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      upstream.end(body);
    })();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
