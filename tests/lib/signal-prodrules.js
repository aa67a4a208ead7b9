'use strict';
// Production rules for the unmodified @signalapp/mock-server 27.0.0.
//
// The mock is more lenient than Signal's service. This wraps its websocket
// handshakes and its websocket request handling so that the rules we can
// source are enforced, and a client that breaks one fails a test. Each rule
// names its source. It changes nothing inside the mock package: the mock's
// own handlers still answer everything the rules let through.
//
//   const rules = applyProductionRules(server, { requireSpqr: true });
//   rules.enabled = false;         // switch off at run time
//   rules.requireSpqr = false;     // the service before SPQR enforcement
//   rules.refusals                 // [{rule, status, detail}] what was refused
//                                  // ('access key': an unauthenticated
//                                  // GET /v2/keys with a missing or wrong key)
//   rules.capabilities             // the server's table (DeviceCapability)
//   rules.capabilityUpdates        // [{device: 'aci.id', capabilities}]
//   rules.handshakes               // [{path, userAgent, signalAgent}] seen
//   rules.checkUpgrade(headers, path) -> null | {status, rule, detail}
//   rules.limitNext.push({verb, path, status, retryAfter}) // answer the
//                                  // next websocket request verb+path (no
//                                  // query) with status and Retry-After
//   rules.refuseNext.push({path, status, retryAfter})  // refuse the next
//                                  // handshake on that websocket path once
//   rules.provisioningTimeoutMs    // provisioning sockets close after this
//                                  // (90 s as in production; a test may
//                                  // lower it, also via startMock)
//   rules.expireProvisioning()     // close every open provisioning socket
//                                  // now, as the 90 s timer does
//   rules.provisioningCloses       // how many the rule closed
//   rules.uploadForms              // [{device, uploadLength, cdn}] forms handed out
//   rules.cdn2Accounts.add(aci)    // this account gets CDN 2 (GCS) forms
//   rules.maxUploadLength          // global.attachments.maxBytes (413 above)
//   rules.gcs                      // the CDN 2 stand-in (signal-gcs.js)
//
// Sources (Signal-Server at signalapp/Signal-Server, 2026-08):
//   storage/DeviceCapability.java, controllers/DeviceController.java,
//   controllers/KeepAliveController.java, filters/RemoteDeprecationFilter.java,
//   util/ua/UserAgentUtil.java, WhisperServerService.java,
//   controllers/AttachmentControllerV4.java, attachments/AttachmentUtil.java,
//   controllers/KeysController.java getDeviceKeys, auth/OptionalAccess.java
//   (bundles without credentials need the target's access key).
const crypto = require('crypto');
const { Connection } = require('@signalapp/mock-server/src/server/ws');
const { GcsStandIn } = require('./signal-gcs');

// DeviceCapability.java: name -> {preventDowngrade, requireForNewDevices}.
// Capabilities the server no longer knows (the mock's primary still lists
// deleteSync, versionedExpirationTimer, ssre2) are ignored, as
// DeviceCapabilityAdapter.mapToSet drops unknown names.
const CAPABILITIES = {
  storage: { preventDowngrade: false, requireForNewDevices: false },
  transfer: { preventDowngrade: false, requireForNewDevices: false },
  attachmentBackfill: { preventDowngrade: false, requireForNewDevices: false },
  spqr: { preventDowngrade: true, requireForNewDevices: true },
  profiles_v2: { preventDowngrade: false, requireForNewDevices: false },
  usernameChangeSyncMessage: { preventDowngrade: true, requireForNewDevices: false },
  optionalPhoneNumber: { preventDowngrade: false, requireForNewDevices: false },
};

// The true entries with known names, as the server stores them.
function capabilitySet(map, table = CAPABILITIES) {
  return new Set(Object.entries(map || {})
    .filter(([name, on]) => on === true && table[name]).map(([name]) => name));
}

// DeviceController.isCapabilityDowngrade: the new device must have every
// capability required for new devices, and every preventDowngrade one the
// account has. spqr and usernameChangeSyncMessage combine as ALL_DEVICES:
// the account has one when all its devices have it.
function missingForLink(accountDevices, declared, table = CAPABILITIES) {
  const have = capabilitySet(declared, table);
  const missing = [];
  for (const [name, c] of Object.entries(table)) {
    if (have.has(name)) continue;
    const accountHas = accountDevices.length > 0 &&
      accountDevices.every((d) => capabilitySet(d.capabilities, table).has(name));
    if (c.requireForNewDevices || (c.preventDowngrade && accountHas)) missing.push(name);
  }
  return missing;
}

