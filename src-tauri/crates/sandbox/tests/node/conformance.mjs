// Open Payments conformance run of the sandbox wallet with the official Node SDK.
//
//   SANDBOX_URL=http://127.0.0.1:41234 IDP_SECRET=… node conformance.mjs
//
// Uses only `@interledger/open-payments` (7.4.0, resolved from the repository's
// node_modules) and Node built-ins. Every SDK call validates the response
// against the Open Payments OpenAPI specs (`validateResponses: true`).
//
// Prints `ok <step>` per step and, at the end, one line
// `RESULT {"aliceBefore":…,"aliceAfter":…,"bobBefore":…,"bobAfter":…,"debit":…,"receive":…}`
// (amounts as integer strings in the smallest unit). Any failure prints the
// step and the error (for SDK errors: status, code, description, details,
// validation errors) and exits with status 1.

import assert from 'node:assert/strict'
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  createAuthenticatedClient,
  createUnauthenticatedClient,
  isFinalizedGrantWithAccessToken,
  isPendingGrant,
  OpenPaymentsClientError
} from '@interledger/open-payments'

const SANDBOX_URL = (process.env.SANDBOX_URL ?? '').replace(/\/+$/, '')
const IDP_SECRET = process.env.IDP_SECRET ?? ''
const CLIENT_NAME = 'node-sdk'
const KEY_ID = 'node-sdk-key-1'
const FINISH_URI = 'http://127.0.0.1:9/finish'
const REQUEST_TIMEOUT_MS = 15000
const SETTLE_TIMEOUT_MS = 10000

// ---------------------------------------------------------------- reporting

let currentStep = 'startup'

function describeError(error) {
  const lines = []
  if (error instanceof OpenPaymentsClientError) {
    lines.push(`Open Payments SDK error: ${error.message}`)
    lines.push(`  status: ${error.status ?? '(none)'}`)
    lines.push(`  code: ${error.code ?? '(none)'}`)
    lines.push(`  description: ${error.description ?? '(none)'}`)
    if (error.details !== undefined) {
      lines.push(`  details: ${JSON.stringify(error.details)}`)
    }
    if (error.validationErrors?.length) {
      lines.push('  OpenAPI validation errors:')
      for (const v of error.validationErrors) lines.push(`    - ${v}`)
    }
  } else if (error instanceof assert.AssertionError) {
    lines.push(`assertion failed: ${error.message}`)
    if (!error.generatedMessage) {
      lines.push(`  actual:   ${safeJson(error.actual)}`)
      lines.push(`  expected: ${safeJson(error.expected)}`)
    }
  } else if (error instanceof Error) {
    lines.push(`${error.name}: ${error.message}`)
    if (error.cause) lines.push(`  cause: ${error.cause?.message ?? String(error.cause)}`)
    if (error.stack) lines.push(error.stack.split('\n').slice(1, 6).join('\n'))
  } else {
    lines.push(`non-Error thrown: ${safeJson(error)}`)
  }
  return lines.join('\n')
}

function safeJson(value) {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))
  } catch {
    return String(value)
  }
}

function fail(error) {
  console.error(`FAIL at step "${currentStep}"`)
  console.error(describeError(error))
  process.exit(1)
}

process.on('unhandledRejection', fail)

async function step(name, fn) {
  currentStep = name
  let result
  try {
    result = await fn()
  } catch (error) {
    fail(error)
  }
  console.log(`ok ${name}`)
  return result
}

// ------------------------------------------------------------ plain HTTP helpers

