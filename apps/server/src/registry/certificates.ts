// @peculiar/x509 needs the Reflect metadata API loaded before it (its README).
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import type { CryptoKey } from "jose";

/**
 * Certificates for the registry token service (SPEC §9), built with @peculiar/x509 over Node's
 * WebCrypto: the deployment's self-signed registry CA, and a leaf certificate per access-token
 * signing key that the registry finds in each token's `x5c` header and checks against the CA
 * (its `rootcertbundle`).
 */
// The library types the provider with the DOM's Crypto, which this (Node) project does not load.
x509.cryptoProvider.set(webcrypto as never);

/** The library, loaded the way it needs: import it from here, not from "@peculiar/x509". */
export { x509 };

const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
/** The CA outlives any deployment's key rotations: the registry's bundle is configured once. */
const CA_YEARS = 20;
/** Leaf certificates are short-lived and re-issued in memory; backdated for clocks that lag ours. */
export const LEAF_VALIDITY_MS = 24 * 3600_000;
const BACKDATE_MS = 3600_000;

/** The CA's self-signed certificate (PEM) for its key pair. */
export async function createCaCertificate(keys: { privateKey: CryptoKey; publicKey: CryptoKey }, name: string): Promise<string> {
  const now = Date.now();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_YEARS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${escapeDn(name)}, O=OIDC Connections`,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter,
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return cert.toString("pem");
}

/**
 * A leaf certificate for a signing key, issued by the CA, valid from an hour ago for
 * LEAF_VALIDITY_MS: as DER in base64 (one `x5c` entry) with its expiry.
 */
export async function issueLeafCertificate(
  ca: { certificate: string; privateKey: CryptoKey },
  subject: { kid: string; publicKey: CryptoKey },
  now = Date.now(),
): Promise<{ x5c: string; notAfter: number }> {
  const caCert = new x509.X509Certificate(ca.certificate);
  const notAfter = now + LEAF_VALIDITY_MS;
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${escapeDn(`registry token signer ${subject.kid}`)}, O=OIDC Connections`,
    issuer: caCert.subject,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(notAfter),
    signingAlgorithm: SIGNING,
    publicKey: subject.publicKey,
    signingKey: ca.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(subject.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(await caCert.publicKey.export()),
    ],
  });
  return { x5c: Buffer.from(cert.rawData).toString("base64"), notAfter };
}

/** RFC 4514 escaping of the characters that end or change a DN attribute value. */
function escapeDn(value: string): string {
  return value.replace(/[,+"\\<>;=#]/g, (c) => `\\${c}`);
}