function basicAuth(header) {
  const m = /^Basic\s+(.+)$/i.exec(header || '');
  if (!m) return null;
  const text = Buffer.from(m[1], 'base64').toString();
  const i = text.indexOf(':');
  return i < 0 ? null : { username: text.slice(0, i), password: text.slice(i + 1) };
}

// UserAgentUtil.STANDARD_UA_PATTERN: the first-party clients.
const FIRST_PARTY_UA = /^Signal-(Android|Desktop|iOS)\/([^ ]+)( (.+))?$/i;

function headerMap(list) {
  const h = {};
  for (const pair of list ?? []) {
    const i = pair.indexOf(':');
    if (i > 0) h[pair.slice(0, i).trim().toLowerCase()] = pair.slice(i + 1).trim();
  }
  return h;
}

function response(request, status, json) {
  const headers = [`X-Signal-Timestamp:${Date.now()}`];
  if (json === undefined) return { id: request.id, status, message: null, headers, body: undefined };
  return {
    id: request.id, status, message: null,
    headers: headers.concat(['Content-Type:application/json']),
    body: Buffer.from(JSON.stringify(json)),
  };
}

// Connection.prototype.handleRequest is shared by every mock in this
// process; the rules live on each Server, so one wrapper serves them all.
const RULES = Symbol('signalbridge.productionRules');
let wrapped = false;
function wrapConnection() {
  if (wrapped) return;
  wrapped = true;
  const original = Connection.prototype.handleRequest;
  Connection.prototype.handleRequest = async function handleRequest(request) {
    const rules = this.server[RULES];
    if (!rules || !rules.enabled) return original.call(this, request);
    return rules.handle(this, request, () => original.call(this, request));
  };
  const originalStart = Connection.prototype.start;
  Connection.prototype.start = function start(socket) {
    const rules = this.server[RULES];
    const path = new URL(this.request?.url ?? '/', 'http://localhost').pathname;
    if (rules && rules.enabled && path.startsWith('/v1/websocket/provisioning')) rules.trackProvisioning(socket);
    return originalStart.call(this, socket);
  };
}

class ProductionRules {
  constructor(server, opts) {
    this.server = server;
    this.enabled = true;
    // RemoteDeprecationFilter: with requireSpqr a third-party client whose
    // device lacks spqr is refused (499); Signal has been shutting out such
    // devices since 2026 (signal-cli #2001).
    this.requireSpqr = opts.requireSpqr ?? true;
    // the server's capability table; a test may add one, as Signal does
    // when it starts to require something new of linked devices
    this.capabilities = { ...CAPABILITIES };
    this.refusals = [];
    this.capabilityUpdates = [];
    this.handshakes = [];
    this.uploadForms = [];
    // ProvisioningConnectListener: the server closes a provisioning socket
    // with 1000 "Timeout" once it has been open this long
    // (WhisperServerService: Duration.ofSeconds(90)).
    this.provisioningTimeoutMs = opts.provisioningTimeoutMs ?? 90000;
    this.provisioningOpen = new Set();
    this.provisioningCloses = 0;
    // Handshakes a test wants refused once, e.g. 429 with Retry-After as
    // RateLimitExceededExceptionMapper answers (libsignal-net's chat
    // connect reads Retry-After on any refused handshake,
    // rust/net/src/chat/error.rs).
    this.refuseNext = [];
    // Requests a test wants rate-limited once: Signal-Server answers any
    // rate-limited request with 429 and Retry-After in seconds
    // (mappers/RateLimitExceededExceptionMapper), a challenge with 428 and
    // Retry-After (RateLimitChallengeExceptionMapper).
    this.limitNext = [];
    // AttachmentControllerV4: CDN 3 for accounts in the "cdn3" experiment,
    // CDN 2 for the others. The mock's own forms are CDN 3, so that is the
    // default here; a test puts an account on CDN 2.
    this.cdn2Accounts = new Set();
    // global.attachments.maxBytes is deployment configuration, not in the
    // source: 100 MiB is an arbitrary stand-in that a test may lower.
    this.maxUploadLength = 100 * 1024 * 1024;
    // CDN 2 objects land in the mock's CDN 0/2 store, served by its
    // GET /attachments/:key (server/http.js getAttachment, base.js
    // fetchAttachment); GCS keeps an object under its name, here
    // "attachments/<key>".
    this.gcs = new GcsStandIn(server.https, {
      onObject: (name, bytes) => {
        const m = /^attachments\/([^/]+)$/.exec(name);
        if (m) server.attachments.set(m[1], bytes);
      },
    });
  }

