'use strict';
// Unlink: the server removes our device (as when the phone unlinks it);
// on the next connection the server closes with 3000 and the client reports
// the distinct "unlinked" event (not a plain disconnect) and stops.
const test = require('node:test');
const assert = require('node:assert');
const { startMock } = require('../lib/signal-mock');
const { Ctl, tmpDb, linkDevice } = require('./signalctl-lib');

const SIG_ERR_UNLINKED = -1306;

test('server-side unlink is reported as unlinked', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself' });
    const db = tmpDb();
    const r = await linkDevice(mock, phone, db);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');
    assert.ok(!ctl.events.some((e) => e.event === 'unlinked'));
    await mock.server.removeDeviceByServiceId(phone.device.aci, r.linked.device);
    mock.destroySockets();
    const u = await ctl.waitFor((e) => e.event === 'unlinked', 20000, 'unlinked');
    assert.strictEqual(u.code, SIG_ERR_UNLINKED);
    const { code } = await ctl.exited;
    assert.strictEqual(code, 1);
    // a later start with the same (now invalid) credentials says so again
    ctl = new Ctl(mock, db, ['receive']);
    await ctl.waitFor((e) => e.event === 'unlinked', 20000, 'unlinked again');
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});
