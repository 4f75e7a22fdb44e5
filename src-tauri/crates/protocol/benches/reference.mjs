// Times the reference library (@interledger/http-signature-utils 2.0.2) on the
// same request as benches/signing.rs: the first reference vector (grant
// request, POST https://auth.example.com/ with a JSON body), same key.
//
//   node src-tauri/crates/protocol/benches/reference.mjs [iterations]
//
// Resolves the package from the repository root (npm ci there first).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';

const require = createRequire(new URL('../../../../package.json', import.meta.url));
const { createHeaders, validateSignature } = require('@interledger/http-signature-utils');
const { version } = require('@interledger/http-signature-utils/package.json');

const vectors = JSON.parse(
  readFileSync(new URL('../tests/fixtures/open-payments-vectors.json', import.meta.url), 'utf8'),
);
const vector = vectors.requests[0];
const privateKey = createPrivateKey(vectors.key.pkcs8_pem);
const keyId = vectors.key.key_id;
const jwk = vectors.key.jwk;
const iterations = Number(process.argv[2] ?? 20000);

const request = () => ({ method: vector.method, url: vector.url, headers: {}, body: vector.body });

async function sign() {
  return createHeaders({ request: request(), privateKey, keyId });
}

async function time(name, fn) {
  for (let i = 0; i < Math.min(2000, iterations); i++) await fn(); // warm-up
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await fn();
    const ns = Number(process.hrtime.bigint() - start) / iterations;
    best = Math.min(best, ns);
  }
  console.log(`${name.padEnd(28)} ${best.toFixed(0).padStart(8)} ns/op  (${(1e9 / best).toFixed(0)} ops/s, best of 3 x ${iterations})`);
}

const signed = await sign();
const toVerify = {
  method: vector.method,
  url: vector.url,
  body: vector.body,
  headers: Object.fromEntries(Object.entries(signed).map(([k, v]) => [k.toLowerCase(), v])),
};
if (!(await validateSignature(jwk, toVerify))) throw new Error('reference does not verify its own signature');

console.log(`@interledger/http-signature-utils ${version}, node ${process.version}`);
await time('reference createHeaders', sign);
await time('reference validateSignature', () => validateSignature(jwk, toVerify));