  // Called for each provisioning websocket the mock accepts. The timer is
  // re-read when it fires, so a test that raises the limit keeps the
  // sockets already open.
  trackProvisioning(ws) {
    const entry = { ws, opened: Date.now(), timer: null };
    const arm = () => {
      const left = this.provisioningTimeoutMs - (Date.now() - entry.opened);
      entry.timer = setTimeout(() => {
        if (Date.now() - entry.opened < this.provisioningTimeoutMs) arm();
        else this.expire(entry);
      }, Math.max(0, left));
      entry.timer.unref?.();
    };
    arm();
    this.provisioningOpen.add(entry);
    ws.on('close', () => {
      clearTimeout(entry.timer);
      this.provisioningOpen.delete(entry);
    });
  }

  expire(entry) {
    clearTimeout(entry.timer);
    if (!this.provisioningOpen.delete(entry)) return;
    this.provisioningCloses += 1;
    entry.ws.close(1000, 'Timeout');
  }

  // Resolves once the mock has seen every one of them closed (and so
  // cancelled its pending provision).
  expireProvisioning() {
    const entries = [...this.provisioningOpen];
    const closed = entries.map((e) => new Promise((resolve) => {
      if (e.ws.readyState === e.ws.CLOSED) resolve();
      else e.ws.once('close', () => resolve());
    }));
    for (const entry of entries) this.expire(entry);
    return Promise.all(closed);
  }

  refuse(rule, status, detail) {
    this.refusals.push({ rule, status, detail });
    if (process.env.SIGNAL_MOCK_DEBUG) console.error(`production rules: ${status} ${rule}: ${detail}`);
    return { status, rule, detail };
  }

  // The websocket handshake (HTTP/2 extended CONNECT or HTTP/1.1 Upgrade).
  // Returns null to let the mock take it, else the status to answer.
  async checkUpgrade(headers, rawPath) {
    if (!this.enabled) return null;
    const path = new URL(rawPath || '/', 'http://localhost').pathname;
    this.handshakes.push({ path, userAgent: headers['user-agent'], signalAgent: headers['x-signal-agent'] });
    // WhisperServerService: the two websocket servlets are mapped at
    // exactly these paths (also libsignal-net env.rs CHAT_WEBSOCKET_PATH /
    // CHAT_PROVISIONING_PATH); the mock would accept any prefix.
    if (path !== '/v1/websocket/' && path !== '/v1/websocket/provisioning/') {
      return this.refuse('websocket path', 404, path);
    }
    const injected = this.refuseNext.findIndex((r) => r.path === path);
    if (injected >= 0) {
      const r = this.refuseNext.splice(injected, 1)[0];
      const f = this.refuse('injected', r.status, `${path} Retry-After ${r.retryAfter}`);
      if (r.retryAfter !== undefined) f.headers = { 'retry-after': String(r.retryAfter) };
      return f;
    }
    // Not a server check but the production clients' contract: every one
    // of them names itself on the handshake (signalmeow web.OpenWebsocket
    // sets User-Agent and X-Signal-Agent; libsignal-net chat.rs always adds
    // its UserAgent header). Without it the service cannot tell a
    // first-party client from a third-party one (RemoteDeprecationFilter).
    const ua = headers['user-agent'];
    if (!ua) return this.refuse('agent headers', 400, 'no User-Agent on the websocket handshake');
    if (path === '/v1/websocket/' && this.requireSpqr && !FIRST_PARTY_UA.test(ua)) {
      // RemoteDeprecationFilter.shouldBlock / isMissingSpqrCapability: for
      // an unrecognised User-Agent, look up the authenticated device.
      const creds = basicAuth(headers.authorization);
      const device = creds ? await this.server.auth(creds.username, creds.password) : undefined;
      if (device && !capabilitySet(device.capabilities).has('spqr')) {
        return this.refuse('spqr required', 499, `device ${creds.username} lacks spqr`);
      }
    }
    return null;
  }

