// The certificate `podflow serve --token` serves HTTPS with. kubectl sends a kubeconfig's credentials only over TLS
// (client-go tools/clientcmd/client_config.go, ClientConfig: the user's auth info is applied only when
// IsConfigTransportTLS), so a token over plain http:// is never sent and every request is a 401. The gateway keeps
// plain HTTP on the same port for the browser (the web UI) and curl; kubectl gets https:// and this certificate as
// the kubeconfig's certificate-authority-data.
//
// Self-signed, ECDSA P-256, for 127.0.0.1, ::1 and localhost, valid 10 years, kept in the data directory so that a
// kubeconfig written before a restart stays valid. Node can parse certificates (crypto.X509Certificate) but not
// make them, and openssl is not on every laptop: the DER is written here (RFC 5280 §4.1, X.690 DER).
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServingCertificate {
  /** PEM. */
  key: string;
  /** PEM; also the CA a client trusts. */
  cert: string;
}

const VALID_YEARS = 10;
/** A certificate this close to its end is replaced at start. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

/** The data directory's certificate, made (or re-made when unreadable or near its end) as needed. */
export function servingCertificate(dir: string, now = new Date()): ServingCertificate {
  const keyFile = join(dir, 'serving.key');
  const certFile = join(dir, 'serving.crt');
  if (existsSync(keyFile) && existsSync(certFile)) {
    try {
      const kept = { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
      const x509 = new X509Certificate(kept.cert);
      if (
        x509.checkPrivateKey(createPrivateKey(kept.key)) &&
        Date.parse(x509.validTo) - now.getTime() > RENEW_BEFORE_MS
      )
        return kept;
    } catch {
      // Unreadable: made again below.
    }
  }
  const made = selfSignedCertificate(now);
  mkdirSync(dir, { recursive: true });
  writeFileSync(keyFile, made.key, { mode: 0o600 });
  writeFileSync(certFile, made.cert);
  return made;
}

/** A new key and a self-signed certificate for the loopback names. */
export function selfSignedCertificate(now = new Date()): ServingCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from('podflow serve')))));
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALID_YEARS);
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40; // positive, no leading zero byte
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const extensions = [
    // basicConstraints CA:TRUE (critical): the certificate is its own trust anchor.
    extension('2.5.29.19', true, seq(tlv(0x01, Buffer.from([0xff])))),
    // keyUsage digitalSignature + keyCertSign (critical).
    extension('2.5.29.15', true, tlv(0x03, Buffer.from([0x02, 0x84]))),
    // extKeyUsage serverAuth.
    extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))),
    // subjectAltName: what clients match the address against (Go ignores the common name).
    extension(
      '2.5.29.17',
      false,
      seq(
        tlv(0x82, Buffer.from('localhost')),
        tlv(0x87, Buffer.from([127, 0, 0, 1])),
        tlv(0x87, Buffer.from([...Array<number>(15).fill(0), 1])),
      ),
    ),
  ];
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))), // v3
    integer(serial),
    ecdsaWithSha256,
    name,
    seq(time(now), time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, privateKey); // DER Ecdsa-Sig-Value
  const der = seq(tbs, ecdsaWithSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: `-----BEGIN CERTIFICATE-----\n${der
      .toString('base64')
      .replace(/.{64}/g, '$&\n')
      .replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`,
  };
}

function tlv(tag: number, value: Buffer): Buffer {
  const n = value.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, value]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));

/** A non-negative INTEGER from big-endian bytes. */
const integer = (bytes: Buffer): Buffer =>
  tlv(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const base128 = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) base128.unshift((v & 0x7f) | 0x80);
    out.push(...base128);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime up to 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : tlv(0x18, Buffer.from(`${iso}Z`));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}
