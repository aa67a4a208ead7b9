'use strict';
// Production rules (issue #11): the mock enforces what Signal's service does
// (tests/lib/signal-prodrules.js), and signalctl (C, sig_client) must pass.
// - a link with the old, empty capabilities is refused with 409, as
//   Signal-Server's DeviceController.isCapabilityDowngrade does; the same
//   client links when the rules are off, so it is the rule that bites;
// - our link declares spqr and usernameChangeSyncMessage, every handshake
//   names the client (User-Agent, X-Signal-Agent);
// - a device that lost its capabilities (linked by an old release) gets
//   them back on the next connection (PUT /v1/devices/capabilities);
// - once Signal requires SPQR, such a device is refused with 499 and the
//   client says so with its own error, distinct from "unlinked";
// - a handshake refused with 429 and Retry-After (RateLimitExceededException-
//   Mapper) makes the next reconnect wait at least that long, as
//   libsignal-net's chat connect does (ConnectError::RetryLater); the check
//   is on the delay the client chose, not on a clock;
// - the server closes a provisioning socket after 90 s (here shortened, or
//   on demand): the client opens a new one and gives a new link URL, and a
//   phone that scans the new one links.
const test = require('node:test');
const assert = require('node:assert');
const { startMock } = require('../lib/signal-mock');
const { Ctl, tmpDb, linkDevice } = require('./signalctl-lib');

const SIG_ERR_LINK_CAPABILITY = -1330;
const SIG_ERR_OUTDATED = -1333;

// Start `link` with extra flags; the phone scans. Returns the ctl.
async function startLink(mock, phone, args) {
  const provision = mock.server.waitForProvision();
  const ctl = new Ctl(mock, tmpDb(), args.concat(['link']));
  const urlEv = await ctl.waitFor((e) => e.event === 'link_url', 20000, 'link_url');
  const pending = await provision;
  // refused links never complete on the mock's side: do not wait for it
  const completed = pending.complete({ provisionURL: urlEv.url, primaryDevice: phone });
  completed.catch(() => {});
  return { ctl, completed };
}

