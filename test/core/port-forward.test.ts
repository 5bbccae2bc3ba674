// The kubelet's decisions for port-forward streams (core/port-forward.ts); the protocol end to end is
// test/kubectl/port-forward.test.ts.
import { describe, expect, it } from 'vitest';
import { forwardAddress, forwardErrorMessage, parseStreamHeaders } from '../../src/core/port-forward.ts';

const headers = (h: Record<string, string>) => new Map(Object.entries(h));

describe('port-forward streams', () => {
  it('reads the type, port and request id of a stream', () => {
    expect(parseStreamHeaders(headers({ streamtype: 'data', port: '8080', requestid: '3' }))).toEqual({
      ok: true,
      type: 'data',
      port: 8080,
      requestId: '3',
    });
  });

  it.each([
    [{ streamtype: 'stdin', port: '80', requestid: '0' }, 'invalid stream type "stdin"'],
    [{ streamtype: 'error', port: 'http', requestid: '0' }, 'unable to parse "http" as a port'],
    [{ streamtype: 'error', port: '0', requestid: '0' }, 'unable to parse "0" as a port'],
    [{ streamtype: 'error', port: '65536', requestid: '0' }, 'unable to parse "65536" as a port'],
    [{ streamtype: 'error', port: '80' }, 'requestid header is required'],
  ])('refuses %j: %s', (h, message) => {
    expect(parseStreamHeaders(headers(h))).toEqual({ ok: false, message });
  });

  it('words a refused connection as the kubelet and Go do', () => {
    expect(
      forwardErrorMessage(81, 'uid-1', '10.77.0.6', {
        code: 'ECONNREFUSED',
        message: 'connect ECONNREFUSED',
      }),
    ).toBe(
      'error forwarding port 81 to pod uid-1, uid : dial tcp4 10.77.0.6:81: connect: connection refused',
    );
    expect(forwardErrorMessage(81, 'uid-1', '127.0.0.1', { message: 'something else' })).toBe(
      'error forwarding port 81 to pod uid-1, uid : dial tcp4 127.0.0.1:81: something else',
    );
  });

  it('connects to the pod IP, or to the loopback the pod shares without a sandbox', () => {
    expect(forwardAddress('10.77.0.6')).toBe('10.77.0.6');
    expect(forwardAddress(undefined)).toBe('127.0.0.1');
  });
});
