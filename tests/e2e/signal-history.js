'use strict';
// "Link and sync": signalctl --history links to a mock phone that has an
// ephemeral backup key, waits on /v1/devices/transfer_archive, downloads
// the archive the test put on the mock's CDN 3 (Server.provideTransferArchive)
// and prints what it read. The archive is built here (tests/lib/
// backup-archive.js) with libsignal-client's keys and passes libsignal's
// own validator first, so the C reader is checked against Signal's code.
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const zk = require('@signalapp/libsignal-client/zkgroup');
const { startMock } = require('../lib/signal-mock');
const { Ctl, tmpDb, linkDevice } = require('./signalctl-lib');
const { F, keysFor, seal, validate } = require('../lib/backup-archive');

const SIG_ERR_HISTORY = -1340, SIG_ERR_HISTORY_RELINK = -1341, SIG_ERR_HISTORY_SKIPPED = -1342;
const DAY = 24 * 3600 * 1000;

const uuidBytes = (s) => Buffer.from(s.replace(/-/g, ''), 'hex');

async function linked(mock, extra = ['--history']) {
  const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself' });
  phone.ephemeralBackupKey = crypto.randomBytes(32); // forwarded in the ProvisionMessage
  const r = await linkDevice(mock, phone, tmpDb(), extra);
  return { phone, ...r };
}

async function upload(mock, device, archive) {
  const key = crypto.randomBytes(12).toString('hex');
  fs.mkdirSync(path.join(mock.cdn3Path, 'attachments'), { recursive: true });
  fs.writeFileSync(path.join(mock.cdn3Path, 'attachments', key), archive);
  await mock.server.provideTransferArchive(device, { cdn: 3, key });
}

test('link and sync: every chat with its recent messages, as libsignal validates them', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const { phone, device, url, ctl: c } = await linked(mock);
    ctl = c;
    assert.match(url, /&capabilities=backup5$/);
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const bob = await mock.server.createPrimaryDevice({ profileName: 'Bob' });
    const A = uuidBytes(alice.device.aci), Bo = uuidBytes(bob.device.aci);
    const me = uuidBytes(phone.device.aci);
    const mk = crypto.randomBytes(32);
    const now = Date.now();
    const frames = [
      F.info({ backupTimeMs: now, mediaRootBackupKey: phone.mediaRootBackupKey }),
      F.account({ profileKey: crypto.randomBytes(32), givenName: 'Myself' }),
      F.self(1), F.releaseNotes(2),
      F.contact(3, A, 'Alice'), F.contact(4, Bo, 'Bob'),
      F.group(5, mk, 'Hikers', [me, A, Bo]),
      F.chat(10, 3), F.chat(11, 5), F.chat(12, 1), F.chat(13, 2),
      // older than the 30-day default: not imported
      F.text({ chatId: 10, authorId: 3, dateSent: now - 40 * DAY, body: 'ancient' }),
      F.text({ chatId: 10, authorId: 3, dateSent: now - 5000, body: 'hi there' }),
      F.text({ chatId: 10, authorId: 1, dateSent: now - 4000, outgoing: true, body: 'hello Alice',
        recipientIds: [3], quote: { ts: now - 5000, authorId: 3, body: 'hi there' },
        reactions: [{ emoji: '👍', authorId: 3, ts: now - 3900 }] }),
      F.text({ chatId: 11, authorId: 4, dateSent: now - 3000, body: 'see you at the top',
        revisions: [{ dateSent: now - 3500, body: 'see you at the top?' }] }),
      F.text({ chatId: 11, authorId: 3, dateSent: now - 2500, body: 'on my way' }),
      F.text({ chatId: 12, authorId: 1, dateSent: now - 2000, outgoing: true, body: 'buy milk',
        recipientIds: [1] }),
    ];
    const keys = keysFor(phone.ephemeralBackupKey, phone.device.aci);
    const archive = seal(keys, frames, { pad: 33 });
    const verdict = await validate(keys.mbk, archive);
    assert.ok(verdict.ok, `libsignal validates the archive: ${verdict.errorMessage}`);
    await upload(mock, device, archive);

    const h = await ctl.waitFor((e) => e.event === 'history', 30000, 'history');
    assert.strictEqual(h.code, undefined, h.error);
    assert.strictEqual(h.chats.length, 3, 'contact, group, Note to Self; not release notes');
    const [ca, cg, cs] = h.chats;
    assert.strictEqual(ca.kind, 'contact');
    assert.strictEqual(ca.aci, alice.device.aci);
    assert.strictEqual(ca.name, 'Alice');
    assert.strictEqual(ca.items, 3);
    assert.deepStrictEqual(ca.messages.map((x) => [x.ts, x.body, x.outgoing]),
      [[now - 5000, 'hi there', false], [now - 4000, 'hello Alice', true]]);
    assert.strictEqual(ca.messages[0].author, alice.device.aci);
    assert.strictEqual(ca.messages[1].quote_ts, now - 5000);
    assert.deepStrictEqual(ca.messages[1].reactions, [{ emoji: '👍', author: alice.device.aci }]);
    assert.strictEqual(cg.kind, 'group');
    assert.strictEqual(cg.name, 'Hikers');
    const gid = zk.GroupSecretParams.deriveFromMasterKey(new zk.GroupMasterKey(mk))
      .getPublicParams().getGroupIdentifier().serialize();
    assert.strictEqual(cg.group_id, Buffer.from(gid).toString('hex'), 'group id as libsignal zkgroup');
    assert.deepStrictEqual(cg.messages.map((x) => [x.body, x.author, !!x.edited]),
      [['see you at the top', bob.device.aci, true], ['on my way', alice.device.aci, false]]);
    assert.strictEqual(cs.kind, 'self');
    assert.deepStrictEqual(cs.messages.map((x) => x.body), ['buy milk']);
    assert.strictEqual(h.n_msgs, 5);
    await ctl.stop();
    ctl = null;
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});

