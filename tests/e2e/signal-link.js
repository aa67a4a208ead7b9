'use strict';
// Link: signalctl (C, sig_client) against the unmodified mock server. The
// phone completes provisioning with exactly the URL the C side printed;
// the C side must report "linked" with the phone's number and ACI, and the
// mock must see our one-time keys for ACI and PNI (complete() resolves only
// then). A link nobody completes ends with the distinct timeout error.
const test = require('node:test');
const assert = require('node:assert');
const { startMock } = require('../lib/signal-mock');
const { Ctl, tmpDb, linkDevice } = require('./signalctl-lib');

const SIG_ERR_LINK_TIMEOUT = -1301;

test('link completes with the URL the client produced', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself' });
    const db = tmpDb();
    const r = await linkDevice(mock, phone, db);
    ctl = r.ctl;
    assert.match(r.url, /^sgnl:\/\/linkdevice\?uuid=[0-9a-f-]{36}&pub_key=[A-Za-z0-9%]+$/);
    assert.ok(!/[+/=]/.test(r.url.split('pub_key=')[1]), 'pub_key percent-encoded');
    assert.strictEqual(r.linked.number, phone.device.number);
    assert.strictEqual(r.linked.aci, phone.device.aci);
    assert.ok(r.linked.device >= 2, 'a secondary device id');
    assert.strictEqual(r.device.deviceId, r.linked.device);
    // complete() above resolved: the mock saw one-time keys for ACI and PNI
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');
    await ctl.stop();
    ctl = null;
    // the account persisted: a new process reconnects without relinking
    ctl = new Ctl(mock, db, ['receive']);
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 15000, 'online again');
    assert.ok(!ctl.events.some((e) => e.event === 'unlinked'));
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});

test('a link nobody completes times out with its own error', async () => {
  const mock = await startMock({ timeout: 4000 });
  let ctl;
  try {
    const provision = mock.server.waitForProvision(); // keep the socket served
    provision.catch(() => {}); // rejects after the mock's 4 s queue timeout
    ctl = new Ctl(mock, tmpDb(), ['--link-timeout', '1500', 'link']);
    await ctl.waitFor((e) => e.event === 'link_url', 15000, 'link_url');
    const f = await ctl.waitFor((e) => e.event === 'link_failed', 10000, 'link_failed');
    assert.strictEqual(f.code, SIG_ERR_LINK_TIMEOUT);
    const { code } = await ctl.exited;
    assert.strictEqual(code, 1);
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});
