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

test('logout with transfers in flight, then link again', async () => {
  const fs = require('fs'); // eslint-disable-line global-require
  const os = require('os'); // eslint-disable-line global-require
  const path = require('path'); // eslint-disable-line global-require
  const mock = await startMock();
  let ctl;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-logout-'));
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself', contacts: [alice] });
    const r = await linkDevice(mock, phone, tmpDb(), [], [alice]);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');
    const file = path.join(dir, 'big.bin');
    fs.writeFileSync(file, Buffer.alloc(3 << 20, 7));
    // an upload and a send in flight when we log out: cancelled cleanly
    // what the mock's websocket router is asked, on every connection
    const { Router } = require('@signalapp/mock-server/src/server/ws/router'); // eslint-disable-line global-require
    const seen = [];
    const run = Router.prototype.run;
    Router.prototype.run = function (req) {
      seen.push({ verb: req.verb, path: req.path, auth: this.isAuthenticated });
      return run.call(this, req);
    };
    try {
      ctl.send(`sendfile ${alice.device.aci} ${file}\nsend ${alice.device.aci} hi\nlogout`);
      const lo = await ctl.waitFor((e) => e.event === 'logged_out', 10000, 'logged_out');
      assert.strictEqual(lo.code, 0);
      // the phone's list of linked devices must lose us: we ask to be removed
      const del = `/v1/devices/${r.linked.device}`;
      const t0 = Date.now();
      while (!seen.some((x) => x.verb === 'DELETE' && x.path === del) && Date.now() - t0 < 10000) {
        await new Promise((res) => setTimeout(res, 50));
      }
      assert.ok(seen.some((x) => x.verb === 'DELETE' && x.path === del && x.auth),
                `the mock got DELETE ${del} on our authenticated socket (saw ${seen.length} requests)`);
    } finally {
      Router.prototype.run = run;
    }
    const provision = mock.server.waitForProvision();
    const before = ctl.events.length;
    ctl.send('link');
    const url = await ctl.waitFor((e) => e.event === 'link_url' && ctl.events.indexOf(e) >= before,
      15000, 'second link_url');
    const pending = await provision;
    await pending.complete({ provisionURL: url.url, primaryDevice: phone });
    const linked = ctl.events.filter((e) => e.event === 'linked');
    const again = await ctl.waitFor((e) => e.event === 'linked' && e.device !== r.linked.device,
      20000, 'linked again');
    assert.strictEqual(again.number, phone.device.number);
    assert.ok(linked.length >= 1);
    assert.ok(ctl.child.exitCode === null, 'still running');
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
