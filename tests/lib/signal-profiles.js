'use strict';
// Profile avatars for the unmodified @signalapp/mock-server 27.0.0, which
// has none: its GET /v1/profile answers no "avatar", its PUT /v1/profile
// drops the avatar ("The other fields on UpdateProfileSchema are currently
// not saved", src/server/ws/connection.js) and it serves no profiles/
// objects. This adds what Signal's service does, and nothing more:
//
// - a profile's avatar is an object named "profiles/" + base64url of 16
//   random bytes, a new name for every new avatar (Signal-Server
//   grpc/ProfileHelper.java generateAvatarObjectName, used by
//   controllers/ProfileController.java setProfile);
// - the versioned profile (GET /v1/profile/{aci}/{version}[/{request}])
//   names it in "avatar" (ProfileController getVersionedProfile,
//   entities/VersionedProfileResponse.java), only for the version of the
//   profile key the avatar was set under; the unversioned profile carries
//   none (getUnversionedProfile);
// - the object is the client-encrypted avatar, served as uploaded from the
//   CDN (cdn.signal.org, CDN 0) at GET /<name>: here on the mock's own
//   HTTPS server, where the bridge's CDN 0 points. Unknown names get 403,
//   as S3 answers an unknown key without list permission.
//   The encryption is the client's, done here as the phone would: the
//   profile key's AES-256-GCM box, iv 12 || ciphertext || tag 16
//   (Signal-Desktop ts/Crypto.ts encryptProfile, signalmeow profile.go
//   decryptBytes).
//
//   const avatars = new ProfileAvatars(mock.server);  // startMock does it
//   avatars.set(primaryDevice, imageBytes) -> "profiles/..."
//   avatars.clear(primaryDevice)
//   avatars.fetches   // ["profiles/...", ...] every CDN GET answered 200
const crypto = require('crypto');
const { Aci } = require('@signalapp/libsignal-client');
const { Connection } = require('@signalapp/mock-server/src/server/ws');

const PROFILES = Symbol('signalbridge.profileAvatars');
let wrapped = false;

function versionOf(primary) {
  const aci = Aci.parseFromServiceIdString(primary.device.aci);
  return Buffer.from(primary.profileKey.getProfileKeyVersion(aci).serialize()).toString();
}

function wrapConnection() {
  if (wrapped) return;
  wrapped = true;
  const original = Connection.prototype.handleRequest;
  Connection.prototype.handleRequest = async function handleRequest(request) {
    const response = await original.call(this, request);
    const avatars = this.server[PROFILES];
    const m = /^\/v1\/profile\/([^/?]+)\/([0-9a-f]{64})(\/[^?]*)?(\?.*)?$/.exec(request.path ?? '');
    if (!avatars || request.verb !== 'GET' || !m || response?.status !== 200 || !response.body) return response;
    const entry = avatars.byAci.get(m[1]);
    if (!entry || entry.version !== m[2]) return response;
    const json = JSON.parse(Buffer.from(response.body).toString());
    json.avatar = entry.name;
    return { ...response, body: Buffer.from(JSON.stringify(json)) };
  };
}

class ProfileAvatars {
  constructor(server) {
    this.server = server;
    this.byAci = new Map();     // aci -> {name, version}
    this.objects = new Map();   // name -> encrypted bytes
    this.fetches = [];
    server[PROFILES] = this;
    wrapConnection();
    const https = server.https;
    const listeners = https.listeners('request');
    https.removeAllListeners('request');
    https.on('request', (req, res) => {
      if (!this.handle(req, res)) for (const l of listeners) l.call(https, req, res);
    });
  }

  set(primary, image) {
    const key = Buffer.from(primary.profileKey.serialize());
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', key, iv);
    const box = Buffer.concat([iv, c.update(image), c.final(), c.getAuthTag()]);
    // Java's Base64.getUrlEncoder() pads: 22 characters and "=="
    const name = `profiles/${crypto.randomBytes(16).toString('base64').replace(/\+/g, '-').replace(/\//g, '_')}`;
    const old = this.byAci.get(primary.device.aci);
    if (old) this.objects.delete(old.name);
    this.objects.set(name, box);
    this.byAci.set(primary.device.aci, { name, version: versionOf(primary) });
    return name;
  }

  clear(primary) {
    const old = this.byAci.get(primary.device.aci);
    if (old) this.objects.delete(old.name);
    this.byAci.delete(primary.device.aci);
  }

  handle(req, res) {
    const url = new URL(req.url, 'https://localhost');
    if (req.method !== 'GET' || !url.pathname.startsWith('/profiles/')) return false;
    const name = url.pathname.slice(1);
    const body = this.objects.get(name);
    if (!body) {
      res.writeHead(403, { 'Content-Type': 'application/xml' });
      res.end('<Error><Code>AccessDenied</Code></Error>');
      return true;
    }
    this.fetches.push(name);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
    res.end(body);
    return true;
  }
}

module.exports = { ProfileAvatars };
