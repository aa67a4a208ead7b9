'use strict';
// Group state (module/signal/client/sig_gstate.c) against Signal's own
// side: the mock server 27.0.0 creates a group from a phone and two
// contacts (libsignal 0.100 zkgroup: presentations, the server stores the
// member ciphertexts), its GroupResponse bytes go to our C parser. Member
// ciphertexts are decrypted by libsignal's ClientZkGroupCipher and handed to
// the C side as a table (our zkgroup is tested by its own suite), so this
// checks field numbers, blob decryption (title, description, timer) and
// member mapping; then broken inputs give typed errors.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const zk = require('@signalapp/libsignal-client/zkgroup');
const { signalservice: pb } = require('@signalapp/mock-server/protos/compiled.js');
const { startMock } = require('../lib/signal-mock');

const TOOL = path.join(process.env.top_builddir || path.resolve(__dirname, '../../build'),
  'tests/interop/gstate_tool');
const SIG_ERR_ENVELOPE = -1311;
const hex = (b) => (b && b.length ? Buffer.from(b).toString('hex') : '-');

function run(lines) {
  const r = spawnSync(TOOL, [], { input: lines.join('\n') + '\n', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`gstate_tool exit ${r.status}: ${r.stderr}`);
  return r.stdout.toString().replace(/\n$/, '').split('\n').map((l) => {
    if (l.startsWith('ERR ')) return { err: Number(l.slice(4)) };
    const [js, keys, skipped] = l.split('\t');
    return { state: JSON.parse(js), keys, skipped: Number(skipped) };
  });
}

// The oracle's tables: ciphertext -> service id, ciphertext -> profile key.
function tables(secretParams, state) {
  const cipher = new zk.ClientZkGroupCipher(secretParams);
  const uids = [];
  const keys = [];
  const all = (state.members || []).concat((state.membersPendingProfileKey || []).map((p) => p.member));
  for (const m of all) {
    if (!m || !m.userId || !m.userId.length) continue;
    const sid = cipher.decryptServiceId(new zk.UuidCiphertext(Buffer.from(m.userId)));
    const s = sid.getServiceIdString();
    uids.push(`${hex(m.userId)}=${s.startsWith('PNI:') ? `P:${s.slice(4)}` : s}`);
    if (m.profileKey && m.profileKey.length) {
      const pk = cipher.decryptProfileKey(new zk.ProfileKeyCiphertext(Buffer.from(m.profileKey)), sid);
      keys.push(`${hex(m.profileKey)}=${hex(pk.serialize())}`);
    }
  }
  return [uids.join(',') || '-', keys.join(',') || '-'];
}

test('a group created on the mock server parses: title, revision, members, profile keys', async () => {
  const mock = await startMock();
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const bob = await mock.server.createPrimaryDevice({ profileName: 'Bob' });
    const carol = await mock.server.createPrimaryDevice({ profileName: 'Carol' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Me', contacts: [alice, bob] });
    const group = await phone.createGroup({ title: 'Weekend plans ☀', members: [phone, alice, bob] });
    const srv = await mock.server.getGroup(group.publicParams.serialize());
    assert.ok(srv, 'the server has the group');
    const state = srv.state;
    const resp = pb.GroupResponse.encode({ group: state });
    const mk = group.masterKey;
    const [uids, pkeys] = tables(group.secretParams, state);
    const pub = Buffer.from(group.publicParams.serialize());

    const [r] = run([`GS ${hex(mk)} ${hex(resp)} ${uids} ${pkeys} ${hex(pub)}`]);
    assert.equal(r.err, undefined, `parse failed: ${r.err}`);
    assert.equal(r.state.title, 'Weekend plans ☀');
    assert.equal(r.state.rev, group.revision);
    assert.equal(r.state.desc, '');
    assert.equal(r.state.timer, 0);
    const acis = r.state.members.map((m) => m[0]).sort();
    assert.deepEqual(acis, [phone.device.aci, alice.device.aci, bob.device.aci].sort());
    for (const m of r.state.members) {
      assert.equal(m[1], 2, 'createGroup makes everyone an administrator');
      assert.equal(m[3], true, 'profile key present');
    }
    // the profile keys come back in member order, each the member's own
    const who = { [phone.device.aci]: phone, [alice.device.aci]: alice, [bob.device.aci]: bob };
    r.state.members.forEach((m, i) => {
      const got = r.keys.slice(64 * i, 64 * (i + 1));
      assert.equal(got, hex(who[m[0]].profileKey.serialize()), `profile key of member ${i}`);
    });
    assert.equal(r.skipped, 0);

    // a later revision with a description, a timer and an invited member
    const cipher = new zk.ClientZkGroupCipher(group.secretParams);
    const blob = (content) => Buffer.from(cipher.encryptBlob(pb.GroupAttributeBlob.encode({ content })));
    const state2 = {
      ...state,
      version: 3,
      description: blob({ descriptionText: 'bring snacks' }),
      disappearingMessagesTimer: blob({ disappearingMessagesDuration: 3600 }),
      membersPendingProfileKey: [{
        member: { userId: group.encryptServiceId(carol.device.aci), role: 1 },
        addedByUserId: state.members[0].userId,
        timestamp: 1n,
      }],
    };
    const resp2 = pb.GroupResponse.encode({ group: state2 });
    const [uids2, pkeys2] = tables(group.secretParams, state2);
    // one member id the oracle does not know: left out and counted
    const partial = uids2.split(',').filter((e) => !e.includes(bob.device.aci)).join(',');
    const [r2, r3] = run([`GS ${hex(mk)} ${hex(resp2)} ${uids2} ${pkeys2}`,
      `GS ${hex(mk)} ${hex(resp2)} ${partial} ${pkeys2}`]);
    assert.equal(r2.err, undefined, `parse failed: ${r2.err}`);
    assert.equal(r2.state.rev, 3);
    assert.equal(r2.state.desc, 'bring snacks');
    assert.equal(r2.state.timer, 3600);
    assert.deepEqual(r2.state.pending.map((m) => m[0]), [carol.device.aci]);
    assert.equal(r2.state.pending[0][1], 1);
    assert.equal(r3.state.members.length, 2);
    assert.equal(r3.skipped, 1);
    assert.ok(!r3.state.members.some((m) => m[0] === bob.device.aci));

    // broken inputs: another group's master key (title does not decrypt),
    // another group's public params, truncated and random bytes
    const other = crypto.randomBytes(32);
    const otherPub = '00'.repeat(97);
    const bad = run([
      `GS ${hex(other)} ${hex(resp)} ${uids} ${pkeys}`,
      `GS ${hex(mk)} ${hex(resp)} ${uids} ${pkeys} ${otherPub}`,
      `GS ${hex(mk)} ${hex(resp.subarray(0, resp.length - 7))} ${uids} ${pkeys}`,
      `GS ${hex(mk)} ${hex(crypto.randomBytes(300))} ${uids} ${pkeys}`,
      `GS ${hex(mk)} - - -`,
    ]);
    for (const [i, b] of bad.entries()) assert.equal(b.err, SIG_ERR_ENVELOPE, `bad input ${i}: ${JSON.stringify(b)}`);
  } finally {
    await mock.close();
  }
});