  async handle(conn, request, next) {
    const verb = request.verb ?? '';
    const path = (request.path ?? '').split('?')[0];
    const li = this.limitNext.findIndex((l) => l.verb === verb && l.path === path);
    if (li >= 0) {
      const l = this.limitNext.splice(li, 1)[0];
      this.refuse('rate limit', l.status, `${verb} ${path} Retry-After ${l.retryAfter}`);
      const res = response(request, l.status, undefined);
      if (l.retryAfter !== undefined) res.headers.push(`Retry-After:${l.retryAfter}`);
      return res;
    }
    if (verb === 'PUT' && path === '/v1/devices/link') return this.link(request, next);
    if (verb === 'PUT' && path === '/v1/devices/capabilities') return this.setCapabilities(conn, request, next);
    // KeepAliveController: GET /v1/keepalive and /v1/keepalive/provisioning,
    // on both the chat and the provisioning websocket (the mock knows only
    // the first).
    if (verb === 'GET' && path === '/v1/keepalive/provisioning') return response(request, 200, undefined);
    if (verb === 'GET' && path === '/v4/attachments/form/upload') return this.uploadForm(conn, request);
    if (verb === 'GET' && !conn.device && /^\/v2\/keys\/[^/]+\/[^/]+$/.test(path)) {
      return this.unauthKeys(request, path, next);
    }
    return next();
  }

  // KeysController.getDeviceKeys without credentials: OptionalAccess.verify
  // (auth/OptionalAccess.java). The mock hands out anyone's bundles on the
  // unauthenticated socket; Signal-Server wants the target's access key
  // (or a group send token, unchecked here as the mock checks none):
  // none, an unknown account, a PNI, an account without a key, a wrong key
  // or an unknown device: 401 (never 404, "that would provide a free
  // exists check").
  async unauthKeys(request, path, next) {
    const h = headerMap(request.headers);
    const [, , , id, dev] = path.split('/').map(decodeURIComponent);
    if (h['group-send-token'] !== undefined && h['unidentified-access-key'] === undefined) return next();
    const refuse = (detail) => {
      this.refuse('access key', 401, detail);
      return response(request, 401, undefined);
    };
    if (h['unidentified-access-key'] === undefined) return refuse(`no access key for ${path}`);
    const target = await this.server.getDeviceByServiceId(id);
    if (!target || id.startsWith('PNI:')) return refuse(`no such ACI account for ${path}`);
    const given = Buffer.from(h['unidentified-access-key'], 'base64');
    if (!target.accessKey || given.length !== target.accessKey.length ||
        !crypto.timingSafeEqual(given, target.accessKey)) return refuse(`wrong access key for ${path}`);
    if (dev !== '*' && !(await this.server.getDeviceByServiceId(id, Number(dev)))) {
      return refuse(`no device ${dev} for ${path}`);
    }
    return next();
  }

  // AttachmentControllerV4.getAttachmentUploadForm, which the mock 27.0.0
  // lacks (it has only the gRPC Attachments/GetUploadForm): @Auth;
  // uploadLength optional, @Positive, default and maximum maxUploadLength
  // (400 / 413 with no body); key = 15 random bytes, URL-safe base64
  // (AttachmentUtil.generateAttachmentKey); cdn 3 in the cdn3 experiment,
  // else 2. The CDN 3 form is the mock's own (base.js
  // getAttachmentUploadForm, its tus server), so the mock stays the peer.
  async uploadForm(conn, request) {
    if (!conn.device) return response(request, 401, undefined);
    const query = new URLSearchParams((request.path ?? '').split('?')[1] ?? '');
    let uploadLength = this.maxUploadLength;
    if (query.has('uploadLength')) {
      const v = query.get('uploadLength');
      if (!/^[0-9]{1,18}$/.test(v) || Number(v) <= 0) {
        this.refuse('upload form', 400, `uploadLength ${v}`);
        return response(request, 400, undefined);
      }
      uploadLength = Number(v);
    }
    if (uploadLength > this.maxUploadLength) {
      this.refuse('upload form', 413, `uploadLength ${uploadLength} > ${this.maxUploadLength}`);
      return response(request, 413, undefined);
    }
    const key = crypto.randomBytes(15).toString('base64url');
    const cdn = this.cdn2Accounts.has(conn.device.aci) ? 2 : 3;
    this.uploadForms.push({ device: `${conn.device.aci}.${conn.device.deviceId}`,
                            uploadLength: query.has('uploadLength') ? uploadLength : undefined, cdn });
    const form = cdn === 2
      ? this.gcs.form(key, uploadLength, `localhost:${this.server.address().port}`)
      : await this.server.getAttachmentUploadForm('attachments', key);
    return response(request, 200, form);
  }