test('the old, empty capabilities: the link is refused with 409', async () => {
  const mock = await startMock({ timeout: 8000 });
  let ctl;
  try {
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself' });
    ({ ctl } = await startLink(mock, phone, ['--test-empty-capabilities']));
    const f = await ctl.waitFor((e) => e.event === 'link_failed', 20000, 'link_failed');
    assert.strictEqual(f.code, SIG_ERR_LINK_CAPABILITY, JSON.stringify(f));
    assert.match(f.error, /409/);
    const r = mock.rules.refusals.find((x) => x.rule === 'link capabilities');
    assert.ok(r, 'the production rule refused it');
    assert.strictEqual(r.status, 409);
    assert.match(r.detail, /spqr/);
    assert.match(r.detail, /usernameChangeSyncMessage/, 'the primary has it: no downgrade');
    assert.strictEqual((await ctl.exited).code, 1);
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});

test('the same empty capabilities link when the production rules are off', async () => {
  const mock = await startMock({ productionRules: false });
  let ctl;
  try {
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself' });
    const r = await startLink(mock, phone, ['--test-empty-capabilities']);
    ctl = r.ctl;
    await r.completed;
    await ctl.waitFor((e) => e.event === 'linked', 20000, 'linked');
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});

test('a link declares the capabilities and names the client', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself' });
    const r = await linkDevice(mock, phone, tmpDb());
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');
    assert.deepStrictEqual(r.device.capabilities, { spqr: true, usernameChangeSyncMessage: true });
    assert.ok(mock.rules.handshakes.length >= 3, 'provisioning, link and chat sockets');
    for (const h of mock.rules.handshakes) {
      assert.match(h.userAgent || '', /^signalbridge\/\S+$/, `User-Agent on ${h.path}`);
      assert.strictEqual(h.signalAgent, 'signalbridge', `X-Signal-Agent on ${h.path}`);
    }
    assert.deepStrictEqual(mock.rules.refusals, []);
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});

test('an old link gets its capabilities back on the next connection', async () => {
  // the service before SPQR enforcement: a device without spqr still connects
  const mock = await startMock({ productionRulesOptions: { requireSpqr: false } });
  let ctl;
  try {
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself' });
    const db = tmpDb();
    const r = await linkDevice(mock, phone, db);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');
    await ctl.stop();
    // as if linked by a release that declared {}
    r.device.capabilities = {};
    const before = mock.rules.capabilityUpdates.length;
    ctl = new Ctl(mock, db, ['receive']);
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 15000, 'online again');
    const key = `${r.device.aci}.${r.device.deviceId}`;
    const t0 = Date.now();
    while (!mock.rules.capabilityUpdates.slice(before).some((u) => u.device === key)) {
      if (Date.now() - t0 > 15000) assert.fail('no PUT /v1/devices/capabilities from the device');
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.deepStrictEqual(r.device.capabilities, { spqr: true, usernameChangeSyncMessage: true });
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});

test('a device without spqr is refused with 499, reported as outdated', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself' });
    const db = tmpDb();
    const r = await linkDevice(mock, phone, db);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');
    await ctl.stop();
    r.device.capabilities = {}; // linked by an old release, SPQR now required
    ctl = new Ctl(mock, db, ['receive']);
    const u = await ctl.waitFor((e) => e.event === 'unlinked', 20000, 'refused');
    assert.strictEqual(u.code, SIG_ERR_OUTDATED, JSON.stringify(u));
    assert.ok(mock.rules.refusals.some((x) => x.status === 499));
    // refused for good: no reconnecting (it would be refused again)
    await ctl.exited;
    assert.strictEqual(mock.rules.refusals.filter((x) => x.status === 499).length, 1);
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});

for (const transport of ['h2', 'h1']) test(`a handshake refused with 429 and Retry-After (${transport}): the reconnect waits that long`, async () => {
  const mock = await startMock({ h1Upgrade: transport === 'h1' });
  let ctl;
  try {
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself' });
    const r = await linkDevice(mock, phone, tmpDb(), ['--transport', transport]);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');
    const seen = ctl.events.length;
    mock.rules.refuseNext.push({ path: '/v1/websocket/', status: 429, retryAfter: 4 });
    mock.destroySockets(); // the client reconnects and is refused once
    const t0 = Date.now();
    let delay;
    while (delay === undefined) {
      const i = ctl.stderr.indexOf('asks to retry in 4 s (Retry-After)');
      const m = i >= 0 ? /sn_sock: reconnect in (\d+) ms/.exec(ctl.stderr.slice(i)) : null;
      if (m) delay = Number(m[1]);
      else if (Date.now() - t0 > 20000) assert.fail(`the client did not act on Retry-After; stderr: ${ctl.stderr.slice(-2000)}`);
      else await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(mock.rules.refusals.some((f) => f.rule === 'injected' && f.status === 429));
    assert.ok(delay >= 4000, `reconnect after Retry-After 4 s chose ${delay} ms`);
    // and it does come back
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2 && ctl.events.indexOf(e) >= seen,
      30000, 'online again');
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});

function pubKey(url) {
  return new URL(url.replace('sgnl://', 'https://')).searchParams.get('pub_key');
}

test('provisioning sockets closed by the server: new URLs until the link timeout', async () => {
  const mock = await startMock({ provisioningTimeoutMs: 1000 });
  let ctl;
  try {
    ctl = new Ctl(mock, tmpDb(), ['--link-timeout', '60000', 'link']);
    await ctl.waitCount((e) => e.event === 'link_url', 3, 30000, 'three link URLs');
    const urls = ctl.events.filter((e) => e.event === 'link_url').map((e) => e.url);
    assert.strictEqual(new Set(urls).size, urls.length, 'every URL is new');
    assert.strictEqual(new Set(urls.map(pubKey)).size, urls.length, 'every URL has its own key');
    assert.ok(mock.rules.provisioningCloses >= 2, `${mock.rules.provisioningCloses} closes`);
    assert.ok(!ctl.events.some((e) => e.event === 'link_failed'), JSON.stringify(ctl.events));
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});

test('the phone scans the URL of the new provisioning socket and links', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself' });
    ctl = new Ctl(mock, tmpDb(), ['link']);
    const first = await ctl.waitFor((e) => e.event === 'link_url', 20000, 'link_url');
    await mock.rules.expireProvisioning(); // as the server's 90 s timer does
    const second = await ctl.waitFor((e) => e.event === 'link_url' && e !== first, 20000, 'a new link_url');
    assert.notStrictEqual(second.url, first.url);
    const pending = await mock.server.waitForProvision();
    await pending.complete({ provisionURL: second.url, primaryDevice: phone });
    const linked = await ctl.waitFor((e) => e.event === 'linked' || e.event === 'link_failed', 30000, 'linked');
    assert.strictEqual(linked.event, 'linked', JSON.stringify(linked));
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});
