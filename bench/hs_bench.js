// mxhs benchmark (make bench; never a test). Measures, against the real
// server with the echo module loaded:
//   1. send throughput: PUT /send events/s with N concurrent senders;
//      baseline: GET /_matrix/client/versions requests/s, same concurrency.
//   2. /sync wake-up latency: N clients long-poll one room; one message is
//      sent; time from the send to each client's /sync answer (p50/p99);
//      baseline: round-trip latency of GET /versions (p50/p99).
// Usage: node bench/hs_bench.js [N clients] [seconds]
'use strict';
const path = require('node:path');
const { Homeserver } = require(path.join(__dirname, '..', 'tests', 'e2e', 'mxhs_harness.js'));
const { record } = require('./results.js');

const SEC = 'mxhs (wall clock)';

const N = Number(process.argv[2] || process.env.HS_BENCH_CLIENTS || 16);
const SECS = Number(process.argv[3] || process.env.HS_BENCH_SECONDS || 3);
const ROUNDS = Number(process.env.HS_BENCH_ROUNDS || 30);

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]; };
const now = () => Number(process.hrtime.bigint()) / 1e6;

async function closedLoop(fn) {
  let count = 0;
  const end = now() + SECS * 1000;
  await Promise.all(Array.from({ length: N }, async (_, w) => {
    let i = 0;
    while (now() < end) { await fn(w, i++); count++; }
  }));
  return count / SECS;
}

async function main() {
  process.env.MXHS_LOG = 'warn';
  const hs = new Homeserver({ loginPerMinute: 100000 });
  await hs.start();
  try {
    const users = [];
    for (let i = 0; i < N; i++) {
      const r = await hs.req('POST', '/_matrix/client/v3/register',
        { body: { username: `b${i}`, password: 'pw', auth: { type: 'm.login.dummy' } } });
      users.push(r.json);
    }
    const owner = users[0];
    const room = (await hs.req('POST', '/_matrix/client/v3/createRoom',
      { token: owner.access_token, body: { preset: 'public_chat' } })).json.room_id;
    for (const u of users.slice(1))
      await hs.req('POST', `/_matrix/client/v3/join/${encodeURIComponent(room)}`, { token: u.access_token, body: {} });
    const enc = encodeURIComponent(room);

    const base = await closedLoop(() => hs.req('GET', '/_matrix/client/versions'));
    const sends = await closedLoop((w, i) => hs.req('PUT', `/_matrix/client/v3/rooms/${enc}/send/m.room.message/w${w}-${i}`,
      { token: users[w].access_token, body: { msgtype: 'm.notice', body: `bench ${w} ${i}` } }));
    console.log(`send throughput, ${N} concurrent clients, ${SECS}s:`);
    console.log(`  baseline GET /versions: ${base.toFixed(0)} req/s`);
    console.log(`  PUT /send:              ${sends.toFixed(0)} events/s  (ratio to baseline ${(sends / base).toFixed(3)})`);
    record(SEC, `PUT /send, ${N} clients`, sends, 'req/s', 'GET /versions, same clients', base, 'higher');

    // The same into a room where the echo module's user is joined, so every
    // event is also queued durably for the module and handed to its on_event
    // (notices: echo does not answer them).
    const modRoom = (await hs.req('POST', '/_matrix/client/v3/createRoom',
      { token: owner.access_token, body: { preset: 'public_chat', invite: ['@echo:test.mxhs'] } })).json.room_id;
    for (const u of users.slice(1))
      await hs.req('POST', `/_matrix/client/v3/join/${encodeURIComponent(modRoom)}`, { token: u.access_token, body: {} });
    for (;;) { // wait for the echo module to join (it does so when invited)
      const m = await hs.req('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(modRoom)}/joined_members`, { token: owner.access_token });
      if (m.json && m.json.joined && m.json.joined['@echo:test.mxhs']) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    const encM = encodeURIComponent(modRoom);
    const modSends = await closedLoop((w, i) => hs.req('PUT', `/_matrix/client/v3/rooms/${encM}/send/m.room.message/m${w}-${i}`,
      { token: users[w].access_token, body: { msgtype: 'm.notice', body: `bench ${w} ${i}` } }));
    console.log(`  PUT /send, module room: ${modSends.toFixed(0)} events/s  (ratio to baseline ${(modSends / base).toFixed(3)})`);
    record(SEC, `PUT /send into a module's room, ${N} clients`, modSends, 'req/s', 'GET /versions, same clients', base, 'higher');

    // sync wake-up latency
    const tokens = [];
    for (const u of users) {
      const s = await hs.req('GET', '/_matrix/client/v3/sync?timeout=0&filter={"room":{"timeline":{"limit":1}}}', { token: u.access_token });
      tokens.push(s.json.next_batch);
    }
    const lat = [], rtt = [];
    for (let r = 0; r < ROUNDS; r++) {
      const waits = users.map((u, i) => hs.req('GET', `/_matrix/client/v3/sync?timeout=30000&since=${tokens[i]}`,
        { token: u.access_token }).then((s) => { tokens[i] = s.json.next_batch; return now(); }));
      await new Promise((res) => setTimeout(res, 20)); // let every poll park
      const t0 = now();
      await hs.req('PUT', `/_matrix/client/v3/rooms/${enc}/send/m.room.message/lat-${r}`,
        { token: owner.access_token, body: { msgtype: 'm.notice', body: `lat ${r}` } });
      for (const t of await Promise.all(waits)) lat.push(t - t0);
      const b0 = now();
      await hs.req('GET', '/_matrix/client/versions');
      rtt.push(now() - b0);
      await new Promise((res) => setTimeout(res, 150)); // let the echo module settle
      for (let i = 0; i < users.length; i++) { // drain anything else (echo replies are not sent for notices)
        const s = await hs.req('GET', `/_matrix/client/v3/sync?timeout=0&since=${tokens[i]}`, { token: users[i].access_token });
        tokens[i] = s.json.next_batch;
      }
    }
    console.log(`/sync wake-up latency, ${N} long-polling clients, ${ROUNDS} rounds:`);
    console.log(`  baseline GET /versions RTT: p50 ${pct(rtt, 50).toFixed(2)} ms  p99 ${pct(rtt, 99).toFixed(2)} ms`);
    console.log(`  send -> /sync answer:       p50 ${pct(lat, 50).toFixed(2)} ms  p99 ${pct(lat, 99).toFixed(2)} ms` +
                `  (ratio p50 ${(pct(lat, 50) / pct(rtt, 50)).toFixed(1)})`);
    record(SEC, `send -> /sync wake-up p50, ${N} pollers`, pct(lat, 50), 'ms', 'GET /versions RTT p50', pct(rtt, 50), 'lower');
    record(SEC, `send -> /sync wake-up p99, ${N} pollers`, pct(lat, 99), 'ms', 'GET /versions RTT p99', pct(rtt, 99), 'lower');
  } finally {
    await hs.stop();
    hs.cleanup();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
