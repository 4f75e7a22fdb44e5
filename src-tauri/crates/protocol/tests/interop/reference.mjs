// Drives @interledger/http-signature-utils (the reference library) for
// tests/interop.rs: one process handles every case of a batch.
//
//   node reference.mjs sign    < cases.jsonl   # createHeaders for each case
//   node reference.mjs verify  < cases.jsonl   # validateSignature(+Headers)
//
// Input and output are JSON lines. The package is resolved from the repository
// root's node_modules (five levels up from this file), whatever the cwd.
import { createRequire } from 'node:module';
import { createPrivateKey } from 'node:crypto';
import { createInterface } from 'node:readline';

const require = createRequire(new URL('../../../../../package.json', import.meta.url));
const utils = require('@interledger/http-signature-utils');
const { version } = require('@interledger/http-signature-utils/package.json');

const mode = process.argv[2];
if (mode !== 'sign' && mode !== 'verify') {
  console.error('usage: node reference.mjs sign|verify < cases.jsonl');
  process.exit(2);
}

function privateKey(key) {
  if (key.pem) return createPrivateKey(key.pem);
  if (key.jwk) return createPrivateKey({ key: key.jwk, format: 'jwk' });
  throw new Error('case has neither key.pem nor key.jwk');
}

async function sign(c) {
  const request = { method: c.method, url: c.url, headers: { ...c.headers } };
  if (c.body !== null && c.body !== undefined) request.body = c.body;
  const headers = await utils.createHeaders({
    request,
    privateKey: privateKey(c.key),
    keyId: c.keyId,
  });
  return { id: c.id, headers };
}

async function verify(c) {
  // validateSignature reads lower-case header names and request.url verbatim.
  const headers = {};
  for (const [name, value] of Object.entries(c.headers)) headers[name.toLowerCase()] = value;
  const request = { method: c.method, url: c.url, headers };
  if (c.body !== null && c.body !== undefined) request.body = c.body;
  const validateSignatureHeaders = utils.validateSignatureHeaders(request);
  let validateSignature;
  try {
    validateSignature = await utils.validateSignature(c.jwk, request);
  } catch (error) {
    // A throw is a refusal too; report it so the Rust side can tell.
    validateSignature = false;
    return { id: c.id, validateSignature, validateSignatureHeaders, threw: String(error) };
  }
  return { id: c.id, validateSignature, validateSignatureHeaders };
}

const out = [];
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  const c = JSON.parse(line);
  try {
    out.push(JSON.stringify(mode === 'sign' ? await sign(c) : await verify(c)));
  } catch (error) {
    out.push(JSON.stringify({ id: c.id, error: String(error && error.stack || error) }));
  }
}
process.stdout.write(JSON.stringify({ version }) + '\n' + out.join('\n') + '\n');
