import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { selfSignedCertificate, servingCertificate } from '../../src/local/serving-certificate.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'podflow-cert-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('selfSignedCertificate', () => {
  it('is self-signed by its key, for the loopback names, a CA, valid from now for 10 years', () => {
    const now = new Date('2026-12-03T10:00:00Z');
    const { key, cert } = selfSignedCertificate(now);
    const x = new X509Certificate(cert);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(x.subject).toBe('CN=podflow serve');
    expect(x.issuer).toBe(x.subject);
    expect(x.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(x.ca).toBe(true);
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(new Date(x.validFrom).toISOString()).toBe('2026-12-03T10:00:00.000Z');
    expect(new Date(x.validTo).toISOString()).toBe('2036-12-03T10:00:00.000Z');
  });

  it('writes GeneralizedTime after 2049 (RFC 5280 §4.1.2.5)', () => {
    const x = new X509Certificate(selfSignedCertificate(new Date('2045-01-01T00:00:00Z')).cert);
    expect(new Date(x.validTo).toISOString()).toBe('2055-01-01T00:00:00.000Z');
  });

  it('each certificate has its own key and serial', () => {
    const [a, b] = [selfSignedCertificate(), selfSignedCertificate()].map((c) => new X509Certificate(c.cert));
    expect(a!.serialNumber).not.toBe(b!.serialNumber);
    expect(a!.publicKey.export({ format: 'jwk' })).not.toEqual(b!.publicKey.export({ format: 'jwk' }));
  });
});

describe('servingCertificate', () => {
  it('keeps the data directory’s certificate across starts, the key readable by its owner only', () => {
    const dir = tempDir();
    const first = servingCertificate(dir);
    expect(servingCertificate(dir)).toEqual(first);
    expect(readFileSync(join(dir, 'serving.crt'), 'utf8')).toBe(first.cert);
    expect((statSync(join(dir, 'serving.key')).mode & 0o777).toString(8)).toBe('600');
  });

  it('makes a new one when the kept one is near its end or unreadable', () => {
    const dir = tempDir();
    const old = servingCertificate(dir, new Date('2016-12-20T00:00:00Z')); // ends 2026-12-20: within 30 days
    const renewed = servingCertificate(dir, new Date('2026-12-03T00:00:00Z'));
    expect(renewed.cert).not.toBe(old.cert);
    writeFileSync(join(dir, 'serving.crt'), 'not a certificate');
    const remade = servingCertificate(dir, new Date('2026-12-03T00:00:00Z'));
    expect(new X509Certificate(remade.cert).checkPrivateKey(createPrivateKey(remade.key))).toBe(true);
  });
});
