// End-to-end: at-least-once delivery from mxhs to a module, and transaction
// IDs scoped per request path. The scriptable module hstest.so
// (tests/e2e/hstest_mod.c) logs every on_event to a file that survives
// kill -9, and can be told to SIGKILL the whole server inside its K-th next
// on_event, i.e. while that event and the ones after it are queued. After
// each crash mxhs restarts on the same database: every event the room holds
// (what /messages shows a member, which includes every send acknowledged
// with 200 and the one whose on_event was killed) must reach the module (at
// least once, none lost), and each server run delivers in stream order.
// K is seeded; the seed is printed (TEST_SEED=<n> repeats a run).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Homeserver, until, SERVER, HSTEST } = require('./mxhs_harness.js');

const SEED = Number(process.env.TEST_SEED || (Date.now() % 2147483647));
console.log(`mxhs_redeliver seed ${SEED} (TEST_SEED=${SEED} to repeat)`);
function mulberry32(a) {
  return () => {
    a = (a + 0x6D2B79F5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(SEED);

const hs = new Homeserver({ modules: [{ path: HSTEST, double_puppet: false }] });
const BOT = `@hst_bot:${SERVER}`;
const enc = encodeURIComponent;
let alice, room;

async function mod(op, body) {
  const r = await hs.req('POST', `/_mxm/hstest/${op}`, { body });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
}

// [{pid, id}] in the order on_event saw them, across every server run.
function delivered() {
  const f = path.join(hs.dir, 'hstest', 'hstest-events.log');
  if (!fs.existsSync(f)) return [];
  return fs.readFileSync(f, 'utf8').split('\n').filter(Boolean)
    .map((l) => { const [pid, id] = l.split(' '); return { pid, id }; });
}

// The room's m.room.message event IDs in stream order, as a member reads them.
async function stored() {
  const r = await hs.req('GET', `/_matrix/client/v3/rooms/${enc(room)}/messages?dir=f&limit=1000`,
    { token: alice.access_token });
  assert.equal(r.status, 200);
  return r.json.chunk.filter((e) => e.type === 'm.room.message').map((e) => e.event_id);
}

before(async () => {
  await hs.start();
  assert.equal(hs.registerUser('alice', 'pw-alice').status, 0);
  alice = (await hs.req('POST', '/_matrix/client/v3/login',
    { body: { type: 'm.login.password', user: 'alice', password: 'pw-alice' } })).json;
  assert.equal((await mod('ensure', { localpart: 'hst_bot' })).status, 200);
  room = (await hs.req('POST', '/_matrix/client/v3/createRoom',
    { token: alice.access_token, body: { preset: 'private_chat', invite: [BOT] } })).json.room_id;
  const j = await mod('request', { user: BOT, method: 'POST', path: `/_matrix/client/v3/rooms/${enc(room)}/join`, body: {} });
  assert.equal(j.status, 200, JSON.stringify(j));
});

after(async () => {
  const r = await hs.stop();
  hs.cleanup();
  assert.equal(r.code, 0);
});

test('kill -9 with events queued for a module: all reach it after restart, in order', async () => {
  const ROUNDS = 3, N = 12;
  const acked = [];
  for (let round = 0; round < ROUNDS; round++) {
    const k = 1 + Math.floor(rand() * N);
    await mod('die', { after: k });
    for (let i = 0; i < N; i++) {
      let r;
      try {
        r = await hs.req('PUT', `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/c${round}-${i}`,
          { token: alice.access_token, body: { msgtype: 'm.text', body: `round ${round} #${i}` } });
      } catch (e) {
        break; // the server died under this request: it was not acknowledged
      }
      assert.equal(r.status, 200, JSON.stringify(r.json));
      acked.push(r.json.event_id);
    }
    const ex = await hs.exited;
    assert.equal(ex.sig, 'SIGKILL', `round ${round}: the module killed the server (K=${k})`);
    hs.proc = null;
    await hs.start();
    const held = await stored();
    assert.ok(acked.every((id) => held.includes(id)), 'every acknowledged send is stored');
    await until(() => { const got = new Set(delivered().map((d) => d.id)); return held.every((id) => got.has(id)); },
      `round ${round} (K=${k}, seed ${SEED}): every stored event delivered after the restart`)
      .catch((e) => {
        const got = new Set(delivered().map((d) => d.id));
        throw new Error(`${e.message}; never delivered: ${held.filter((id) => !got.has(id)).length} of ${held.length}`);
      });
  }
  const held = await stored();
  const log = delivered();
  const got = new Set(log.map((d) => d.id));
  const lost = held.filter((id) => !got.has(id));
  assert.deepEqual(lost, [], 'no stored event lost');
  const index = new Map(held.map((id, i) => [id, i]));
  const last = new Map();
  for (const d of log) {
    if (!index.has(d.id)) continue;
    const prev = last.has(d.pid) ? last.get(d.pid) : -1;
    assert.ok(index.get(d.id) > prev, `server run ${d.pid} delivered ${d.id} out of order (seed ${SEED})`);
    last.set(d.pid, index.get(d.id));
  }
  const dups = log.filter((d) => index.has(d.id)).length - held.length;
  console.log(`stored ${held.length} messages (${acked.length} acknowledged), ${dups} redelivered after crashes`);
});

test('transaction IDs are per request path: same txnId, two rooms or paths, two events', async () => {
  const room2 = (await hs.req('POST', '/_matrix/client/v3/createRoom',
    { token: alice.access_token, body: { preset: 'private_chat' } })).json.room_id;
  const put = async (p, body) => {
    const r = await hs.req('PUT', p, { token: alice.access_token, body });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json.event_id;
  };
  const msg = { msgtype: 'm.text', body: 'same txn' };
  const e1 = await put(`/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/same`, msg);
  const e2 = await put(`/_matrix/client/v3/rooms/${enc(room2)}/send/m.room.message/same`, msg);
  assert.notEqual(e2, e1, 'another room is another transaction');
  const e3 = await put(`/_matrix/client/v3/rooms/${enc(room)}/send/m.custom.type/same`, msg);
  assert.notEqual(e3, e1, 'another event type is another transaction');
  assert.equal(await put(`/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/same`, msg), e1,
    'the same path again is the same event');
  const ev = await hs.req('GET', `/_matrix/client/v3/rooms/${enc(room2)}/event/${enc(e2)}`, { token: alice.access_token });
  assert.equal(ev.json.content.body, 'same txn', 'the second room really has its event');
  const red = await put(`/_matrix/client/v3/rooms/${enc(room)}/redact/${enc(e3)}/same`, {});
  assert.ok(![e1, e2, e3].includes(red), 'a redaction with the same txnId is its own event');
  assert.equal(await put(`/_matrix/client/v3/rooms/${enc(room)}/redact/${enc(e3)}/same`, {}), red);
  // a module's user: same txnId in two rooms (the two-owner collision of issue 12)
  const j = await mod('request', { user: BOT, method: 'PUT', path: `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/g1`, body: msg });
  const k = await mod('request', { user: BOT, method: 'PUT', path: `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/g1`, body: msg });
  assert.equal(k.json.event_id, j.json.event_id, 'a module retry is idempotent');
  await hs.restart();
  assert.equal(await put(`/_matrix/client/v3/rooms/${enc(room2)}/send/m.room.message/same`, msg), e2,
    'idempotent across a restart');
});
