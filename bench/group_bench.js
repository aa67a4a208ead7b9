// One message to a 50-member group (make bench; never a test), through
// mxhs + signalbridge.so + Signal's mock, in two modes in the same run:
//   after:  our sender key, one sealed sender v2 PUT /v1/messages/
//           multi_recipient for all members (as Signal's clients send);
//   before: one 1:1 PUT /v1/messages/{member} per member (signal:
//           {sender_keys: false}, what the bridge did before issue #15).
// Each mode links a new device of the same phone, waits for the group's
// portal, sends a first message (sessions, and our key to every member),
// then GROUP_BENCH_MESSAGES more. Time: from the Matrix send to the last
// member's libsignal having decrypted it (the mock's decryption of every
// copy, in one Node process, is in it), and to the server having every
// member's copy (the bridge's share). Requests: the PUTs to the
// server for members (multi-recipient and 1:1; the transcript to our own
// devices and key fetches not counted), counted by the harness
// (tests/lib/signal-multirecipient.js).
// Usage: node bench/group_bench.js [members]
'use strict';
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Homeserver, until, polyfill, SERVER } = require(path.join(__dirname, '..', 'tests', 'e2e', 'mxhs_harness.js'));
const { startSandbox, decodeQr } = require(path.join(__dirname, '..', 'sandbox', 'sandbox.js'));

polyfill();
const sdk = require('matrix-js-sdk');
const { StorageState } = require('@signalapp/mock-server');
const { record, silenceMatrixSdk } = require(path.join(__dirname, 'results.js'));
const { writeBridgeConfig } = require(path.join(__dirname, 'hs_config.js'));

silenceMatrixSdk();
const MEMBERS = Number(process.argv[2] || process.env.GROUP_BENCH_MEMBERS || 50);
const K = Number(process.env.GROUP_BENCH_MESSAGES || 5);
const builddir = process.env.top_builddir || path.resolve(__dirname, '../build');
const BRIDGE = path.join(builddir, '.libs', 'signalbridge.so');
const BOT = `@signalbot:${SERVER}`;
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const quiet = { log() {}, info() {}, debug() {}, warn() {}, error() {}, trace() {}, getChild() { return quiet; } };
const debug = (m) => { if (process.env.BENCH_DEBUG) process.stderr.write(`bench: ${m}\n`); };

async function client(hs, user) {
  hs.registerUser(user, `pw-${user}`);
  const creds = await sdk.createClient({ baseUrl: hs.base, logger: quiet }).loginWithPassword(user, `pw-${user}`);
  const c = sdk.createClient({ baseUrl: hs.base, accessToken: creds.access_token, userId: creds.user_id,
                               deviceId: creds.device_id, logger: quiet });
  await c.startClient({ initialSyncLimit: 10 });
  await new Promise((r) => c.once('sync', (s) => s === 'PREPARED' && r()));
  c.on('RoomMember.membership', (ev, m) => {
    if (m.userId === c.getUserId() && m.membership === 'invite') c.joinRoom(m.roomId).catch(() => {});
  });
  return c;
}

function dbRows(hs, sql) {
  const out = execFileSync('/usr/bin/python3', ['-c',
    'import json,sqlite3,sys;c=sqlite3.connect(sys.argv[1]);print(json.dumps(c.execute(sys.argv[2]).fetchall()))',
    path.join(hs.dir, 'signalbridge', 'signalbridge.db'), sql]);
  return JSON.parse(out.toString());
}

