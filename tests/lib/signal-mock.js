'use strict';
// Launcher for the unmodified @signalapp/mock-server 27.0.0 on 127.0.0.1.
//
// As a module:
//   const { startMock } = require('../lib/signal-mock');
//   const mock = await startMock({ h1Upgrade: false, timeout: 60000 });
//   mock.port, mock.ca (CA file path), mock.url, mock.server (the mock's Server)
//   mock.profiles (signal-profiles.js: profile avatars, which the mock lacks)
//   mock.groupAvatars (signal-groupavatars.js: group avatars, likewise)
//   mock.groupChanges (signal-groupchanges.js: PATCH /v2/groups as the
//     groups server checks it: descriptions, empty titles; .conflicts)
//   mock.multiRecipient (signal-multirecipient.js: PUT /v1/messages/
//     multi_recipient, which the mock lacks; counts requests)
//   mock.destroySockets()  // kill the server side of every open connection
//   await mock.close()     // always call it (also on failure): sockets are
//                          // destroyed first, so http2 close cannot hang
// As a script (node tests/lib/signal-mock.js [--h1-upgrade] [--no-production-rules]
//                [--primary PASSWORD]):
//   prints one JSON line {port, url, ca, cdn3Path, updates2Path, pid[, primary]}
//   and runs until SIGTERM/SIGINT or stdin closes.
//
// Options: h1Upgrade attaches the mock's own websocket Connection to an
// HTTP/1.1 'upgrade' listener (the mock itself only speaks RFC 8441; the
// shim uses its internal src/server/ws module, so the version is pinned).
// productionRules (default true): enforce the rules of Signal's production
// service that the mock lacks (signal-prodrules.js: 409 for a link without
// the required capabilities, 499 for a device without spqr, agent headers,
// exact websocket paths, 204 for PUT /v1/devices/capabilities); false gives
// the bare mock. mock.rules is the ProductionRules object (or null);
// productionRulesOptions is passed to it ({requireSpqr,
// provisioningTimeoutMs}); provisioningTimeoutMs (test-only: production's
// is 90 s) is a shortcut for the latter.
// As a script: --no-production-rules.
const fs = require('fs');
const os = require('os');
const path = require('path');

// mock-server 27.0.0 calls Promise.withResolvers (Node 22+); Node 20 lacks it.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}

const MOCK_DIR = path.dirname(require.resolve('@signalapp/mock-server/package.json'));
const { Server } = require('@signalapp/mock-server');
const { applyProductionRules } = require('./signal-prodrules');
const { ProfileAvatars } = require('./signal-profiles');
const { GroupChanges } = require('./signal-groupchanges');
const { GroupAvatars } = require('./signal-groupavatars');
const { MultiRecipient } = require('./signal-multirecipient');

