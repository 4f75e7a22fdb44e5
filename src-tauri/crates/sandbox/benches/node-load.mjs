// Load client for the sandbox wallet with the official Node SDK.
//
//   SANDBOX_URL=http://127.0.0.1:41234 node node-load.mjs <seconds> <concurrency>
//
// Registers its own client wallet address `node-load` and an Ed25519 key through
// the admin API, then runs two phases of <seconds> each with <concurrency>
// concurrent async workers:
//   (a) non-interactive grant requests (incoming-payment grant at bob's AS);
//   (b) full non-interactive flows: incoming-payment grant + incoming payment at
//       bob + quote grant at alice + quote.
// The SDK client is created with `validateResponses: false`, so the numbers
// measure the server and the signing/HTTP path, not the client-side OpenAPI
// validation (conformance.mjs runs with validation on).
//
// stdout: one JSON line
//   {"grantsPerSecond":…,"flowsPerSecond":…,"seconds":…,"concurrency":…,"errors":…}
// stderr: notes and the first error of the run.

import { generateKeyPairSync } from 'node:crypto'
import { createAuthenticatedClient, OpenPaymentsClientError } from '@interledger/open-payments'

const SANDBOX_URL = (process.env.SANDBOX_URL ?? '').replace(/\/+$/, '')
const CLIENT_NAME = 'node-load'
const KEY_ID = 'node-load-key-1'
const REQUEST_TIMEOUT_MS = 30000

function usage(message) {
  console.error(message)
  console.error('usage: SANDBOX_URL=http://127.0.0.1:PORT node node-load.mjs <seconds> <concurrency>')
  process.exit(2)
}

const seconds = Number(process.argv[2])
const concurrency = Number(process.argv[3])
if (!SANDBOX_URL) usage('SANDBOX_URL is not set')
if (!Number.isFinite(seconds) || seconds <= 0) usage(`bad <seconds>: ${process.argv[2]}`)
if (!Number.isInteger(concurrency) || concurrency < 1) usage(`bad <concurrency>: ${process.argv[3]}`)

function describeError(error) {
  if (error instanceof OpenPaymentsClientError) {
    return [
      `Open Payments SDK error: ${error.message}`,
      `status=${error.status ?? '-'} code=${error.code ?? '-'}`,
      `description=${error.description ?? '-'}`,
      error.details !== undefined ? `details=${JSON.stringify(error.details)}` : '',
      error.validationErrors?.length ? `validation=${error.validationErrors.join('; ')}` : ''
    ]
      .filter(Boolean)
      .join(' | ')
  }
  if (error instanceof Error) {
    return `${error.name}: ${error.message}${error.cause ? ` (cause: ${error.cause.message ?? error.cause})` : ''}`
  }
  return `non-Error thrown: ${String(error)}`
}

async function admin(method, path, body, expectedStatus) {
  const response = await fetch(`${SANDBOX_URL}${path}`, {
    method,
    headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await response.text()
  if (response.status !== expectedStatus) {
    throw new Error(`${method} ${path} answered ${response.status}, expected ${expectedStatus}: ${text}`)
  }
  return text ? JSON.parse(text) : undefined
}

let errors = 0
let firstError

function recordError(phase, error) {
  errors++
  if (!firstError) {
    firstError = error
    console.error(`first error (phase ${phase}): ${describeError(error)}`)
  }
}

/** Runs `op` in `concurrency` workers for `seconds`; returns completed ops per second. */
async function runPhase(phase, op) {
  let completed = 0
  const started = performance.now()
  const deadline = started + seconds * 1000
  const worker = async () => {
    while (performance.now() < deadline) {
      try {
        await op()
        completed++
      } catch (error) {
        recordError(phase, error)
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const elapsed = (performance.now() - started) / 1000
  return completed / elapsed
}

const round2 = (n) => Math.round(n * 100) / 100

async function main() {
  // Client wallet address + key.
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const { x } = publicKey.export({ format: 'jwk' })
  await admin(
    'POST',
    '/admin/wallet-addresses',
    { name: CLIENT_NAME, publicName: 'Node SDK load', assetCode: 'USD', assetScale: 2 },
    201
  )
  await admin(
    'POST',
    `/admin/wallet-addresses/${CLIENT_NAME}/keys`,
    { kid: KEY_ID, kty: 'OKP', crv: 'Ed25519', x, alg: 'EdDSA' },
    201
  )

  const client = await createAuthenticatedClient({
    walletAddressUrl: `${SANDBOX_URL}/${CLIENT_NAME}`,
    keyId: KEY_ID,
    privateKey,
    validateResponses: false, // load: skip client-side OpenAPI validation
    requestTimeoutMs: REQUEST_TIMEOUT_MS
  })
  console.error('note: SDK client created with validateResponses: false (load run)')

  const alice = await client.walletAddress.get({ url: `${SANDBOX_URL}/alice` })
  const bob = await client.walletAddress.get({ url: `${SANDBOX_URL}/bob` })

  const incomingGrant = async () => {
    const grant = await client.grant.request(
      { url: bob.authServer },
      { access_token: { access: [{ type: 'incoming-payment', actions: ['create', 'read', 'list', 'complete'] }] } }
    )
    if (!grant.access_token?.value) {
      throw new Error(`incoming-payment grant without access token: ${JSON.stringify(grant)}`)
    }
    return grant.access_token.value
  }

  const flow = async () => {
    const ipToken = await incomingGrant()
    const incomingPayment = await client.incomingPayment.create(
      { url: bob.resourceServer, accessToken: ipToken },
      {
        walletAddress: bob.id,
        incomingAmount: { value: '100', assetCode: bob.assetCode, assetScale: bob.assetScale }
      }
    )
    const quoteGrant = await client.grant.request(
      { url: alice.authServer },
      { access_token: { access: [{ type: 'quote', actions: ['create', 'read'] }] } }
    )
    if (!quoteGrant.access_token?.value) {
      throw new Error(`quote grant without access token: ${JSON.stringify(quoteGrant)}`)
    }
    const quote = await client.quote.create(
      { url: alice.resourceServer, accessToken: quoteGrant.access_token.value },
      { walletAddress: alice.id, receiver: incomingPayment.id, method: 'ilp' }
    )
    if (!quote?.id) throw new Error(`quote without id: ${JSON.stringify(quote)}`)
  }

  const grantsPerSecond = await runPhase('a grants', incomingGrant)
  const flowsPerSecond = await runPhase('b flows', flow)

  console.log(
    JSON.stringify({
      grantsPerSecond: round2(grantsPerSecond),
      flowsPerSecond: round2(flowsPerSecond),
      seconds,
      concurrency,
      errors
    })
  )
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`setup failed: ${describeError(error)}`)
    process.exit(1)
  }
)
