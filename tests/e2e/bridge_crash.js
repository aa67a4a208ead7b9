// Crash tests of issue #12 item 7: kill -9 of mxhs (signalbridge inside) at
// seeded random points during a burst of messages, in each direction, with a
// real Matrix client (matrix-js-sdk, reconnecting with the same access
// token) and Signal's own mock server as Signal. After the burst, every
// message must be there exactly once and in order per chat.
//
//   CRASH_SEED=<n>    replay a run (the seed is printed at start and in
//                     every failure message)
//   CRASH_N_S2M, CRASH_N_M2S, CRASH_ROUNDS   burst sizes and kills per burst
//
// Idempotency the test relies on, as the production peers behave:
// - a Matrix client retries an unacknowledged send with the same txnId
//   (Matrix C-S API, PUT /rooms/{roomId}/send/{eventType}/{txnId};
//   matrix-js-sdk reuses the event's txnId on resend); this test does that
//   explicitly after every restart;
// - a Signal client drops a second copy of a message with the same sender
//   and sent timestamp (Signal-Desktop ts/messages/handleDataMessage.ts,
//   "Received duplicate message" via DataReader.getMessageBySender), so
//   Matrix->Signal copies are counted once per distinct timestamp;
// - Signal's server redelivers a message the device did not acknowledge
//   (the mock queues it again when the socket closes:
//   @signalapp/mock-server src/server/base.js send()).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./bridge_fault_lib.js');

const SEED = L.seedFromEnv();
const N_S2M = Number(process.env.CRASH_N_S2M || 200);
const N_M2S = Number(process.env.CRASH_N_M2S || 100);
const ROUNDS = Number(process.env.CRASH_ROUNDS || 15);
console.log(`crash: seed=${SEED} (replay with CRASH_SEED=${SEED})`);

let env;
const results = {};
let crashPoints = 0;

// `rounds` kill points for a burst of n, from the seeded PRNG: the count
// of messages done at which to kill, and a short extra delay so that the
// kill also lands inside the bridge's processing of the next messages.
function plan(rand, n, rounds) {
  const pts = [];
  for (let i = 0; i < rounds; i++) pts.push({ at: rand.int(1, n - 1), delayMs: rand.int(0, 40) });
  return pts.sort((a, b) => a.at - b.at);
}

// Run the kill plan against `progress()` (messages done so far) until
// every point has been used; kills only while the burst runs.
async function killer(pts, progress, label) {
  for (const p of pts) {
    await L.until(() => progress() >= p.at, `${label}: the burst to reach message ${p.at} (seed=${SEED})`, 120000);
    if (p.delayMs) await new Promise((r) => setTimeout(r, p.delayMs));
    await L.crash(env);
    crashPoints += 1;
  }
}

const contactSends = (body) => L.contactSends(env, body);

function summary() {
  const s = results.s2m ? `s2m lost=${results.s2m.lost} dup=${results.s2m.dup} order=${results.s2m.order} of ${results.s2m.of}` : 's2m not run';
  const m = results.m2s ? `m2s lost=${results.m2s.lost} dup=${results.m2s.dup} order=${results.m2s.order} of ${results.m2s.of}` +
    ` false-notices=${results.m2s.notices}` : 'm2s not run';
  return `crash: ${s}; ${m}; crash points=${crashPoints} seed=${SEED}`;
}

test.before(async () => {
  env = await L.setupBridge();
});

test.after(async () => {
  console.log(summary());
  await L.stopAll(env);
});

test('Signal->Matrix: kill -9 during a burst loses nothing and doubles nothing', { timeout: 300000 }, async () => {
  const rand = L.prng(SEED);
  const sent = Array.from({ length: N_S2M }, (_, i) => `s2m ${i}`);
  let acked = 0;
  const pts = plan(rand, N_S2M, ROUNDS);
  const kills = killer(pts, () => acked, 's2m');
  kills.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
  // One contact writing one message after another: each send resolves when
  // the bridge acknowledged it to Signal (or, after a kill, once the mock
  // redelivered it to the restarted bridge).
  for (const body of sent) {
    await contactSends(body);
    acked += 1;
  }
  await kills;
  // a fence after the burst: Signal->Matrix is handled in order per chat, so
  // once the fence is in the room everything sent before it has been handled
  await contactSends('s2m fence');
  let fenced = true;
  await L.until(async () => (await L.roomEvents(env, env.portal)).some((e) => L.textOf(e) === 's2m fence'),
                `the fence in the portal (seed=${SEED})`, 120000).catch(() => { fenced = false; });
  const seen = (await L.roomEvents(env, env.portal)).map(L.textOf).filter((b) => b && b.startsWith('s2m ') && b !== 's2m fence');
  const t = L.tally(sent, seen);
  results.s2m = t;
  const msg = `s2m lost=${t.lost} dup=${t.dup} order=${t.order} of ${t.of}; crash points=${pts.length}; seed=${SEED}` +
    (fenced ? '' : '; the fence never arrived') + (t.lost ? `; lost: ${t.lostList.slice(0, 10).join(', ')}` : '');
  console.log(`crash: ${msg}`);
  assert.ok(fenced && t.lost === 0 && t.dup === 0 && t.order === 0, msg);
});

