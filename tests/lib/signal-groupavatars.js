'use strict';
// Group avatars for the unmodified @signalapp/mock-server 27.0.0, which
// has none: its groups are created with "avatarUrl: null"
// (src/api/group.js), its groups server ignores a ModifyAvatarAction
// (src/server/group.js modify: "modifyAvatar: null" in what it applies)
// and it serves no groups/ objects. This adds what Signal's service and
// apps do, and nothing more:
//
// - the avatar is the client-encrypted GroupAttributeBlob{avatar}: the
//   image encrypted with the group's blob key by the phone, as
//   Signal-Desktop ts/groups.ts uploadAvatar does (encryptGroupBlob, i.e.
//   libsignal ClientZkGroupCipher.encryptBlob: AES-256-GCM-SIV, padding
//   length 0; rust/zkgroup/src/api/groups/group_params.rs
//   encrypt_blob_with_padding); here the mock's own group.encryptBlob,
//   which is exactly that;
// - it is stored on CDN 0 (cdn.signal.org) under a new object name per
//   upload, "groups/" + base64url(group id) + "/" + base64url(16 random
//   bytes) (the groups server's avatar upload form names it; the app
//   puts that key in the group state), and fetched as GET /<key> from
//   CDN 0 (signalmeow groups.go DownloadGroupAvatar, cdn.signal.org;
//   Desktop getGroupAvatar): here the mock's own HTTPS server, where the
//   bridge's CDN 0 points. Unknown keys get 403, as S3 answers;
// - the key is the state's "avatarUrl" (Groups.proto Group.avatarUrl, not
//   encrypted): in the group's first state when it is created with an
//   avatar (Desktop createGroupV2 uploads first), or set by a
//   ModifyAvatarAction{avatar} ("" removes it), which this applies.
//
//   const avatars = new GroupAvatars(mock.server);  // startMock does it
//   avatars.upload(group, imageBytes) -> "groups/..."   (group: the api Group)
//   await avatars.setInitial(group, key)  // the group was created with it
//   avatars.fetches   // ["groups/...", ...] every CDN GET answered 200
const crypto = require('crypto');
const { ServerGroup } = require('@signalapp/mock-server/src/server/group');

let wrapped = false;

const b64url = (buf) => Buffer.from(buf).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');

// ModifyAvatarAction: the new state's avatar is the given key, "" = none.
function wrapModify() {
  if (wrapped) return;
  wrapped = true;
  const original = ServerGroup.prototype.modify;
  ServerGroup.prototype.modify = function modify(sourceAci, sourcePni, actions) {
    const result = original.call(this, sourceAci, sourcePni, actions);
    if (!result.conflict && actions.modifyAvatar) {
      const last = this.privChanges.groupChanges.at(-1);
      last.groupState = { ...last.groupState, avatarUrl: actions.modifyAvatar.avatar || null };
    }
    return result;
  };
}

class GroupAvatars {
  constructor(server) {
    this.server = server;
    this.objects = new Map();   // key -> encrypted bytes
    this.fetches = [];
    wrapModify();
    const https = server.https;
    const listeners = https.listeners('request');
    https.removeAllListeners('request');
    https.on('request', (req, res) => {
      if (!this.handle(req, res)) for (const l of listeners) l.call(https, req, res);
    });
  }

  upload(group, image) {
    const box = group.encryptBlob({ content: { avatar: image } });
    const key = `groups/${b64url(Buffer.from(group.id, 'base64'))}/${b64url(crypto.randomBytes(16))}`;
    this.objects.set(key, box);
    return key;
  }

  // The group was created with this avatar: its first state names it.
  async setInitial(group, key) {
    const serverGroup = await this.server.getGroup(group.publicParams.serialize());
    const first = serverGroup.privChanges.groupChanges[0];
    if (serverGroup.privChanges.groupChanges.length !== 1) throw new Error('the group was changed already');
    first.groupState = { ...first.groupState, avatarUrl: key };
  }

  handle(req, res) {
    const url = new URL(req.url, 'https://localhost');
    if (req.method !== 'GET' || !url.pathname.startsWith('/groups/')) return false;
    const key = url.pathname.slice(1);
    const body = this.objects.get(key);
    if (!body) {
      res.writeHead(403, { 'Content-Type': 'application/xml' });
      res.end('<Error><Code>AccessDenied</Code></Error>');
      return true;
    }
    this.fetches.push(key);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
    res.end(body);
    return true;
  }
}

module.exports = { GroupAvatars };