// One mode: a homeserver with the bridge, a new linked device, the group.
async function mode(sb, group, members, arrivals, senderKeys) {
  const hs = new Homeserver();
  const zk = Buffer.from(sb.mock.server.zkSecret.getPublicParams().serialize()).toString('base64');
  writeBridgeConfig(hs, BRIDGE, [
    `signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}",`,
    `         server_public_params: "${zk}", sender_keys: ${senderKeys}}`]);
  await hs.start();
  let me;
  try {
    me = await client(hs, 'me');
    debug(`linking (sender_keys: ${senderKeys})`);
    const { room_id: botRoom } = await me.createRoom({ is_direct: true, invite: [BOT] });
    await until(() => me.getRoom(botRoom)?.getMember(BOT)?.membership === 'join', 'the bot joins');
    await me.sendTextMessage(botRoom, 'link');
    const img = await until(() => me.getRoom(botRoom).getLiveTimeline().getEvents()
      .find((e) => e.getContent().msgtype === 'm.image'), 'the QR code', 30000);
    const [server, id] = img.getContent().url.slice(6).split('/');
    const png = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                            { headers: { Authorization: `Bearer ${me.getAccessToken()}` } });
    await sb.scan(decodeQr(Buffer.from(await png.arrayBuffer())));
    await until(() => me.getRoom(botRoom).getLiveTimeline().getEvents()
      .some((e) => /^Successfully logged in/.test(e.getContent().body)), 'linked', 60000);
    const gid = Buffer.from(group.id, 'base64').toString('hex');
    const portal = () => dbRows(hs, `SELECT room_id FROM br_portal WHERE chat_id = 'group:${gid}'`)[0]?.[0];
    await until(() => portal() && me.getRoom(portal())?.getMyMembership() === 'join', 'the group portal', 120000);
    await until(() => dbRows(hs, "SELECT count(*) FROM record WHERE kind = 'account' AND key = 'sender_cert'")[0][0] === 1,
                'the sender certificate', 30000);
    await until(() => dbRows(hs, "SELECT count(*) FROM record WHERE kind = 'profile_key'")[0][0] >= MEMBERS,
                "the members' profile keys", 60000);
    const mr = sb.mock.multiRecipient;
    const acis = new Set(members.map((m) => m.device.aci));
    const one = async (text) => {
      mr.reset();
      const t0 = now();
      await me.sendTextMessage(portal(), text);
      await until(() => (arrivals.get(text) || 0) >= MEMBERS, `all ${MEMBERS} members get '${text}'`, 300000);
      const ms = now() - t0;
      const mine = mr.requests.concat(mr.singles.filter((s) => acis.has(s.serviceId)));
      // the bridge's share: until the server has every member's copy
      const handed = Math.max(...mine.map((r) => r.at)) - t0;
      debug(`${text}: first PUT at ${(Math.min(...mine.map((r) => r.at)) - t0).toFixed(1)} ms, last ${handed.toFixed(1)} ms`);
      return { ms, handed, puts: mine.length };
    };
    const first = await one(`first ${senderKeys}`);
    debug(`first: ${first.ms.toFixed(1)} ms, ${first.puts} PUTs`);
    const rest = [];
    for (let i = 0; i < K; i++) rest.push(await one(`msg ${senderKeys} ${i}`)); // eslint-disable-line no-await-in-loop
    return { first, ms: median(rest.map((r) => r.ms)), handed: median(rest.map((r) => r.handed)),
             puts: median(rest.map((r) => r.puts)) };
  } finally {
    if (me) me.stopClient();
    await hs.stop();
    hs.cleanup();
  }
}

async function main() {
  const sb = await startSandbox({});
  try {
    debug(`making ${MEMBERS} members`);
    const members = [];
    for (let i = 0; i < MEMBERS; i++) {
      // eslint-disable-next-line no-await-in-loop
      members.push(await sb.mock.server.createPrimaryDevice({ profileName: `Member ${i}` }));
    }
    const group = await sb.phone.createGroup({ title: 'Fifty', members: [sb.phone, ...members] });
    await sb.phone.setStorageState(StorageState.getEmpty().addGroup(group, { whitelisted: true }));
    const arrivals = new Map();
    for (const m of members) {
      (async () => {
        for (;;) {
          let msg;
          try { msg = await m.waitForMessage(); } catch { return; }
          const body = msg.body ?? msg.dataMessage?.body ?? '';
          arrivals.set(body, (arrivals.get(body) || 0) + 1);
        }
      })();
    }
    const before = await mode(sb, group, members, arrivals, false);
    const after = await mode(sb, group, members, arrivals, true);
    const SEC = `one message to a ${MEMBERS}-member group (wall clock)`;
    const f = (x) => x.toFixed(1).padStart(8);
    console.log(`${SEC}; median of ${K} after a first message`);
    console.log('                                 all decrypted   server has all   PUTs   first message');
    console.log(`  1:1 to each member (before)   ${f(before.ms)} ms   ${f(before.handed)} ms  ${String(before.puts).padStart(4)}   ${f(before.first.ms)} ms ${before.first.puts} PUTs`);
    console.log(`  sender key + multi-recipient  ${f(after.ms)} ms   ${f(after.handed)} ms  ${String(after.puts).padStart(4)}   ${f(after.first.ms)} ms ${after.first.puts} PUTs`);
    console.log("  (all decrypted includes the mock's own libsignal decryption of every copy, in one Node process)");
    record(SEC, 'sender key + one multi-recipient PUT: time', after.ms, 'ms', `1:1 to each member (${MEMBERS} PUTs)`, before.ms, 'lower');
    record(SEC, 'sender key: Matrix send until the server has every copy', after.handed, 'ms', '1:1 to each member', before.handed, 'lower');
    record(SEC, 'sender key: PUT requests per message', after.puts, 'requests', '1:1 to each member', before.puts, 'lower');
    record(SEC, 'first message (our key to every member 1:1 first): time', after.first.ms, 'ms', '1:1 first message', before.first.ms, 'lower');
    record(SEC, 'first message: PUT requests', after.first.puts, 'requests', '1:1 first message', before.first.puts, 'lower');
  } finally {
    await sb.close();
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
