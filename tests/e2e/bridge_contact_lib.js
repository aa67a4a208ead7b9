// What a Signal contact of the sandbox does in the bridge suites: send a
// DataMessage (or any Content) to the linked device, put an attachment on
// the mock's CDN 3, and what the bridge sent to the contact, with the
// bytes of its attachments. One copy for every suite (the `duplicates`
// tool found five).
'use strict';
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { EMPTY_DATA_MESSAGE } = require('@signalapp/mock-server');
const { encryptAttachment } = require('@signalapp/mock-server/src/crypto');

// Signal identifies a message by sender and timestamp: two sent within
// one millisecond must not share one, or the second is a duplicate.
let lastTs = 0;
function nextTs() {
  lastTs = Math.max(Date.now(), lastTs + 1);
  return lastTs;
}

// `contact` sends the Content to the linked device; resolves to its timestamp.
function sendContent(sb, contact, content, ts = nextTs()) {
  lastTs = Math.max(lastTs, ts);
  return contact.sendRaw(sb.device, { content, pniSignatureMessage: null, senderKeyDistributionMessage: null },
                         { timestamp: ts }).then(() => ts);
}

// `contact` sends a DataMessage made of `fields`.
function sendData(sb, contact, fields, ts = nextTs()) {
  return sendContent(sb, contact, { dataMessage: { ...EMPTY_DATA_MESSAGE, timestamp: BigInt(ts), ...fields } }, ts);
}

// An attachment pointer for bytes stored on the mock's CDN 3.
async function cdnPointer(sb, bytes, fields) {
  const enc = encryptAttachment(bytes);
  const cdnKey = crypto.randomUUID();
  await sb.mock.server.storeAttachmentOnCdn(3, cdnKey, enc.blob);
  return { attachmentIdentifier: { cdnKey }, cdnNumber: 3, key: enc.key, size: enc.size,
           digest: Buffer.from(enc.digest), ...fields };
}

// An attachment blob (IV, AES-256-CBC, HMAC-SHA256) opened with its 64-byte key.
function decryptBlob(blob, key, size) {
  const mac = crypto.createHmac('sha256', key.subarray(32)).update(blob.subarray(0, blob.length - 32)).digest();
  assert.ok(mac.equals(blob.subarray(blob.length - 32)), 'attachment MAC');
  const d = crypto.createDecipheriv('aes-256-cbc', key.subarray(0, 32), blob.subarray(0, 16));
  return Buffer.concat([d.update(blob.subarray(16, blob.length - 32)), d.final()]).subarray(0, size);
}

// The bytes of an attachment a contact received (pointer `ap`, CDN 3).
function receivedBytes(sb, ap) {
  const blob = fs.readFileSync(path.join(sb.mock.cdn3Path, 'attachments', ap.attachmentIdentifier.cdnKey));
  return decryptBlob(blob, Buffer.from(ap.key), ap.size);
}

// The first DataMessage `name` received (from index `from` on) that matches.
function receivedBy(sb, name, pred, from = 0) {
  return sb.received.slice(from).find((m) => m.to === name && m.dataMessage && pred(m.dataMessage));
}

module.exports = { nextTs, sendContent, sendData, cdnPointer, decryptBlob, receivedBytes, receivedBy };
