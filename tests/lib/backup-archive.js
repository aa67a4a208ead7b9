'use strict';
// A message-backup archive as the phone uploads it for "link and sync",
// built in the test: frames encoded here by hand (field numbers from
// libsignal rust/message-backup/src/proto/backup.proto; no protobuf
// library is installed), gzip from node's zlib, keys from libsignal-client
// 0.100 (BackupKey.deriveBackupId, MessageBackupKey), and the result
// checked with libsignal's own validator (MessageBackup.validate,
// Purpose.DeviceTransfer) so that what we read is what Signal accepts.
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const SC = require('@signalapp/libsignal-client');
const { BackupKey } = require('@signalapp/libsignal-client/dist/AccountKeys.js');
const MB = require('@signalapp/libsignal-client/dist/MessageBackup.js');
const { InputStream } = require('@signalapp/libsignal-client/dist/io.js');

// ---- protobuf wire encoding ----
function varint(n) {
  let v = BigInt(n);
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}
const key = (num, wt) => varint((num << 3) | wt);
const u = (num, v) => (v === undefined || v === null ? Buffer.alloc(0) : Buffer.concat([key(num, 0), varint(v)]));
const b = (num, v) => {
  if (v === undefined || v === null) return Buffer.alloc(0);
  const buf = Buffer.isBuffer(v) ? v : Buffer.from(v);
  return Buffer.concat([key(num, 2), varint(buf.length), buf]);
};
const m = (num, ...parts) => b(num, Buffer.concat(parts));
const delim = (buf) => Buffer.concat([varint(buf.length), buf]);

// ---- the frames this suite needs ----
const F = {
  info: ({ backupTimeMs, mediaRootBackupKey }) =>
    Buffer.concat([u(1, 1), u(2, backupTimeMs), b(3, mediaRootBackupKey),
      b(4, 'signalbridge-test'), b(5, 'signalbridge-test')]),
  account: ({ profileKey, givenName }) => m(1, b(1, profileKey), b(4, givenName),
    // AccountSettings: a non-empty message (the validator wants one)
    m(9, u(1, 1), u(3, 1), u(17, 2), u(23, 1), m(24, u(1, 1), u(2, 1), u(3, 1), u(4, 1)), u(28, 1), u(29, 1)), b(11, "")),
  self: (id) => m(2, u(1, id), m(5)),
  releaseNotes: (id) => m(2, u(1, id), m(6)),
  // Contact: aci, registered, profile given name, profileSharing
  contact: (id, aciBytes, givenName, { e164 } = {}) =>
    m(2, u(1, id), m(2, b(1, aciBytes), u(4, e164), m(7), u(10, 1), b(11, givenName))),
  // Group: master key, whitelisted, snapshot { title, version, members }
  group: (id, masterKey, title, memberAcis) =>
    m(2, u(1, id), m(3, b(1, masterKey), u(2, 1),
      m(5, m(2, b(1, title)), m(5, u(1, 2), u(2, 2), u(3, 4)), u(6, 1),
        ...memberAcis.map((a) => m(7, b(1, a), u(2, 1)))))),
  chat: (id, recipientId) => m(3, u(1, id), u(2, recipientId)),
  // ChatItem with a StandardMessage
  // unread: an incoming message the phone has not read (IncomingMessageDetails.read = 3)
  text: ({ chatId, authorId, dateSent, outgoing, body, quote, reactions, revisions, recipientIds, unread, attachments }) => {
    const details = outgoing
      ? m(9, ...recipientIds.map((r) => m(1, u(1, r), u(2, dateSent + 1), m(5, u(1, 0)))),
        u(2, dateSent))
      : m(8, u(1, dateSent + 2), u(2, dateSent + 1), unread ? Buffer.alloc(0) : u(3, 1));
    const std = Buffer.concat([
      quote ? m(1, u(1, quote.ts), u(2, quote.authorId), m(3, b(1, quote.body)), u(5, 1)) : Buffer.alloc(0),
      // MessageAttachment { pointer: FilePointer { contentType 4, fileName 7,
      // width 8, height 9, locatorInfo 13 { key 1, size 3, transitCdnKey 4,
      // transitCdnNumber 5, transitTierUploadTimestamp 6, encryptedDigest 11 } } }
      ...(attachments || []).map((a) => m(3, m(1, b(4, a.contentType), b(7, a.fileName), u(8, a.width),
        u(9, a.height), m(13, b(1, a.key), u(3, a.size), b(4, a.cdnKey), u(5, a.cdnNumber),
          u(6, a.uploadTs), b(11, a.digest))), u(3, 0))),
      body !== undefined ? m(2, b(1, body)) : Buffer.alloc(0),
      ...(reactions || []).map((r, i) => m(6, b(1, r.emoji), u(2, r.authorId), u(3, r.ts), u(4, i + 1))),
    ]);
    const revs = (revisions || []).map((rv) => m(6, u(1, chatId), u(2, authorId), u(3, rv.dateSent),
      outgoing ? m(9, ...recipientIds.map((r) => m(1, u(1, r), u(2, rv.dateSent + 1), m(5, u(1, 0)))),
        u(2, rv.dateSent))
        : m(8, u(1, rv.dateSent + 2), u(2, rv.dateSent + 1), u(3, 1)),
      m(11, m(2, b(1, rv.body)))));
    return m(4, u(1, chatId), u(2, authorId), u(3, dateSent), ...revs, details, m(11, std));
  },
};

// ---- keys and envelope ----
function keysFor(ephemeralBackupKey, aciString) {
  const bk = new BackupKey(Buffer.from(ephemeralBackupKey));
  const backupId = bk.deriveBackupId(SC.Aci.parseFromServiceIdString(aciString));
  const mbk = new MB.MessageBackupKey({ backupKey: bk, backupId });
  return { mbk, hmacKey: Buffer.from(mbk.hmacKey), aesKey: Buffer.from(mbk.aesKey) };
}

function seal({ hmacKey, aesKey }, frames, { pad = 0 } = {}) {
  const plain = Buffer.concat(frames.map(delim));
  const gz = Buffer.concat([zlib.gzipSync(plain), Buffer.alloc(pad)]);
  const iv = crypto.randomBytes(16);
  const c = crypto.createCipheriv('aes-256-cbc', aesKey, iv);
  const body = Buffer.concat([iv, c.update(gz), c.final()]);
  return Buffer.concat([body, crypto.createHmac('sha256', hmacKey).update(body).digest()]);
}

class BufStream extends InputStream {
  constructor(buf) {
    super();
    this.buf = buf;
    this.pos = 0;
  }

  async read(n) {
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += out.length;
    return new Uint8Array(out);
  }

  async skip(n) {
    if (this.pos + n > this.buf.length) throw new Error('skip past end');
    this.pos += n;
  }
}

// libsignal's verdict on an archive: { ok, errorMessage }
async function validate(mbk, archive) {
  const out = await MB.validate(mbk, MB.Purpose.DeviceTransfer, () => new BufStream(archive),
    BigInt(archive.length));
  return { ok: out.ok, errorMessage: out.errorMessage, unknown: out.unknownFieldMessages };
}

module.exports = { F, keysFor, seal, validate, varint };
