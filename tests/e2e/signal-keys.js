'use strict';
// Keys and transports: when the server's stock of our one-time pre-keys
// runs low, the next connection tops it up (GET /v2/keys count, PUT
// /v2/keys); and the whole link + receive flow works over the HTTP/1.1
// websocket Upgrade that production uses (the mock launcher's h1 shim).
const test = require('node:test');
const assert = require('node:assert');
const { startMock } = require('../lib/signal-mock');
const { tmpDb, linkDevice } = require('./signalctl-lib');

async function until(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    // eslint-disable-next-line no-await-in-loop
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    // eslint-disable-next-line no-await-in-loop
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('one-time pre-keys are refilled when low', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself' });
    const r = await linkDevice(mock, phone, tmpDb(), ['--prekeys', '10']);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');
    // others used up most of them (linkDevice took one for the phone)
    for (let i = 0; i < 6; i++) await r.device.popSingleUseKey(); // eslint-disable-line no-await-in-loop
    const low = await r.device.getPreKeyCount();
    assert.ok(low < 5, `low stock (${low})`);
    mock.destroySockets(); // next connection checks the counts
    await until(async () => (await r.device.getPreKeyCount()) === 10, 15000, 'refilled to 10');
    assert.match(ctl.stderr, /pre-keys low/);
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});

test('link and receive over the HTTP/1.1 websocket upgrade', async () => {
  const mock = await startMock({ h1Upgrade: true });
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself', contacts: [alice] });
    const r = await linkDevice(mock, phone, tmpDb(), ['--transport', 'h1'], [alice]);
    ctl = r.ctl;
    assert.strictEqual(r.linked.number, phone.device.number);
    await alice.sendText(r.device, 'over h1');
    const m = await ctl.waitFor((e) => e.event === 'message', 20000, 'message');
    assert.strictEqual(m.body, 'over h1');
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});

test('the sealed-sender certificate is fetched, validated and cached', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself' });
    const r = await linkDevice(mock, phone, tmpDb());
    ctl = r.ctl;
    const ev = await until(async () => {
      const n = ctl.events.length;
      ctl.send('cert');
      const e = await ctl.waitFor((x) => x.event === 'sender_cert' && ctl.events.indexOf(x) >= n,
        5000, 'sender_cert');
      return e.code === 0 ? e : null;
    }, 15000, 'a cached certificate');
    assert.ok(ev.bytes > 100, `certificate bytes ${ev.bytes}`);
    assert.ok(ev.expires > Date.now());
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});
