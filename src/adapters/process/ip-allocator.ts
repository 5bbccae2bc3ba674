// Pod addresses, durable across engine restarts: the CNI host-local IPAM plugin's disk layout
// (containernetworking/plugins plugins/ipam/host-local/backend/disk/backend.go). One file per address in use, named
// after it and holding the pod's uid, created as Reserve creates it (O_CREAT|O_EXCL, then the uid written), so that a
// second reservation of the same address fails (EEXIST); `last_reserved_ip.0` remembers where the last allocation
// ended, and the next one continues after it (allocator.go: round robin), so a released address is not handed out
// again at once — a client may still talk to the pod that had it.
//
// Creating a file costs a few hundred microseconds of kernel time on some filesystems, and replacing one by rename
// more (ext4 flushes the data of a file renamed over another, auto_da_alloc): an allocation creates one file and
// overwrites the 16 bytes of the last reserved address in place.
import {
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { numberToIp, podAddressRange, type Ipv4Cidr } from './pod-network.ts';

/** host-local's file of the last reserved address (one per range; podflow has one range). */
export const LAST_RESERVED_FILE = 'last_reserved_ip.0';

export class AddressesExhaustedError extends Error {
  override name = 'AddressesExhaustedError';
}

/** Open for writing from the start, created if missing, not truncated. */
const OVERWRITE = constants.O_WRONLY | constants.O_CREAT;

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

export class IpAllocator {
  readonly #dir: string;
  readonly #cidr: Ipv4Cidr | undefined;
  /** address → pod uid, as on disk (read once, then kept in step: only this engine writes the directory). */
  #byAddress: Map<string, string> | undefined;
  #dirMade = false;

  /** Without a CIDR the allocator can only release (addresses of a network the engine no longer uses). */
  constructor(dir: string, cidr?: Ipv4Cidr) {
    this.#dir = dir;
    this.#cidr = cidr;
  }

  /** Every address in use and its pod uid. */
  allocations(): ReadonlyMap<string, string> {
    return this.#load();
  }

  /** The pod's address, if it has one. */
  addressOf(uid: string): string | undefined {
    for (const [ip, owner] of this.#load()) if (owner === uid) return ip;
    return undefined;
  }

  /**
   * Reserves an address for the pod: the one it has already (an allocation is idempotent per pod), else the next
   * free one after the last reserved, skipping `skip` (addresses found taken by something else on the host). A pod
   * whose address is in `skip` gets another one instead: it never holds two.
   */
  allocate(uid: string, skip: ReadonlySet<string> = new Set()): string {
    const existing = this.addressOf(uid);
    if (existing && !skip.has(existing)) return existing;
    if (existing) this.release(uid, existing);
    if (!this.#cidr) throw new TypeError('an IpAllocator without a CIDR cannot allocate');
    const used = this.#load();
    const { first, last } = podAddressRange(this.#cidr);
    const size = last - first + 1;
    const after = this.#lastReserved();
    const start = after !== undefined && after >= first && after <= last ? after + 1 : first;
    for (let i = 0; i < size; i++) {
      const n = first + ((start - first + i) % size);
      const ip = numberToIp(n);
      if (used.has(ip) || skip.has(ip)) continue;
      if (!this.#reserve(ip, uid)) continue; // taken meanwhile (a file the cache did not know)
      used.set(ip, uid);
      this.#writeLastReserved(ip);
      return ip;
    }
    throw new AddressesExhaustedError(`no free address left in the pod CIDR ${this.#cidr.text}`);
  }

  /** Frees the pod's address (only if it is still the pod's: a stale release never frees someone else's). */
  release(uid: string, ip = this.addressOf(uid)): void {
    if (ip === undefined) return;
    const used = this.#load();
    if (used.get(ip) !== uid) return;
    try {
      unlinkSync(join(this.#dir, ip));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    used.delete(ip);
  }

  #load(): Map<string, string> {
    if (this.#byAddress) return this.#byAddress;
    const map = new Map<string, string>();
    let names: string[] = [];
    try {
      names = readdirSync(this.#dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const name of names) {
      if (!IPV4.test(name)) continue;
      try {
        const uid = readFileSync(join(this.#dir, name), 'utf8').trim();
        if (uid) map.set(name, uid);
        // Created by an engine that died before it wrote the uid: nobody holds the address.
        else unlinkSync(join(this.#dir, name));
      } catch {
        // Removed meanwhile.
      }
    }
    this.#byAddress = map;
    return map;
  }

  /** Creates `<dir>/<ip>` holding the uid; false when the address is taken. */
  #reserve(ip: string, uid: string): boolean {
    if (!this.#dirMade) {
      mkdirSync(this.#dir, { recursive: true });
      this.#dirMade = true;
    }
    let fd: number;
    try {
      fd = openSync(join(this.#dir, ip), 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    try {
      writeSync(fd, `${uid}\n`);
    } finally {
      closeSync(fd);
    }
    return true;
  }

  #lastReserved(): number | undefined {
    try {
      const text = readFileSync(join(this.#dir, LAST_RESERVED_FILE), 'utf8').trim();
      if (!IPV4.test(text)) return undefined;
      return text.split('.').reduce((n, p) => n * 256 + Number(p), 0);
    } catch {
      return undefined;
    }
  }

  /**
   * Overwrites the address in place, padded to the longest one: no truncation and no new file. A write torn by a
   * crash reads back as no address, and the next allocation starts from the first.
   */
  #writeLastReserved(ip: string): void {
    const fd = openSync(join(this.#dir, LAST_RESERVED_FILE), OVERWRITE, 0o644);
    try {
      writeSync(fd, `${ip.padEnd(15)}\n`, 0);
    } finally {
      closeSync(fd);
    }
  }
}
