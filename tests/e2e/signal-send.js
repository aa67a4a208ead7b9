'use strict';
// Send: our C device (signalctl, commands on stdin) sends text to a mock
// contact; the contact's libsignal decrypts it (contact.waitForMessage) and
// the phone gets the SyncMessage.Sent transcript. A secondary device added
// to the contact makes the server answer 409 (missing device), a replaced
// one 410 (stale registration id): both are fixed and retried. An unknown
// account is a typed "unregistered" error; 413 is "too big", 429 "rate
// limited".
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('crypto');
const { startMock } = require('../lib/signal-mock');
const { tmpDb, linkDevice } = require('./signalctl-lib');
const { Router } = require('@signalapp/mock-server/src/server/ws/router');

const SIG_ERR_UNREGISTERED = -1309;
const SIG_ERR_CHALLENGE = -1308;
const SIG_ERR_RATE_LIMIT = -1307;
const SIG_ERR_TOO_BIG = -1313;

// Statuses the mock never gives on PUT /v1/messages but production does
// (Signal-Server MessageController): 413 when one device's content is over
// 96 KiB (MessageSender MAX_MESSAGE_SIZE), 429 when rate limited
// (RateLimitExceededExceptionMapper, with Retry-After in seconds).
// `injectStatus` answers the next send with it, `injectRetryAfter` adds
// that Retry-After header.
let injectStatus = 0;
let injectRetryAfter;
const origPut = Router.prototype.put;
Router.prototype.put = function put(pattern, handler) {
  if (pattern !== '/v1/messages/:serviceId') return origPut.call(this, pattern, handler);
  return origPut.call(this, pattern, async (...args) => {
    const st = injectStatus;
    const ra = injectRetryAfter;
    injectStatus = 0;
    injectRetryAfter = undefined;
    if (st && ra !== undefined) return [st, {}, { 'Retry-After': String(ra) }];
    return st ? [st, {}] : handler(...args);
  });
};

async function sendAndWait(ctl, to, text) {
  const before = ctl.events.filter((e) => e.event === 'send_done').length;
  ctl.send(`send ${to} ${text}`);
  const started = await ctl.waitFor((e) => e.event === 'send_started' &&
    ctl.events.filter((x) => x.event === 'send_started').indexOf(e) === before, 10000, 'send_started');
  assert.strictEqual(started.code, 0, JSON.stringify(started));
  const done = await ctl.waitCount((e) => e.event === 'send_done', before + 1, 20000, 'send_done');
  return done[before];
}

test('text to a contact arrives; 409 and 410 are handled; 404 is typed', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself', contacts: [alice] });
    const r = await linkDevice(mock, phone, tmpDb(), [], [alice]);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');

    // plain send: session from a GET /v2/keys bundle, PreKey message
    let done = await sendAndWait(ctl, alice.device.aci, 'hi alice from C');
    assert.strictEqual(done.code, undefined, JSON.stringify(done));
    let got = await alice.waitForMessage();
    assert.strictEqual(got.body, 'hi alice from C');
    assert.strictEqual(got.source.aci, phone.device.aci);
    assert.strictEqual(String(got.dataMessage.timestamp), String(done.timestamp));
    const sent = await phone.waitForSyncMessage((e) => e.syncMessage.content?.sent != null);
    assert.strictEqual(sent.syncMessage.content.sent.message.body, 'hi alice from C');
    assert.strictEqual(String(sent.syncMessage.content.sent.timestamp), String(done.timestamp));

    // 409: alice gained a device we have no session with
    await mock.server.createSecondaryDevice(alice);
    done = await sendAndWait(ctl, alice.device.aci, 'after 409');
    assert.strictEqual(done.code, undefined, JSON.stringify(done));
    got = await alice.waitForMessage();
    assert.strictEqual(got.body, 'after 409');
    assert.match(ctl.stderr, /send got 409/);

    // 410: device 2 replaced (new registration id); our session is stale
    await mock.server.removeDeviceByServiceId(alice.device.aci, 2);
    await mock.server.createSecondaryDevice(alice);
    done = await sendAndWait(ctl, alice.device.aci, 'after 410');
    assert.strictEqual(done.code, undefined, JSON.stringify(done));
    got = await alice.waitForMessage();
    assert.strictEqual(got.body, 'after 410');
    assert.match(ctl.stderr, /send got 410/);

    // 428: the server rate-limits us towards alice and wants a challenge
    mock.server.rateLimit({ source: phone.device.aci, target: alice.device.aci });
    done = await sendAndWait(ctl, alice.device.aci, 'rate limited');
    assert.strictEqual(done.code, SIG_ERR_CHALLENGE, JSON.stringify(done));
    mock.server.stopRateLimiting({ source: phone.device.aci, target: alice.device.aci });
    done = await sendAndWait(ctl, alice.device.aci, 'after the limit');
    assert.strictEqual(done.code, undefined, JSON.stringify(done));
    assert.strictEqual((await alice.waitForMessage()).body, 'after the limit');

    // 413 is "too big" (not retried as a rate limit), 429 "rate limited"
    injectStatus = 413;
    done = await sendAndWait(ctl, alice.device.aci, 'too big');
    assert.strictEqual(done.code, SIG_ERR_TOO_BIG, JSON.stringify(done));
    injectStatus = 429;
    done = await sendAndWait(ctl, alice.device.aci, 'too fast');
    assert.strictEqual(done.code, SIG_ERR_RATE_LIMIT, JSON.stringify(done));
    assert.strictEqual(done.retry_after_ms, undefined, 'no Retry-After, no delay');
    // with Retry-After (seconds) the delay reaches the caller, who resends
    injectStatus = 429;
    injectRetryAfter = 17;
    done = await sendAndWait(ctl, alice.device.aci, 'too fast, wait');
    assert.strictEqual(done.code, SIG_ERR_RATE_LIMIT, JSON.stringify(done));
    assert.strictEqual(done.retry_after_ms, 17000, JSON.stringify(done));
    // an HTTP-date (not what Signal-Server sends) is ignored, as libsignal does
    injectStatus = 429;
    injectRetryAfter = 'Wed, 21 Oct 2026 07:28:00 GMT';
    done = await sendAndWait(ctl, alice.device.aci, 'too fast, dated');
    assert.strictEqual(done.code, SIG_ERR_RATE_LIMIT, JSON.stringify(done));
    assert.strictEqual(done.retry_after_ms, undefined, JSON.stringify(done));
    done = await sendAndWait(ctl, alice.device.aci, 'after waiting');
    assert.strictEqual(done.code, undefined, JSON.stringify(done));
    assert.strictEqual((await alice.waitForMessage()).body, 'after waiting');

    // 404: nobody has this ACI
    done = await sendAndWait(ctl, crypto.randomUUID(), 'to nobody');
    assert.strictEqual(done.code, SIG_ERR_UNREGISTERED, JSON.stringify(done));
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});