async function readBody(response) {
  const text = await response.text()
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

async function adminRequest(method, path, body, expectedStatus) {
  const response = await fetch(`${SANDBOX_URL}${path}`, {
    method,
    headers: {
      Accept: 'application/json',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' })
    },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const parsed = await readBody(response)
  assert.equal(
    response.status,
    expectedStatus,
    `${method} ${path} answered ${response.status}, expected ${expectedStatus}: ${safeJson(parsed)}`
  )
  return parsed
}

async function readBalances() {
  const accounts = await adminRequest('GET', '/admin/accounts', undefined, 200)
  assert.ok(Array.isArray(accounts), 'GET /admin/accounts must answer a JSON array')
  const balances = new Map()
  for (const account of accounts) {
    assert.equal(typeof account.balance, 'string', `balance of ${account.name} must be a string`)
    assert.match(account.balance, /^-?[0-9]+$/, `balance of ${account.name} must be an integer string`)
    balances.set(account.name, BigInt(account.balance))
  }
  for (const name of ['alice', 'bob']) {
    assert.ok(balances.has(name), `GET /admin/accounts lacks account ${name}`)
  }
  return balances
}

/** A tiny cookie-keeping client on fetch that never follows redirects. */
class CookieClient {
  constructor() {
    this.cookies = new Map()
  }

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  keep(response) {
    const lines =
      typeof response.headers.getSetCookie === 'function'
        ? response.headers.getSetCookie()
        : [response.headers.get('set-cookie')].filter(Boolean)
    for (const line of lines) {
      const pair = line.split(';', 1)[0]
      const eq = pair.indexOf('=')
      if (eq <= 0) continue
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
    }
    return lines
  }

  async request(url, { method = 'GET', headers = {}, withCookies = true } = {}) {
    const cookie = this.cookieHeader()
    const response = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        ...headers,
        ...(withCookies && cookie ? { Cookie: cookie } : {})
      }
    })
    const setCookieLines = withCookies ? this.keep(response) : []
    return { response, setCookieLines }
  }
}

function sameAmount(actual, expected, label) {
  assert.ok(actual, `${label} missing`)
  assert.deepEqual(
    { value: actual.value, assetCode: actual.assetCode, assetScale: actual.assetScale },
    { value: expected.value, assetCode: expected.assetCode, assetScale: expected.assetScale },
    `${label} differs`
  )
}

/** Walks every page of a list call (forward pagination) and returns all items. */
async function listAll(list, maxPages = 1000) {
  const items = []
  let cursor
  for (let page = 0; page < maxPages; page++) {
    const result = await list(cursor ? { first: 100, cursor } : { first: 100 })
    assert.ok(Array.isArray(result.result), 'list result must have a "result" array')
    items.push(...result.result)
    if (!result.pagination?.hasNextPage) return items
    assert.ok(result.pagination.endCursor, 'hasNextPage is true but endCursor is missing')
    cursor = result.pagination.endCursor
  }
  throw new Error(`pagination did not end after ${maxPages} pages`)
}

async function expectRefused(promise, label) {
  let error
  try {
    await promise
  } catch (e) {
    error = e
  }
  assert.ok(error, `${label}: the request succeeded but should have been refused`)
  if (!(error instanceof OpenPaymentsClientError)) throw error
  assert.ok(
    error.status === 401 || error.status === 403,
    `${label}: expected status 401 or 403, got ${error.status} (${error.description})`
  )
  return error.status
}

// ------------------------------------------------------------------ the run

