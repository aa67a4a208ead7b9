'use strict';
// bench/signal-recv: receiving N messages (default 10,000) from the
// unmodified mock into a consumer that only counts them.
//   C:        signalctl --count receive (sig_client: websocket, decrypt,
//             durable store in SQLite, ack) draining N queued envelopes.
//   baseline: the mock's own libsignal-client 0.100 PrimaryDevice
//             decrypting the same kind of envelopes in-process (no network,
//             no persistence), measured in the same run.
// The envelopes are encrypted before the clock starts in both cases.
// Prints msgs/s for both and the ratio C / baseline (goal: >= 1.0).
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}
const path = require('path');
const { startMock } = require('../tests/lib/signal-mock');
const { Ctl, tmpDb, linkDevice } = require('../tests/e2e/signalctl-lib');
const { Proto, EnvelopeType, ServiceIdKind } = require('@signalapp/mock-server');
const { record } = require('./results.js');

const N = Number(process.env.SB_BENCH_N || 10000);

async function encryptMany(from, target, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    // eslint-disable-next-line no-await-in-loop
    out.push(await from.encryptText(target, `bench ${i}`, { timestamp: 1700000000000 + i }));
  }
  return out;
}

async function main() {
  process.env.top_builddir = process.env.top_builddir || path.join(__dirname, '..');
  const mock = await startMock();
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const bob = await mock.server.createPrimaryDevice({ profileName: 'Bob' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself', contacts: [alice] });
    const db = tmpDb();
    const r = await linkDevice(mock, phone, db, ['--prekeys', '20'], [alice]);
    await r.ctl.stop();

    // ---- C ----
    const envs = await encryptMany(alice, r.device, N);
    const delivered = envs.map((e) => mock.server.send(r.device, e)); // queued: device offline
    ctl = new Ctl(mock, db, ['--count', 'receive']);
    const t0 = process.hrtime.bigint();
    await ctl.waitFor((e) => e.event === 'count' && e.n >= N, Number(process.env.SB_BENCH_TIMEOUT || 600000), `count ${N}`);
    const cSec = Number(process.hrtime.bigint() - t0) / 1e9;
    await Promise.all(delivered);
    await ctl.stop();
    ctl = null;

    // ---- baseline: libsignal-client in the mock's PrimaryDevice ----
    await alice.addSingleUseKey(bob.device, await bob.device.popSingleUseKey());
    const bEnvs = (await encryptMany(alice, bob.device, N)).map((b) => Proto.Envelope.decode(b));
    const t1 = process.hrtime.bigint();
    for (const e of bEnvs) {
      const type = e.type === Proto.Envelope.Type.PREKEY_MESSAGE ? EnvelopeType.PreKey : EnvelopeType.CipherText;
      // eslint-disable-next-line no-await-in-loop
      await bob.handleEnvelope(alice.device, ServiceIdKind.ACI, type, Buffer.from(e.content));
    }
    for (let i = 0; i < N; i++) await bob.waitForMessage(); // eslint-disable-line no-await-in-loop
    const bSec = Number(process.hrtime.bigint() - t1) / 1e9;

    const cRate = N / cSec;
    const bRate = N / bSec;
    console.log(`signal-recv: ${N} messages`);
    console.log(`  C sig_client (network + decrypt + durable store + ack): ${cRate.toFixed(0)} msg/s (${cSec.toFixed(2)} s)`);
    console.log(`  baseline libsignal-client 0.100 in-process decrypt:     ${bRate.toFixed(0)} msg/s (${bSec.toFixed(2)} s)`);
    console.log(`  ratio C/baseline: ${(cRate / bRate).toFixed(2)} (goal >= 1.0)`);
    record('Signal receive (wall clock)', `receive ${N} messages: network + decrypt + durable store + ack`, cRate, 'msg/s',
      'libsignal-client 0.100, in-process decrypt only', bRate, 'higher');
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
