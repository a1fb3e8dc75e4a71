// What a PEM file holds, read before a key is handed to Node: the server's TLS files at start and
// the CLI's --key before connecting.

/** Any PEM private key: PKCS#8 (plain or encrypted), or traditional (RSA, EC). */
export const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** An encrypted one: PKCS#8 ("ENCRYPTED PRIVATE KEY") or traditional ("Proc-Type: 4,ENCRYPTED"). */
export const ENCRYPTED_PEM_KEY = /-----BEGIN ENCRYPTED PRIVATE KEY-----|^Proc-Type:\s*4,ENCRYPTED/m;