async function main() {
  await step('0 environment', () => {
    assert.ok(SANDBOX_URL, 'SANDBOX_URL is not set')
    assert.ok(/^https?:\/\//.test(SANDBOX_URL), `SANDBOX_URL must be an http(s) URL, got ${SANDBOX_URL}`)
    assert.ok(IDP_SECRET, 'IDP_SECRET is not set')
  })

  const clientWalletAddressUrl = `${SANDBOX_URL}/${CLIENT_NAME}`

  // 1. Key, client wallet address, its JWK, authenticated client.
  const { client, unauthenticatedClient, jwk } = await step(
    '1 register client wallet address and key',
    async () => {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519')
      const exported = publicKey.export({ format: 'jwk' })
      const jwk = { kid: KEY_ID, kty: 'OKP', crv: 'Ed25519', x: exported.x, alg: 'EdDSA' }
      assert.equal(exported.kty, 'OKP')
      assert.equal(exported.crv, 'Ed25519')

      const created = await adminRequest(
        'POST',
        '/admin/wallet-addresses',
        { name: CLIENT_NAME, publicName: 'Node SDK conformance', assetCode: 'USD', assetScale: 2 },
        201
      )
      assert.equal(created?.id, clientWalletAddressUrl, 'created wallet address id')
      await adminRequest('POST', `/admin/wallet-addresses/${CLIENT_NAME}/keys`, jwk, 201)

      const client = await createAuthenticatedClient({
        walletAddressUrl: clientWalletAddressUrl,
        keyId: KEY_ID,
        privateKey, // a node:crypto KeyObject; the SDK also takes a PEM string/Buffer or a file path
        validateResponses: true,
        requestTimeoutMs: REQUEST_TIMEOUT_MS
      })
      const unauthenticatedClient = await createUnauthenticatedClient({
        validateResponses: true,
        requestTimeoutMs: REQUEST_TIMEOUT_MS
      })
      return { client, unauthenticatedClient, jwk }
    }
  )

  // 2. Balances before.
  const before = await step('2 read balances', readBalances)
  const aliceBefore = before.get('alice')
  const bobBefore = before.get('bob')

  // 3. Wallet addresses, keys, DID document.
  const { alice, bob } = await step('3 wallet addresses', async () => {
    const alice = await client.walletAddress.get({ url: `${SANDBOX_URL}/alice` })
    const bob = await client.walletAddress.get({ url: `${SANDBOX_URL}/bob` })
    assert.equal(alice.id, `${SANDBOX_URL}/alice`, 'alice.id')
    assert.equal(bob.id, `${SANDBOX_URL}/bob`, 'bob.id')
    assert.equal(alice.assetCode, 'USD', 'alice.assetCode')
    assert.equal(alice.assetScale, 2, 'alice.assetScale')
    assert.equal(bob.assetCode, 'EUR', 'bob.assetCode')
    assert.equal(bob.assetScale, 2, 'bob.assetScale')
    for (const wa of [alice, bob]) {
      assert.equal(typeof wa.authServer, 'string', `${wa.id} authServer`)
      assert.equal(typeof wa.resourceServer, 'string', `${wa.id} resourceServer`)
    }

    // The unauthenticated client reads the same document.
    const alicePublic = await unauthenticatedClient.walletAddress.get({ url: `${SANDBOX_URL}/alice` })
    assert.deepEqual(alicePublic, alice, 'wallet address differs between clients')

    const jwks = await client.walletAddress.getKeys({ url: clientWalletAddressUrl })
    const key = jwks.keys.find((k) => k.kid === KEY_ID)
    assert.ok(key, `${clientWalletAddressUrl}/jwks.json does not list kid ${KEY_ID}`)
    assert.equal(key.x, jwk.x, 'registered public key x')

    if (typeof client.walletAddress.getDIDDocument === 'function') {
      const did = await client.walletAddress.getDIDDocument({ url: `${SANDBOX_URL}/alice` })
      assert.equal(typeof did, 'object', 'DID document must be a JSON object')
      assert.ok(did !== null, 'DID document must not be null')
    } else {
      console.log('note: this SDK has no walletAddress.getDIDDocument; skipped')
    }
    return { alice, bob }
  })

  // 4. Incoming payment at bob.
  const { incomingGrant, incomingPayment } = await step('4 incoming payment', async () => {
    const incomingGrant = await client.grant.request(
      { url: bob.authServer },
      {
        access_token: {
          access: [{ type: 'incoming-payment', actions: ['create', 'read', 'list', 'complete'] }]
        }
      }
    )
    assert.ok(!isPendingGrant(incomingGrant), 'incoming-payment grant must not need interaction')
    assert.ok(isFinalizedGrantWithAccessToken(incomingGrant), 'incoming-payment grant has no access_token')
    const accessToken = incomingGrant.access_token.value

    const incomingAmount = { value: '1000', assetCode: bob.assetCode, assetScale: bob.assetScale }
    const created = await client.incomingPayment.create(
      { url: bob.resourceServer, accessToken },
      { walletAddress: bob.id, incomingAmount }
    )
    assert.ok(
      created.id.startsWith(`${bob.resourceServer}/incoming-payments/`),
      `incoming payment id ${created.id} is not under ${bob.resourceServer}/incoming-payments/`
    )
    assert.equal(created.walletAddress, bob.id, 'incoming payment walletAddress')
    sameAmount(created.incomingAmount, incomingAmount, 'incomingAmount')
    assert.equal(created.receivedAmount.value, '0', 'receivedAmount of a new incoming payment')
    assert.equal(created.completed, false, 'completed of a new incoming payment')

    const fetched = await client.incomingPayment.get({ url: created.id, accessToken })
    assert.equal(fetched.id, created.id, 'fetched incoming payment id')
    sameAmount(fetched.incomingAmount, incomingAmount, 'fetched incomingAmount')

    const listed = await listAll((pagination) =>
      client.incomingPayment.list(
        { url: bob.resourceServer, walletAddress: bob.id, accessToken },
        pagination
      )
    )
    assert.ok(
      listed.some((p) => p.id === created.id),
      `incoming payment ${created.id} not in the list for ${bob.id} (${listed.length} listed)`
    )

    // Public view, unsigned and without a token.
    const publicView = await unauthenticatedClient.incomingPayment.get({ url: created.id })
    assert.equal(publicView.authServer, bob.authServer, 'public incoming payment authServer')
    assert.equal(publicView.methods, undefined, 'public incoming payment must not expose payment methods')
    if (typeof client.incomingPayment.getPublic === 'function') {
      const publicView2 = await client.incomingPayment.getPublic({ url: created.id })
      assert.equal(publicView2.authServer, bob.authServer, 'getPublic authServer')
    }
    return { incomingGrant, incomingPayment: created }
  })

  // 5. Quote at alice for the incoming payment.
  const quote = await step('5 quote', async () => {
    const quoteGrant = await client.grant.request(
      { url: alice.authServer },
      { access_token: { access: [{ type: 'quote', actions: ['create', 'read'] }] } }
    )
    assert.ok(!isPendingGrant(quoteGrant), 'quote grant must not need interaction')
    assert.ok(isFinalizedGrantWithAccessToken(quoteGrant), 'quote grant has no access_token')
    const accessToken = quoteGrant.access_token.value

    const quote = await client.quote.create(
      { url: alice.resourceServer, accessToken },
      { walletAddress: alice.id, receiver: incomingPayment.id, method: 'ilp' }
    )
    assert.equal(quote.walletAddress, alice.id, 'quote walletAddress')
    assert.equal(quote.receiver, incomingPayment.id, 'quote receiver')
    assert.equal(quote.method, 'ilp', 'quote method')
    assert.equal(quote.receiveAmount.value, '1000', 'quote.receiveAmount.value')
    assert.equal(quote.receiveAmount.assetCode, bob.assetCode, 'quote.receiveAmount.assetCode')
    assert.equal(quote.debitAmount.assetCode, 'USD', 'quote.debitAmount.assetCode')
    assert.equal(quote.debitAmount.assetScale, alice.assetScale, 'quote.debitAmount.assetScale')
    assert.ok(BigInt(quote.debitAmount.value) > 0n, 'quote.debitAmount.value must be positive')

    const fetched = await client.quote.get({ url: quote.id, accessToken })
    assert.equal(fetched.id, quote.id, 'fetched quote id')
    sameAmount(fetched.debitAmount, quote.debitAmount, 'fetched quote debitAmount')
    sameAmount(fetched.receiveAmount, quote.receiveAmount, 'fetched quote receiveAmount')
    return quote
  })

  // 6. Interactive outgoing-payment grant.
  const clientNonce = randomBytes(16).toString('hex')
  const debitLimit = {
    value: quote.debitAmount.value,
    assetCode: quote.debitAmount.assetCode,
    assetScale: quote.debitAmount.assetScale
  }
  const pendingGrant = await step('6 interactive outgoing-payment grant', async () => {
    const grant = await client.grant.request(
      { url: alice.authServer },
      {
        access_token: {
          access: [
            {
              type: 'outgoing-payment',
              actions: ['list', 'list-all', 'read', 'read-all', 'create'],
              identifier: alice.id,
              limits: { debitAmount: debitLimit }
            }
          ]
        },
        interact: {
          start: ['redirect'],
          finish: { method: 'redirect', uri: FINISH_URI, nonce: clientNonce }
        }
      }
    )
    assert.ok(isPendingGrant(grant), 'outgoing-payment grant must be pending (need interaction)')
    assert.equal(grant.access_token, undefined, 'a pending grant must not carry an access token')
    assert.ok(grant.interact.redirect, 'interact.redirect')
    assert.ok(grant.interact.finish, 'interact.finish')
    assert.ok(grant.continue.uri, 'continue.uri')
    assert.ok(grant.continue.access_token.value, 'continue.access_token.value')
    return grant
  })

  // 7. Consent through the AS–IdP interface.
  const interactRef = await step('7 consent via IdP interface', async () => {
    const browser = new CookieClient()
    const redirectUrl = new URL(pendingGrant.interact.redirect)
    const match = redirectUrl.pathname.match(/\/interact\/([^/]+)\/([^/]+)\/?$/)
    assert.ok(match, `interact.redirect ${redirectUrl.href} is not …/interact/{id}/{nonce}`)
    const [, id, nonce] = match
    const authServer = alice.authServer

    // Start the interaction like a browser: 302 to the consent page + session cookie.
    const start = await browser.request(redirectUrl.href)
    assert.equal(start.response.status, 302, 'GET interact.redirect status')
    assert.ok(start.response.headers.get('location'), 'GET interact.redirect has no Location')
    const sessionLine = start.setCookieLines.find((l) => l.startsWith('sandbox_session='))
    assert.ok(sessionLine, `no sandbox_session cookie in Set-Cookie: ${safeJson(start.setCookieLines)}`)
    assert.ok(browser.cookies.get('sandbox_session'), 'sandbox_session cookie is empty')
    await start.response.body?.cancel()

    const idpHeaders = { 'x-idp-secret': IDP_SECRET, Accept: 'application/json' }
    // As with Rafiki 2.x, the IdP interface is apart from the GNAP API (the
    // sandbox serves it under /idp), and the authServer is per tenant.
    const grantUrl = `${redirectUrl.origin}/idp/grant/${id}/${nonce}`

    const details = await fetch(grantUrl, { headers: idpHeaders, redirect: 'manual' })
    const detailsBody = await readBody(details)
    assert.equal(details.status, 200, `GET ${grantUrl} status (${safeJson(detailsBody)})`)
    assert.ok(Array.isArray(detailsBody?.access), 'IdP grant details must have an "access" array')
    assert.equal(typeof detailsBody?.grantId, 'string', 'IdP grant details must have a "grantId"')
    assert.equal(detailsBody?.state, 'PENDING', 'IdP grant details "state" before the choice')
    assert.equal(detailsBody.access[0]?.type, 'outgoing-payment', 'IdP grant details access[0].type')

    const accept = await fetch(`${grantUrl}/accept`, {
      method: 'POST',
      headers: idpHeaders,
      redirect: 'manual'
    })
    const acceptBody = await readBody(accept)
    assert.equal(accept.status, 202, `POST ${grantUrl}/accept status (${safeJson(acceptBody)})`)

    const finishUrl = `${redirectUrl.origin}${redirectUrl.pathname}/finish`

    // Without the session cookie the finish must be refused (checked first:
    // the real finish may be one-time).
    const noCookie = await browser.request(finishUrl, { withCookies: false })
    await noCookie.response.body?.cancel()
    assert.equal(noCookie.response.status, 401, 'finish without the session cookie')

    const finish = await browser.request(finishUrl)
    await finish.response.body?.cancel()
    assert.equal(finish.response.status, 302, 'finish with the session cookie')
    const location = finish.response.headers.get('location')
    assert.ok(location, 'finish redirect has no Location')
    assert.ok(
      location.startsWith(FINISH_URI),
      `finish Location ${location} does not start with ${FINISH_URI}`
    )
    const finishedAt = new URL(location)
    assert.equal(finishedAt.searchParams.get('result'), null, `grant was not accepted: ${location}`)
    const hash = finishedAt.searchParams.get('hash')
    const interactRef = finishedAt.searchParams.get('interact_ref')
    assert.ok(hash, `finish Location has no hash: ${location}`)
    assert.ok(interactRef, `finish Location has no interact_ref: ${location}`)

    const expected = createHash('sha256')
      .update(`${clientNonce}\n${pendingGrant.interact.finish}\n${interactRef}\n${authServer}`)
      .digest('base64')
    if (hash !== expected && finishedAt.search.includes('+')) {
      throw new assert.AssertionError({
        message:
          'finish hash mismatch; the query holds a raw "+", which form-decodes to a space: ' +
          'percent-encode the base64 hash in the redirect (+ as %2B, / as %2F, = as %3D)',
        actual: hash,
        expected,
        operator: 'strictEqual'
      })
    }
    assert.equal(hash, expected, 'interaction finish hash')
    return interactRef
  })

  // 8. Continue the grant.
  const finalGrant = await step('8 continue grant', async () => {
    const waitSeconds = pendingGrant.continue.wait ?? 0
    if (waitSeconds > 0) await sleep(waitSeconds * 1000)
    const grant = await client.grant.continue(
      { url: pendingGrant.continue.uri, accessToken: pendingGrant.continue.access_token.value },
      { interact_ref: interactRef }
    )
    assert.ok(isFinalizedGrantWithAccessToken(grant), 'continued grant has no access_token')
    assert.ok(grant.access_token.value, 'access_token.value')
    assert.ok(grant.access_token.manage, 'access_token.manage')
    assert.ok(grant.continue?.uri, 'continued grant continue.uri')
    assert.ok(grant.continue?.access_token?.value, 'continued grant continue.access_token.value')
    const access = grant.access_token.access
    assert.ok(Array.isArray(access) && access.length > 0, 'access_token.access')
    assert.equal(access[0].type, 'outgoing-payment', 'granted access type')
    assert.equal(access[0].identifier, alice.id, 'granted access identifier')
    return grant
  })

  // 9. Outgoing payment from the quote.
  const outgoingPayment = await step('9 outgoing payment', async () => {
    const accessToken = finalGrant.access_token.value
    const created = await client.outgoingPayment.create(
      { url: alice.resourceServer, accessToken },
      { walletAddress: alice.id, quoteId: quote.id }
    )
    assert.ok(
      created.id.startsWith(`${alice.resourceServer}/outgoing-payments/`),
      `outgoing payment id ${created.id} is not under ${alice.resourceServer}/outgoing-payments/`
    )
    assert.equal(created.walletAddress, alice.id, 'outgoing payment walletAddress')
    assert.equal(created.receiver, incomingPayment.id, 'outgoing payment receiver')
    if (created.quoteId !== undefined) assert.equal(created.quoteId, quote.id, 'outgoing payment quoteId')
    sameAmount(created.debitAmount, quote.debitAmount, 'outgoing payment debitAmount')
    sameAmount(created.receiveAmount, quote.receiveAmount, 'outgoing payment receiveAmount')
    assert.equal(created.failed ?? false, false, 'outgoing payment failed')

    const fetched = await client.outgoingPayment.get({ url: created.id, accessToken })
    assert.equal(fetched.id, created.id, 'fetched outgoing payment id')
    sameAmount(fetched.debitAmount, quote.debitAmount, 'fetched outgoing payment debitAmount')

    const listed = await listAll((pagination) =>
      client.outgoingPayment.list(
        { url: alice.resourceServer, walletAddress: alice.id, accessToken },
        pagination
      )
    )
    assert.ok(
      listed.some((p) => p.id === created.id),
      `outgoing payment ${created.id} not in the list for ${alice.id} (${listed.length} listed)`
    )

    if (typeof client.outgoingPayment.getGrantSpentAmounts === 'function') {
      const spent = await client.outgoingPayment.getGrantSpentAmounts({
        url: alice.resourceServer,
        accessToken
      })
      assert.ok(spent.spentDebitAmount, 'spentDebitAmount is null after a payment')
      assert.equal(spent.spentDebitAmount.value, quote.debitAmount.value, 'spentDebitAmount.value')
      assert.equal(spent.spentDebitAmount.assetCode, quote.debitAmount.assetCode, 'spentDebitAmount.assetCode')
    } else {
      console.log('note: this SDK has no outgoingPayment.getGrantSpentAmounts; spent amounts not checked')
    }
    return created
  })

  // 10. Rotate, use, revoke the access token.
  await step('10 rotate and revoke token', async () => {
    const old = finalGrant.access_token
    const rotated = await client.token.rotate({ url: old.manage, accessToken: old.value })
    assert.ok(rotated.access_token, 'rotation answer has no access_token')
    const fresh = rotated.access_token
    assert.ok(fresh.value, 'rotated access_token.value')
    assert.ok(fresh.manage, 'rotated access_token.manage')
    assert.notEqual(fresh.value, old.value, 'rotation must issue a new token value')
    assert.notEqual(fresh.manage, old.manage, 'rotation must issue a new manage URL')

    const viaFresh = await client.outgoingPayment.get({ url: outgoingPayment.id, accessToken: fresh.value })
    assert.equal(viaFresh.id, outgoingPayment.id, 'outgoing payment read with the rotated token')

    // GNAP: rotation revokes the previous token.
    await expectRefused(
      client.outgoingPayment.get({ url: outgoingPayment.id, accessToken: old.value }),
      'token from before the rotation'
    )

    await client.token.revoke({ url: fresh.manage, accessToken: fresh.value })
    const status = await expectRefused(
      client.outgoingPayment.get({ url: outgoingPayment.id, accessToken: fresh.value }),
      'revoked token'
    )
    console.log(`note: revoked token refused with ${status}`)
  })

  // 11. Cancel the grant with the continuation from step 8.
  await step('11 cancel grant', async () => {
    await client.grant.cancel({
      url: finalGrant.continue.uri,
      accessToken: finalGrant.continue.access_token.value
    })
  })

  // 12. Balances after: exact BigInt deltas.
  const debit = BigInt(quote.debitAmount.value)
  const receive = BigInt(incomingPayment.incomingAmount.value)
  const after = await step('12 balances moved exactly', async () => {
    // Settlement may be asynchronous: wait (bounded) until both sides moved
    // at least the expected amounts, then require exact equality.
    const deadline = Date.now() + SETTLE_TIMEOUT_MS
    let balances = await readBalances()
    while (
      Date.now() < deadline &&
      (aliceBefore - balances.get('alice') < debit || balances.get('bob') - bobBefore < receive)
    ) {
      await sleep(100)
      balances = await readBalances()
    }
    assert.equal(aliceBefore - balances.get('alice'), debit, 'alice balance drop (before - after)')
    assert.equal(balances.get('bob') - bobBefore, receive, 'bob balance rise (after - before)')

    const ip = await client.incomingPayment.get({
      url: incomingPayment.id,
      accessToken: incomingGrant.access_token.value
    })
    assert.equal(ip.receivedAmount.value, receive.toString(), 'incoming payment receivedAmount')
    assert.equal(ip.completed, true, 'incoming payment completed once incomingAmount is received')
    return balances
  })

  console.log(
    'RESULT ' +
      JSON.stringify({
        aliceBefore: aliceBefore.toString(),
        aliceAfter: after.get('alice').toString(),
        bobBefore: bobBefore.toString(),
        bobAfter: after.get('bob').toString(),
        debit: debit.toString(),
        receive: receive.toString()
      })
  )
}

main().then(
  () => process.exit(0),
  (error) => fail(error)
)