test('the phone\'s errors and a bad archive end the wait, with their own codes', async () => {
  const mock = await startMock();
  const ctls = [];
  try {
    // RELINK_REQUESTED and CONTINUE_WITHOUT_UPLOAD: as their names say
    for (const [error, code] of [['RELINK_REQUESTED', SIG_ERR_HISTORY_RELINK],
      ['CONTINUE_WITHOUT_UPLOAD', SIG_ERR_HISTORY_SKIPPED]]) {
      const { device, ctl } = await linked(mock);
      ctls.push(ctl);
      await mock.server.provideTransferArchive(device, { error });
      const h = await ctl.waitFor((e) => e.event === 'history', 20000, `history ${error}`);
      assert.strictEqual(h.code, code);
      assert.strictEqual(h.chats, undefined);
    }
    // an archive under another key (wrong MAC), then a truncated one, then
    // garbage inside a valid envelope: an error, the client keeps running
    const bad = [
      (ph) => seal(keysFor(crypto.randomBytes(32), ph.device.aci), [F.info({ backupTimeMs: 1 })]),
      (ph) => seal(keysFor(ph.ephemeralBackupKey, ph.device.aci),
        [F.info({ backupTimeMs: 1 }), F.self(1)]).subarray(0, 40),
      (ph) => seal(keysFor(ph.ephemeralBackupKey, ph.device.aci),
        [F.info({ backupTimeMs: 1 }), Buffer.from([0x12, 0x40, 0x01])]),
    ];
    for (const make of bad) {
      const { phone, device, ctl } = await linked(mock);
      ctls.push(ctl);
      await upload(mock, device, make(phone));
      const h = await ctl.waitFor((e) => e.event === 'history', 20000, 'history (bad)');
      assert.strictEqual(h.code, SIG_ERR_HISTORY, h.error);
      ctl.send('cert'); // still alive and answering
      await ctl.waitFor((e) => e.event === 'sender_cert', 20000, 'alive after a bad archive');
    }
    for (const c of ctls.splice(0)) await c.stop();
  } finally {
    for (const c of ctls) await c.kill();
    await mock.close();
  }
});

test('without --history: no capability in the URL and nothing is awaited', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const { url, ctl: c } = await linked(mock, []);
    ctl = c;
    assert.ok(!/capabilities/.test(url), url);
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 15000, 'online');
    await ctl.stop();
    ctl = null;
    assert.ok(!/history transfer/.test(c.stderr), 'no transfer was awaited');
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});
