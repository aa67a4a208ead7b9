// Shared by the bridge's end-to-end tests: a homeserver.yaml with
// signalbridge loaded, a logged-in matrix-js-sdk client that accepts
// invites as a person would, and reading a room's messages.
//
// MXM_MODE=appservice (make check MXM_MODE=appservice) runs the same tests
// with the bridge outside mxhs: bridgeConfig() then writes an
// appservice.yaml with the same module block, a registration made by
// `mxm-appservice generate-registration` and a double-puppet registration,
// and gives mxhs only app_service_config_files; Homeserver.start() then
// (re)starts mxm-appservice once mxhs listens, and stop() stops it first.
// The shim's log is appended to hs.log, where the module's lines are.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Homeserver, until, polyfill, SERVER } = require('./mxhs_harness.js');

polyfill();
const sdk = require('matrix-js-sdk');
const builddir = process.env.top_builddir || path.resolve(__dirname, '../../build');
const BRIDGE = path.join(builddir, '.libs', 'signalbridge.so');
const BOT = `@signalbot:${SERVER}`;

// `bridge` is the module's config block as YAML lines (already indented).
// doublePuppet: whether the host lets the module act as its users.
function bridgeConfig(dir, bridge, { doublePuppet = true } = {}) {
  if (AS_MODE) return asBridgeConfig(dir, bridge, doublePuppet);
  return `server_name: ${SERVER}
listen: {address: 127.0.0.1, port: 0}
database: {path: ${dir}/hs.db}
media_path: ${dir}/media
data_dir: ${dir}
registration: {enabled: true}
login_rate_limit: {per_minute: 1000}
log_level: ${process.env.MXHS_LOG || 'info'}
modules:
  - module: ${BRIDGE}
    double_puppet: ${doublePuppet}
    config:
${bridge}
`;
}

// Log in as `user` (password pw-<user>), start syncing, accept invites.
// Resolves when the client's first sync is through. Not `once('sync')`:
// the first state can be ERROR or RECONNECTING (a server just restarted),
// and PREPARED comes later; a once-listener would miss it and hang.
function syncReady(c) {
  return new Promise((resolve) => {
    const on = (state) => {
      if (state === 'PREPARED' || state === 'SYNCING') { c.removeListener('sync', on); resolve(); }
    };
    c.on('sync', on);
  });
}

async function client(hs, user, { acceptInvites = true } = {}) {
  const creds = await sdk.createClient({ baseUrl: hs.base }).loginWithPassword(user, `pw-${user}`);
  const c = sdk.createClient({ baseUrl: hs.base, accessToken: creds.access_token,
                               userId: creds.user_id, deviceId: creds.device_id });
  const ready = syncReady(c); // listening before the start: PREPARED can come at once
  await c.startClient({ initialSyncLimit: 50 });
  await ready;
  if (acceptInvites) {
    c.on('RoomMember.membership', (ev, m) => {
      if (m.userId === c.getUserId() && m.membership === 'invite') c.joinRoom(m.roomId).catch(() => {});
    });
  }
  return c;
}

// m.room.message events of a room, optionally only from `from`.
function messages(c, roomId, from) {
  const room = c.getRoom(roomId);
  if (!room) return [];
  return room.getLiveTimeline().getEvents()
    .filter((e) => e.getType() === 'm.room.message' && (!from || e.getSender() === from));
}

const AS_MODE = process.env.MXM_MODE === 'appservice';

function asBridgeConfig(dir, bridge, doublePuppet) {
  const { SHIM } = require('./appservice_lib.js');
  const asCfg = path.join(dir, 'appservice.yaml');
  const old = fs.existsSync(asCfg) ? fs.readFileSync(asCfg, 'utf8') : '';
  const port = (/port: (\d+)\}/.exec(old) || [])[1] || String(20000 + Math.floor(Math.random() * 20000));
  fs.writeFileSync(asCfg, `homeserver: {url: "http://127.0.0.1:1", server_name: ${SERVER}}
appservice:
  id: signalbridge
  listen: {address: 127.0.0.1, port: ${port}}
  sender_localpart: signalbridge_as
  registration: ${dir}/signalbridge-registration.yaml
  double_puppet_registration: ${dir}/doublepuppet.yaml
database: ${dir}/as/appservice.db
data_dir: ${dir}
log_level: ${process.env.MXHS_LOG || 'info'}
module:
  module: ${BRIDGE}
  double_puppet: ${doublePuppet}
  config:
${bridge}
`);
  const g = spawnSync(SHIM, ['generate-registration', '--config', asCfg], { encoding: 'utf8' });
  if (g.status !== 0) throw new Error('generate-registration: ' + g.stderr);
  if (!fs.existsSync(path.join(dir, 'doublepuppet.yaml')))
    fs.writeFileSync(path.join(dir, 'doublepuppet.yaml'), `id: doublepuppet
url:
as_token: dp-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}
hs_token: dp-unused
sender_localpart: doublepuppet_sender
rate_limited: false
namespaces:
  users:
  - {regex: '@.*:${SERVER.replace(/\./g, '\\.')}', exclusive: false}
`);
  return `server_name: ${SERVER}
listen: {address: 127.0.0.1, port: 0}
database: {path: ${dir}/hs.db}
media_path: ${dir}/media
data_dir: ${dir}
registration: {enabled: true}
login_rate_limit: {per_minute: 1000}
log_level: ${process.env.MXHS_LOG || 'info'}
app_service_config_files: [${dir}/signalbridge-registration.yaml, ${dir}/doublepuppet.yaml]
`;
}