function attachH1Upgrade(server, rules) {
  // eslint-disable-next-line global-require
  const { WebSocketServer } = require('ws');
  // eslint-disable-next-line global-require
  const { Connection } = require('@signalapp/mock-server/src/server/ws');
  const wss = new WebSocketServer({ noServer: true });
  server.https.on('upgrade', async (req, socket, head) => {
    const refusal = rules ? await rules.checkUpgrade(req.headers, req.url).catch(() => null) : null;
    if (refusal) {
      const extra = Object.entries(refusal.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      socket.end(`HTTP/1.1 ${refusal.status} Refused\r\n${extra}Connection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (websocket) => {
      const conn = new Connection(req, websocket, server);
      conn.start(websocket).catch(() => websocket.close());
    });
  });
  return wss;
}

// A workaround for a bug of the mock itself (27.0.0). Its CDN 3 and
// updates2 downloads (src/server/http.js getCdn3Attachment,
// getResourcesAttachment) write the headers, then pipe the file; when the
// client goes away midway (a bridge killed or restarted during a download,
// or any client that gives up), the pipeline fails and the catch block
// answers 500 on the same response. micro's sendError (micro 9.4.1
// lib/index.js) then tries once more. Both call setHeader after the
// headers went out, which node's http2 compat layer answers with a throw
// (ERR_HTTP2_HEADERS_SENT), and the rejection is unhandled: it fails
// whatever test is running. Once the client has closed the stream nothing
// can reach it any more, so headers set on such a response are dropped
// here. A second answer on a stream that is still open still throws.
function guardLateAnswers(https) {
  const listeners = https.listeners('request');
  https.removeAllListeners('request');
  https.on('request', (req, res) => {
    if (res.stream) {
      for (const name of ['setHeader', 'appendHeader', 'removeHeader']) {
        const orig = res[name];
        if (typeof orig !== 'function') continue;
        res[name] = function guarded(...args) {
          if (this.headersSent && (this.stream.destroyed || this.stream.closed)) return undefined;
          return orig.apply(this, args);
        };
      }
    }
    for (const l of listeners) l.call(https, req, res);
  });
}

async function startMock(opts = {}) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-mock-'));
  const cdn3Path = path.join(tmp, 'cdn3');
  const updates2Path = path.join(tmp, 'updates2');
  fs.mkdirSync(cdn3Path);
  fs.mkdirSync(updates2Path);
  // removed at exit, not in close(): the tus store creates its folder
  // asynchronously and crashes the process if it vanished meanwhile
  process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
  const server = new Server({ cdn3Path, updates2Path, timeout: opts.timeout ?? 60000 });
  await server.listen(opts.port ?? 0, '127.0.0.1');
  const sockets = new Set();
  const sessions = new Set();
  let accepted = 0;
  server.https.on('connection', (s) => {
    accepted += 1;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.https.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  const rules = opts.productionRules === false ? null
    : applyProductionRules(server, { ...(opts.productionRulesOptions ?? {}),
      ...(opts.provisioningTimeoutMs ? { provisioningTimeoutMs: opts.provisioningTimeoutMs } : {}) });
  guardLateAnswers(server.https);
  const wss = opts.h1Upgrade ? attachH1Upgrade(server, rules) : null;
  // profile avatars, which the mock lacks (signal-profiles.js)
  const profiles = new ProfileAvatars(server);
  // group avatars, which it lacks too (signal-groupavatars.js)
  const groupAvatars = new GroupAvatars(server);
  // PUT /v1/messages/multi_recipient, which the mock lacks
  // (signal-multirecipient.js)
  const multiRecipient = new MultiRecipient(server);
  // group changes as the groups server checks and applies them
  // (signal-groupchanges.js: descriptions, empty titles)
  const groupChanges = new GroupChanges(server);
  const { port } = server.address();
  let closed = false;
  const mock = {
    server,
    rules,
    profiles,
    groupAvatars,
    multiRecipient,
    groupChanges,
    port,
    url: `https://127.0.0.1:${port}`,
    ca: path.join(MOCK_DIR, 'certs', 'ca-cert.pem'),
    cdn3Path,
    updates2Path,
    socketCount: () => sockets.size,          // open TCP connections now
    connectionCount: () => accepted,         // TCP connections accepted so far
    destroySockets() {
      for (const s of sessions) s.destroy();
      for (const s of sockets) s.destroy();
    },
    async close() {
      if (closed) return;
      closed = true;
      mock.destroySockets();
      if (wss) for (const c of wss.clients) c.terminate();
      await Promise.race([server.close(), new Promise((r) => setTimeout(r, 5000).unref())]);
    },
  };
  return mock;
}

module.exports = { startMock, MOCK_DIR };

if (require.main === module) {
  (async () => {
    const args = process.argv.slice(2);
    const mock = await startMock({ h1Upgrade: args.includes('--h1-upgrade'),
                                   productionRules: !args.includes('--no-production-rules') });
    const out = {
      port: mock.port, url: mock.url, ca: mock.ca, cdn3Path: mock.cdn3Path,
      updates2Path: mock.updates2Path, pid: process.pid,
    };
    const pi = args.indexOf('--primary');
    if (pi >= 0) {
      const password = args[pi + 1];
      const phone = await mock.server.createPrimaryDevice({ profileName: 'Primary', password });
      out.primary = { aci: phone.device.aci, deviceId: phone.device.deviceId, password };
    }
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await mock.close();
      process.exit(0);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.stdin.on('end', stop);
    process.stdin.resume();
    console.log(JSON.stringify(out));
  })().catch((e) => { console.error(e); process.exit(1); });
}
