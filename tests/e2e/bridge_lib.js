// Shared by the bridge's end-to-end tests: a homeserver.yaml with
// signalbridge loaded, a logged-in matrix-js-sdk client that accepts
// invites as a person would, and reading a room's messages.
'use strict';
const path = require('node:path');
const { until, polyfill, SERVER } = require('./mxhs_harness.js');

polyfill();
const sdk = require('matrix-js-sdk');
const builddir = process.env.top_builddir || path.resolve(__dirname, '../../build');
const BRIDGE = path.join(builddir, '.libs', 'signalbridge.so');
const BOT = `@signalbot:${SERVER}`;

// `bridge` is the module's config block as YAML lines (already indented).
// doublePuppet: whether the host lets the module act as its users.
function bridgeConfig(dir, bridge, { doublePuppet = true } = {}) {
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
async function client(hs, user, { acceptInvites = true } = {}) {
  const creds = await sdk.createClient({ baseUrl: hs.base }).loginWithPassword(user, `pw-${user}`);
  const c = sdk.createClient({ baseUrl: hs.base, accessToken: creds.access_token,
                               userId: creds.user_id, deviceId: creds.device_id });
  await c.startClient({ initialSyncLimit: 50 });
  await new Promise((resolve) => c.once('sync', (s) => s === 'PREPARED' && resolve()));
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

module.exports = { sdk, BRIDGE, BOT, SERVER, bridgeConfig, client, messages, until };