test('Matrix->Signal: kill -9 during a burst loses nothing and doubles nothing', { timeout: 300000 }, async () => {
  const rand = L.prng(SEED ^ 0x5bd1e995);
  const sent = Array.from({ length: N_M2S }, (_, i) => `m2s ${i}`);
  const startGot = env.got.length;
  let done = 0;
  const pts = plan(rand, N_M2S, ROUNDS);
  const kills = killer(pts, () => done, 'm2s');
  kills.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
  const run = `${SEED}-${Date.now()}`;
  // The client sends one message after another; a send that got no 200 is
  // retried with the same txnId once the server answers again, as
  // matrix-js-sdk does.
  for (const [i, body] of sent.entries()) {
    const txn = `crash-${run}-${i}`;
    await L.until(() => L.putText(env, env.portal, txn, body), `a 200 for '${body}' (seed=${SEED})`, 120000);
    done += 1;
  }
  await kills;
  // The fence is the test's own marker, not part of the burst: send it once
  // the bridge is back on Signal (a message from the contact came through),
  // so that it measures the burst and not the start-up.
  await contactSends('m2s probe');
  await L.until(async () => (await L.roomEvents(env, env.portal)).some((e) => L.textOf(e) === 'm2s probe'),
                `the bridge back on Signal (seed=${SEED})`, 60000);
  await L.until(() => L.putText(env, env.portal, `crash-${run}-fence`, 'm2s fence'), 'the fence sent', 60000);
  let fenced = true;
  const bodyOf = (m) => m.dataMessage?.body ?? '';
  await L.until(() => env.got.slice(startGot).some((m) => bodyOf(m) === 'm2s fence'),
                `the fence at the contact (seed=${SEED})`, 60000).catch(() => { fenced = false; });
  // What the contact's Signal app shows: one message per sent timestamp,
  // in timestamp order.
  const byTs = new Map();
  let sameTs = 0;
  for (const m of env.got.slice(startGot)) {
    const b = bodyOf(m);
    if (!b.startsWith('m2s ') || b === 'm2s fence') continue;
    const ts = String(m.dataMessage.timestamp);
    if (byTs.has(ts)) { sameTs += 1; continue; }
    byTs.set(ts, b);
  }
  const shown = [...byTs.entries()].sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1)).map((e) => e[1]);
  const t = L.tally(sent, shown);
  // false alarms: "not delivered" notices in the portal for messages the
  // contact did receive
  const notices = (await L.roomEvents(env, env.portal))
    .filter((e) => e.type === 'm.room.message' && e.content.msgtype === 'm.notice' && /not delivered/.test(e.content.body)).length;
  t.notices = Math.max(0, notices - t.lost - (fenced ? 0 : 1));
  results.m2s = t;
  const msg = `m2s lost=${t.lost} dup=${t.dup} order=${t.order} of ${t.of}; false-notices=${t.notices}` +
    ` (same-timestamp resends=${sameTs}, harmless); crash points=${pts.length}; seed=${SEED}` +
    (fenced ? '' : '; the fence never arrived') + (t.lost ? `; lost: ${t.lostList.slice(0, 10).join(', ')}` : '');
  console.log(`crash: ${msg}`);
  assert.ok(fenced && t.lost === 0 && t.dup === 0 && t.order === 0 && t.notices === 0, msg);
});

// A file whose send reached the contact, but whose answer from Signal the
// bridge never saw before a kill -9: after the restart the bridge sends it
// again, and it must carry the timestamp stored before the first try, so
// that the contact's app shows it once (a Signal client drops a second
// message with the same sender and sent timestamp: Signal-Desktop
// ts/messages/handleDataMessage.ts, DataReader.getMessageBySender). The
// mock answers the bridge's PUT /v1/messages only once the contact has the
// file, and not at all before the kill (its own handler, wrapped here as
// bridge_faults.js does for 429), so the kill lands between delivery and
// the bridge's record of it, every run.
test('Matrix->Signal: a file resent after kill -9 reaches the contact once', { timeout: 300000 }, async () => {
  const { Connection } = require('@signalapp/mock-server/src/server/ws');
  const orig = Connection.prototype.handleRequest;
  let holding = true;
  Connection.prototype.handleRequest = async function (request) {
    const res = await orig.call(this, request);
    if (holding && request.verb === 'PUT' && /^\/v1\/messages\//.test(request.path ?? '')) {
      await new Promise(() => {}); // delivered, never answered (the socket dies with the kill)
    }
    return res;
  };
  const name = `crash-${SEED}.bin`;
  const copies = () => env.got.filter((m) => (m.dataMessage?.attachments ?? []).some((a) => a.fileName === name));
  try {
    const bytes = Buffer.from(`file of run ${SEED}\n`.repeat(64));
    const up = await env.hs.req('POST', `/_matrix/media/v3/upload?filename=${encodeURIComponent(name)}`,
                                { token: env.token, raw: bytes, headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(up.status, 200, String(up.body));
    const put = await env.hs.req('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(env.portal)}/send/m.room.message/file-${SEED}`,
                                 { token: env.token, body: { msgtype: 'm.file', body: name, url: up.json.content_uri } });
    assert.equal(put.status, 200, String(put.body));
    await L.until(() => copies().length >= 1, `the contact gets the file (seed=${SEED})`, 120000);
    holding = false;
    await L.crash(env);
    crashPoints += 1;
    // the restarted bridge sends the unanswered file again
    await L.until(() => copies().length >= 2, `the file sent again after the restart (seed=${SEED})`, 120000);
  } finally {
    holding = false;
    Connection.prototype.handleRequest = orig;
  }
  const stamps = new Set(copies().map((m) => String(m.dataMessage.timestamp)));
  console.log(`crash: file copies at the contact=${copies().length}, distinct timestamps=${stamps.size}; seed=${SEED}`);
  assert.equal(stamps.size, 1, `the contact's app shows the file ${stamps.size} times: the resend had a new timestamp (seed=${SEED})`);
});
