'use strict';
// Receive: the phone and contacts of the unmodified mock send to our C
// device (signalctl receive); PreKey and Whisper messages, sealed sender
// v1, a PNI-addressed message and a sender-key group message (sealed
// sender v2) arrive decrypted, in order. Then a burst during which the
// server side of the socket is killed: after the reconnect every message
// is there exactly once. A harness send resolves only when our client
// acknowledged it, and our client acknowledges only after storing it.
const test = require('node:test');
const assert = require('node:assert');
const { startMock } = require('../lib/signal-mock');
const { tmpDb, linkDevice } = require('./signalctl-lib');

const isMsg = (e) => e.event === 'message';

async function setup() {
  const mock = await startMock();
  const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
  const bob = await mock.server.createPrimaryDevice({ profileName: 'Bob' });
  const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself', contacts: [alice, bob] });
  const r = await linkDevice(mock, phone, tmpDb(), [], [alice, bob]);
  return { mock, alice, bob, phone, ...r };
}

test('phone and contacts send; received decrypted and in order', async () => {
  const s = await setup();
  try {
    await s.phone.sendText(s.device, 'hello from phone');
    await s.alice.sendText(s.device, 'hello from alice', { withProfileKey: true });
    await s.alice.sendText(s.device, 'second from alice');
    await s.bob.sendText(s.device, 'sealed from bob', { sealed: true });
    await s.alice.sendText(s.device, 'to your PNI', { serviceIdKind: 'PNI' });
    const msgs = await s.ctl.waitCount(isMsg, 5, 20000, 'messages');
    assert.deepStrictEqual(msgs.map((m) => m.body), ['hello from phone', 'hello from alice',
      'second from alice', 'sealed from bob', 'to your PNI']);
    assert.strictEqual(msgs[0].sender, s.phone.device.aci);
    assert.strictEqual(msgs[1].sender, s.alice.device.aci);
    assert.strictEqual(msgs[3].sender, s.bob.device.aci);
    assert.strictEqual(msgs[3].sealed, true);
    assert.strictEqual(msgs[1].sealed, false);
    assert.strictEqual(msgs[4].to_pni, true);
    assert.strictEqual(msgs[1].to_pni, false);
    assert.ok(!s.ctl.events.some((e) => e.event === 'decrypt_failed'),
      JSON.stringify(s.ctl.events.filter((e) => e.event === 'decrypt_failed')));
  } finally {
    await s.ctl.kill();
    await s.mock.close();
  }
});

test('sender-key group message (sealed sender v2) from a contact', async () => {
  const s = await setup();
  try {
    const group = await s.phone.createGroup({ title: 'G', members: [s.phone, s.alice] });
    const distributionId = await s.alice.sendSenderKey(s.device, { timestamp: Date.now() });
    await s.alice.sendText(s.device, 'hello via sender key',
      { sealed: true, group, distributionId, timestamp: Date.now() });
    const [m] = await s.ctl.waitCount(isMsg, 1, 20000, 'group message');
    assert.strictEqual(m.body, 'hello via sender key');
    assert.strictEqual(m.sender, s.alice.device.aci);
    assert.strictEqual(m.sealed, true);
    assert.strictEqual(m.group, true);
  } finally {
    await s.ctl.kill();
    await s.mock.close();
  }
});

test('socket killed mid-burst: reconnect, nothing lost, nothing duplicated', async () => {
  const s = await setup();
  try {
    const N = 100;
    const sends = [];
    let atKill = -1;
    // kill the server side of every connection the moment the 5th message
    // shows up on our side (synchronously, in the stdout handler)
    s.ctl.onEvent = () => {
      const n = s.ctl.events.filter(isMsg).length;
      if (atKill < 0 && n >= 5) {
        atKill = n;
        s.mock.destroySockets();
      }
    };
    for (let i = 0; i < N; i++) {
      sends.push(s.alice.sendText(s.device, `burst ${i}`, { timestamp: 1700000000000 + i }));
    }
    // each resolves once our client acked it; fail (not hang) if it died
    await Promise.race([Promise.all(sends),
      s.ctl.exited.then((x) => { throw new Error(`signalctl exited ${JSON.stringify(x)}: ${s.ctl.stderr.slice(-2000)}`); }),
      new Promise((_, rej) => setTimeout(() => rej(new Error('burst not acked in 30 s')), 30000).unref())]);
    await s.ctl.waitCount(isMsg, N, 30000, 'burst messages');
    // every burst message was acked: the server has nothing left to
    // redeliver, and what it sends now reaches us after anything it sent
    // before, duplicates included
    await s.alice.sendText(s.device, 'after the burst', { timestamp: 1700000000000 + N });
    await s.ctl.waitFor((e) => isMsg(e) && e.body === 'after the burst', 30000, 'the message after the burst');
    const msgs = s.ctl.events.filter((e) => isMsg(e) && e.body !== 'after the burst');
    const bodies = msgs.map((m) => m.body);
    assert.strictEqual(bodies.length, N, `exactly ${N}: ${JSON.stringify(bodies)}`);
    assert.deepStrictEqual([...new Set(bodies)].sort(), Array.from({ length: N }, (_, i) => `burst ${i}`).sort());
    assert.ok(s.ctl.events.filter((e) => e.event === 'conn' && e.conn === 2).length >= 2,
      'the client reconnected');
    assert.strictEqual(msgs.length, N);
    assert.ok(atKill > 0 && atKill < N, `killed mid-burst (${atKill} of ${N} received at the kill)`);
  } finally {
    await s.ctl.kill();
    await s.mock.close();
  }
});
