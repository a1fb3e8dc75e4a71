// The client's TLS files (--ca, --cert, --key), checked before anything connects. OpenSSL would
// parse them only inside the transport, where a wrong file read as an internal error or as
// "cannot reach ADDR" and never named the flag; a --ca with no certificate in it was ignored.
import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { createSecureContext } from "node:tls";
import { CliError } from "./exit.ts";
import { ENCRYPTED_PEM_KEY, PEM_PRIVATE_KEY } from "../pem-key.ts";

export interface TlsFiles {
  ca?: { file: string; pem: Buffer };
  pair?: { certFile: string; cert: Buffer; keyFile: string; key: Buffer };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** OpenSSL's reason without its "error:0480006C:PEM routines::" prefix. */
const reason = (e: unknown) => String((e as Error)?.message ?? e).replace(/^error:[0-9A-F]+:[^:]*::/, "");

/** The PEM certificates of a file (the transports take PEM only): none, or one that does not parse, is a usage error. */
function certificates(flag: string, file: string, pem: Buffer): X509Certificate[] {
  const blocks = pem.toString("latin1").match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new CliError(`${flag} ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (e) {
      throw new CliError(`${flag} ${file}: certificate ${i + 1} does not parse: ${reason(e)}`);
    }
  });
}

function privateKey(file: string, pem: Buffer): KeyObject {
  // Nothing asks for a passphrase: the call would fail later with "bad decrypt".
  if (ENCRYPTED_PEM_KEY.test(pem.toString("latin1"))) throw new CliError(`--key ${file} is encrypted: give the key without a passphrase`);
  if (!PEM_PRIVATE_KEY.test(pem.toString("latin1"))) throw new CliError(`--key ${file} holds no PEM private key (-----BEGIN PRIVATE KEY-----)`);
  try {
    return createPrivateKey(pem);
  } catch (e) {
    throw new CliError(`--key ${file}: the private key does not parse: ${reason(e)}`);
  }
}

/** Throws a usage error naming the flag whose file the transports could not use. */
export function checkTlsFiles({ ca, pair }: TlsFiles): void {
  if (ca) certificates("--ca", ca.file, ca.pem);
  if (pair) {
    const [leaf] = certificates("--cert", pair.certFile, pair.cert);
    if (!leaf!.checkPrivateKey(privateKey(pair.keyFile, pair.key))) throw new CliError(`--key ${pair.keyFile} is not the private key of --cert ${pair.certFile}`);
  }
  // Whatever else OpenSSL refuses (an algorithm it does not support) is still said here, not later.
  try {
    createSecureContext({ ca: ca?.pem, cert: pair?.cert, key: pair?.key });
  } catch (e) {
    throw new CliError(`--ca/--cert/--key: ${reason(e)}`);
  }
}