if (AS_MODE && !Homeserver.prototype.__asMode) {
  const { Shim } = require('./appservice_lib.js');
  const start = Homeserver.prototype.start, stop = Homeserver.prototype.stop;
  Homeserver.prototype.__asMode = true;
  Homeserver.prototype.start = async function () {
    await start.call(this);
    const asCfg = path.join(this.dir, 'appservice.yaml');
    if (!fs.existsSync(asCfg)) return this;
    if (this.shim) await this.shim.stop(); // a new module config, as in-process
    fs.writeFileSync(asCfg, fs.readFileSync(asCfg, 'utf8').replace(/url: "http:\/\/127\.0\.0\.1:\d+"/, `url: "${this.base}"`));
    this.shim = new Shim(asCfg);
    const shimStart = this.shim.start();
    this.shim.proc.stderr.on('data', (d) => { this.log += d.toString(); });
    await shimStart;
    return this;
  };
  Homeserver.prototype.stop = async function () {
    if (this.shim) { const sh = this.shim; this.shim = null; await sh.stop(); }
    return stop.call(this);
  };
}

// mxhs's delivery queue key for the bridge: the module's name, or in AS
// mode the application service's (hs_appservice.c).
const QUEUE_KEY = AS_MODE ? 'as:signalbridge' : 'signalbridge';

// The user opens a room with the bot, sends `link`, and the sandbox phone
// scans the QR code the bot posts; resolves with the bot room once the bot
// says the link succeeded.
async function linkWithBot(hs, sb, user, ms = 60000) {
  const { decodeQr } = require('../../sandbox/sandbox.js');
  const { room_id: botRoom } = await user.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [BOT] });
  await until(() => messages(user, botRoom, BOT)[0], 'the welcome message');
  const before = messages(user, botRoom, BOT).length;
  await user.sendTextMessage(botRoom, 'link');
  const img = await until(() => messages(user, botRoom, BOT).slice(before)
    .find((e) => e.getContent().msgtype === 'm.image'), 'the QR code', ms);
  const [server, id] = img.getContent().url.slice('mxc://'.length).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${user.getAccessToken()}` } });
  await sb.scan(decodeQr(Buffer.from(await res.arrayBuffer())));
  await until(() => messages(user, botRoom, BOT).some((e) => /^Successfully logged in as/.test(e.getContent().body)),
              'linked', ms);
  return botRoom;
}

// The fixture of the DM suites: Signal's sandbox, mxhs with the bridge
// (the user's permission and the sandbox's Signal server), alice linked
// through the bot, and the DM portal that Bob's first message makes.
// Resolves with { sb, bob, hs, alice, botRoom, dmRoom }; stopDmSuite undoes it.
async function startDmSuite(ms = 60000) {
  const { startSandbox } = require('../../sandbox/sandbox.js');
  const s = {};
  s.sb = await startSandbox({});
  s.bob = s.sb.contacts.Bob;
  s.hs = new Homeserver();
  fs.writeFileSync(s.hs.config, bridgeConfig(s.hs.dir, `      permissions: {"${SERVER}": user}
      signal: {server: "${s.sb.url}", ca_file: "${s.sb.ca}", trust_root: "${s.sb.trustRoot}"}`));
  await s.hs.start();
  if (s.hs.registerUser('alice', 'pw-alice').status !== 0) throw new Error('registering alice failed');
  s.alice = await client(s.hs, 'alice');
  s.botRoom = await linkWithBot(s.hs, s.sb, s.alice, ms);
  await s.sb.send('Bob', 'hello alice', { timestamp: Date.now() });
  const first = await until(() => s.alice.getRooms().flatMap((r) => messages(s.alice, r.roomId))
    .find((e) => e.getContent().body === 'hello alice'), 'the first message', ms);
  s.dmRoom = first.getRoomId();
  return s;
}

async function stopDmSuite({ hs, alice, sb }) {
  if (process.env.DUMP_HS_LOG && hs) console.log(hs.log);
  if (alice) alice.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
}

module.exports = { sdk, BRIDGE, BOT, SERVER, bridgeConfig, client, syncReady, messages, until, QUEUE_KEY, AS_MODE,
                   linkWithBot, startDmSuite, stopDmSuite };
