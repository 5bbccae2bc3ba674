// Pod addresses (adapters/process/ip-allocator.ts, after CNI host-local): one file per address holding the pod uid,
// durable across engine restarts (a new allocator on the same directory sees them), never handed out twice while
// in use, round robin after the last reservation, released only by its owner.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AddressesExhaustedError,
  IpAllocator,
  LAST_RESERVED_FILE,
} from '../../../src/adapters/process/ip-allocator.ts';
import { parseCidr } from '../../../src/adapters/process/pod-network.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'podflow-ipam-'));
  dirs.push(d);
  return join(d, 'network', 'podflow0');
};

describe('IpAllocator', () => {
  it('hands out addresses from the second of the block, one file per address holding the uid', () => {
    const dir = scratch();
    const a = new IpAllocator(dir, parseCidr('10.77.0.0/16'));
    expect(a.allocate('uid-a')).toBe('10.77.0.2');
    expect(a.allocate('uid-b')).toBe('10.77.0.3');
    expect(readFileSync(join(dir, '10.77.0.2'), 'utf8')).toBe('uid-a\n');
    expect(readFileSync(join(dir, LAST_RESERVED_FILE), 'utf8').trim()).toBe('10.77.0.3');
    expect(readdirSync(dir).filter((f) => f.includes('tmp'))).toEqual([]);
  });

  it('is idempotent per pod: a second allocation returns the pod’s address', () => {
    const a = new IpAllocator(scratch(), parseCidr('10.77.0.0/16'));
    const ip = a.allocate('uid-a');
    expect(a.allocate('uid-a')).toBe(ip);
    expect(a.addressOf('uid-a')).toBe(ip);
  });

  it('survives a restart: a new allocator on the directory knows every address and continues after the last', () => {
    const dir = scratch();
    const cidr = parseCidr('10.77.0.0/16');
    const first = new IpAllocator(dir, cidr);
    const before = ['a', 'b', 'c'].map((u) => first.allocate(u));
    const second = new IpAllocator(dir, cidr);
    expect([...second.allocations()]).toEqual(before.map((ip, i) => [ip, ['a', 'b', 'c'][i]]));
    expect(second.allocate('d')).toBe('10.77.0.5');
  });

  it('round robin: a released address is not handed out again before the block wraps around', () => {
    const a = new IpAllocator(scratch(), parseCidr('10.77.0.0/29')); // .2 – .6
    const ips = ['a', 'b', 'c'].map((u) => a.allocate(u));
    a.release('a');
    expect(a.allocate('d')).toBe('10.77.0.5');
    expect(a.allocate('e')).toBe('10.77.0.6');
    expect(a.allocate('f')).toBe(ips[0]); // wrapped: .2 is free again
    expect(() => a.allocate('g')).toThrow(AddressesExhaustedError);
  });

  it('never hands out an address in use, and skips what the caller says is taken on the host', () => {
    const a = new IpAllocator(scratch(), parseCidr('10.77.0.0/29'));
    const taken = new Set(['10.77.0.2', '10.77.0.3']);
    expect(a.allocate('a', taken)).toBe('10.77.0.4');
    const seen = new Set(['10.77.0.4']);
    for (const u of ['b', 'c', 'd', 'e']) {
      let ip: string;
      try {
        ip = a.allocate(u);
      } catch {
        break;
      }
      expect(seen.has(ip)).toBe(false);
      seen.add(ip);
    }
  });

  it('a pod whose address is to be skipped gets another one and holds only that', () => {
    const a = new IpAllocator(scratch(), parseCidr('10.77.0.0/16'));
    const first = a.allocate('uid-a');
    const second = a.allocate('uid-a', new Set([first]));
    expect(second).not.toBe(first);
    expect([...a.allocations()]).toEqual([[second, 'uid-a']]);
  });

  it('a release by another pod, or of an address the pod does not have, frees nothing', () => {
    const a = new IpAllocator(scratch(), parseCidr('10.77.0.0/16'));
    const ip = a.allocate('uid-a');
    a.release('uid-b', ip);
    a.release('uid-c');
    expect(a.addressOf('uid-a')).toBe(ip);
    a.release('uid-a');
    expect(a.addressOf('uid-a')).toBeUndefined();
  });

  it('the last reserved address is overwritten in place: a shorter one after a longer one reads back whole', () => {
    const dir = scratch();
    const cidr = parseCidr('10.77.0.0/16');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, LAST_RESERVED_FILE), '10.77.255.253\n');
    const a = new IpAllocator(dir, cidr);
    expect(a.allocate('long')).toBe('10.77.255.254');
    expect(a.allocate('short')).toBe('10.77.0.2'); // wrapped around
    expect(readFileSync(join(dir, LAST_RESERVED_FILE), 'utf8').trim()).toBe('10.77.0.2');
    expect(new IpAllocator(dir, cidr).allocate('next')).toBe('10.77.0.3');
  });

  it('an address file an engine created but died before writing to is free again at the next start', () => {
    const dir = scratch();
    const cidr = parseCidr('10.77.0.0/16');
    new IpAllocator(dir, cidr).allocate('a'); // 10.77.0.2
    writeFileSync(join(dir, '10.77.0.3'), ''); // created, the uid never written
    writeFileSync(join(dir, LAST_RESERVED_FILE), '10.77.0.2\n');
    const next = new IpAllocator(dir, cidr);
    expect([...next.allocations()]).toEqual([['10.77.0.2', 'a']]);
    expect(next.allocate('b')).toBe('10.77.0.3');
    expect(readFileSync(join(dir, '10.77.0.3'), 'utf8')).toBe('b\n');
  });

  it('a file written by someone else meanwhile is not overwritten (an exclusive create fails): the next address is taken', () => {
    const dir = scratch();
    const cidr = parseCidr('10.77.0.0/16');
    const a = new IpAllocator(dir, cidr);
    a.allocations(); // loads the (empty) directory
    new IpAllocator(dir, cidr).allocate('other'); // writes 10.77.0.2 behind a's back
    expect(a.allocate('mine')).toBe('10.77.0.3');
    expect(readFileSync(join(dir, '10.77.0.2'), 'utf8')).toBe('other\n');
  });
});
