// The lean request path's stand-ins: a buffered response and the gateway's incoming request are a fetch Response
// and Request to anyone who uses them as such, and hand their parts over as they are to a transport that asks.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { bufferedPartsOf, bufferedResponse } from '../../src/api/buffered-response.ts';
import { startGateway } from '../../src/local/gateway.ts';
import { incomingRequest } from '../../src/local/incoming-request.ts';

describe('bufferedResponse', () => {
  it('hands its parts over while nothing used it as a Response', () => {
    const res = bufferedResponse(201, { 'content-type': 'application/json', warning: ['a', 'b'] }, '{"x":1}');
    expect(bufferedPartsOf(res)).toEqual({
      status: 201,
      headers: { 'content-type': 'application/json', warning: ['a', 'b'] },
      body: '{"x":1}',
    });
  });

  it('is a Response to everyone else, and once used as one its parts are no longer handed over', async () => {
    const res = bufferedResponse(404, { 'content-type': 'text/plain', warning: ['a', 'b'] }, 'gone');
    expect(res).toBeInstanceOf(Response);
    expect(res.status).toBe(404);
    expect(res.ok).toBe(false);
    expect(res.headers.get('warning')).toBe('a, b');
    res.headers.set('x-later', '1');
    expect(bufferedPartsOf(res)).toBeUndefined();
    expect(await res.text()).toBe('gone');
    expect(bufferedPartsOf(new Response('plain'))).toBeUndefined();
  });
});

describe('incomingRequest', () => {
  const raw = ['Host', 'localhost', 'Accept', 'a', 'Accept', 'b', 'Content-Type', 'application/json'];

  it('reads method, URL, every header value and the body without a fetch Request', async () => {
    const body = Buffer.from('\uFEFF{"kind":"Pod"}');
    const req = incomingRequest('POST', 'http://localhost/api/v1/pods?x=1', raw, body);
    expect(req).toBeInstanceOf(Request);
    expect(req.method).toBe('POST');
    expect(req.url).toBe('http://localhost/api/v1/pods?x=1');
    expect(req.headers.get('accept')).toBe('a, b');
    expect(await req.json()).toEqual({ kind: 'Pod' });
    expect(new Uint8Array(await req.arrayBuffer())).toEqual(new Uint8Array(body));
  });

  it('every other member comes from a real Request', async () => {
    const req = incomingRequest('PUT', 'http://localhost/x', raw, Buffer.from('hello'));
    expect(req.signal).toBeInstanceOf(AbortSignal);
    expect(await req.clone().text()).toBe('hello');
    const get = incomingRequest('GET', 'http://localhost/x', raw, Buffer.from('ignored'));
    expect(get.body).toBeNull();
  });
});

describe('the gateway writes a buffered answer directly', () => {
  it('status, every Warning value, the body and its length in bytes', async () => {
    const app = new Hono();
    app.get('/x', () =>
      bufferedResponse(299, { 'content-type': 'text/plain', warning: ['w1', 'w2'] }, 'héllo'),
    );
    const gateway = await startGateway({
      app,
      port: 0,
      onError: (err) => {
        throw err;
      },
    });
    try {
      const res = await fetch(`${gateway.url}/x`);
      expect(res.status).toBe(299);
      expect(res.headers.get('warning')).toBe('w1, w2');
      expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength('héllo')));
      expect(await res.text()).toBe('héllo');
    } finally {
      await gateway.close();
    }
  });
});