  // DeviceController.linkDevice.
  async link(request, next) {
    let body;
    try {
      body = JSON.parse(Buffer.from(request.body ?? []).toString());
    } catch {
      return response(request, 422, { error: 'malformed body' });
    }
    const caps = body?.accountAttributes?.capabilities;
    // "capabilities == null" -> 422 Missing device capabilities
    if (caps === null || caps === undefined || typeof caps !== 'object' || Array.isArray(caps)) {
      this.refuse('link capabilities', 422, 'no capabilities object');
      return response(request, 422, { error: 'Missing device capabilities' });
    }
    const creds = basicAuth(headerMap(request.headers).authorization);
    const devices = creds ? await this.server.getAllDevicesByServiceId(creds.username) : [];
    const missing = missingForLink(devices, caps, this.capabilities);
    if (missing.length) {
      // isCapabilityDowngrade -> 409, no body
      this.refuse('link capabilities', 409, `missing ${missing.join(', ')}`);
      return response(request, 409, undefined);
    }
    const res = await next();
    if (res.status === 200 && creds) {
      // the new device has what it declared (DeviceSpec capabilities)
      const { deviceId } = JSON.parse(Buffer.from(res.body).toString());
      const device = await this.server.getDeviceByServiceId(creds.username, deviceId);
      if (device) device.capabilities = Object.fromEntries([...capabilitySet(caps, this.capabilities)].map((n) => [n, true]));
    }
    return res;
  }

  // DeviceController.setCapabilities: @Auth, @NotNull Map<String, Boolean>;
  // the device's set is replaced; a void resource answers 204.
  async setCapabilities(conn, request, next) {
    if (!conn.device) return next(); // the mock's requireAuth answers
    let map;
    try {
      map = JSON.parse(Buffer.from(request.body ?? []).toString());
    } catch {
      map = undefined;
    }
    if (!map || typeof map !== 'object' || Array.isArray(map) ||
        Object.values(map).some((v) => typeof v !== 'boolean')) {
      this.refuse('capabilities body', 422, 'not a map of booleans');
      return response(request, 422, { error: 'Unprocessable entity' });
    }
    conn.device.capabilities = Object.fromEntries([...capabilitySet(map, this.capabilities)].map((n) => [n, true]));
    this.capabilityUpdates.push({ device: `${conn.device.aci}.${conn.device.deviceId}`,
                                  capabilities: conn.device.capabilities });
    return response(request, 204, undefined);
  }
}

// Install the rules on a listening Server (after server.listen). The mock's
// own HTTP/2 'connect' listener runs only for handshakes the rules allow.
function applyProductionRules(server, opts = {}) {
  wrapConnection();
  const rules = new ProductionRules(server, opts);
  server[RULES] = rules;
  // The mock's primaries stand in for Signal's phone apps, which declare
  // spqr (Signal-Android AccountAttributes.Capabilities; the mock's own
  // registration schema, data/schemas.js, has it too); the mock's Device
  // predates it. Give them what the phones they model have.
  const createPrimaryDevice = server.createPrimaryDevice.bind(server);
  server.createPrimaryDevice = async (...args) => {
    const primary = await createPrimaryDevice(...args);
    primary.device.capabilities = { ...primary.device.capabilities, spqr: true };
    return primary;
  };
  const https = server.https;
  const mockListeners = https.listeners('connect');
  https.removeAllListeners('connect');
  https.on('connect', (req, res) => {
    rules.checkUpgrade(req.headers, req.headers[':path'] ?? req.url).then((refusal) => {
      if (!refusal) {
        for (const l of mockListeners) l.call(https, req, res);
        return;
      }
      res.writeHead(refusal.status, { 'content-type': 'text/plain', ...(refusal.headers ?? {}) });
      res.end(`${refusal.rule}: ${refusal.detail}`);
    }, (e) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  return rules;
}

module.exports = { applyProductionRules, missingForLink, CAPABILITIES };
