'use strict';
// PUT /v1/messages/multi_recipient for the unmodified @signalapp/mock-server
// 27.0.0, which has only the gRPC MessagesAnonymous/SendMultiRecipientMessage
// (src/server/grpc.js) and answers the REST path 404. This adds what
// Signal-Server does, and nothing more; the mock stays the peer that
// delivers (its prepareMultiDeviceMessage / handlePreparedMultiDeviceMessage,
// as its gRPC route uses them).
//
// Source: Signal-Server controllers/MessageController.java
// sendMultiRecipientMessage, push/MessageSender.java sendMultiRecipientMessage
// and getMismatchedDevices, push/MessageUtil.java hasDuplicateDevices,
// auth/UnidentifiedAccessUtil.java, auth/CombinedUnidentifiedSenderAccessKeys
// .java, providers/MultiRecipientMessageProvider.java, entities/
// AccountMismatchedDevices.java, AccountStaleDevices.java,
// SendMultiRecipientMessageResponse.java:
//   - body: the SSv2 SentMessage, Content-Type application/vnd.signal-
//     messenger.mrm (other types 415), parsed by libsignal (here its Node
//     SealedSenderMultiRecipientMessage, the parser the mock's gRPC uses);
//     empty or unparsable 400; no recipients 400; a device twice 400;
//     ts < 0 400;
//   - not a story: an Unidentified-Access-Key (base64 of 16 bytes, the XOR
//     of every resolved recipient's access key) or a Group-Send-Token;
//     neither 401, both 400, a bad key 401, a PNI recipient 401;
//   - with an access key, any unknown or unregistered recipient: 404 for
//     the whole request; with a token, 200 {"uuids404": [...]};
//   - per account: missing (account devices not listed), extra (listed,
//     not on the account), stale (registration id differs); any missing or
//     extra: 409 [{"uuid", "devices": {"missingDevices", "extraDevices"}}],
//     else any stale: 410 [{"uuid", "devices": {"staleDevices"}}];
//   - else each recipient's part (messageForRecipient) goes to each of its
//     devices as an UNIDENTIFIED_SENDER envelope with the request's ts;
//     200 {"uuids404": []}.
//   - a Group-Send-Token is base64 of a libsignal GroupSendFullToken
//     (auth/GroupSendTokenHeader.java: unparsable 401) and must pass
//     GroupSendFullToken.verify for exactly the request's recipients, now,
//     with GroupSendDerivedKeyPair.forExpiration(token expiration, server
//     secret params) (MessageController checkGroupSendToken), else 401,
//     checked before any account is resolved. Here with libsignal's own
//     verify and the mock's zkSecret: the mock's groups server already
//     issues the endorsements with libsignal's GroupSendEndorsementsResponse
//     .issue in every GroupResponse (src/server/group.js
//     getGroupSendEndorsementResponse, expiring at the end of tomorrow).
// Not checked: stories' rate limits.
//
//   const mr = new MultiRecipient(mock.server);  // startMock does it
//   mr.requests   // [{status, recipients: {aci: [devices]}, ts, at,
//                 //   authenticated (on a socket with credentials),
//                 //   online, urgent (the query's), auth: 'token' |
//                 //   'access-key' | 'none' (the header it carried)}]
//                 //   every PUT
//   mr.singles    // [{serviceId, status, at, authenticated, types}] every
//                 // PUT /v1/messages/{id} (at: arrival, process.hrtime in
//                 // ms; types: each message's Envelope.Type, 6 = sealed)
//   mr.gate      // optional (single) => Promise | undefined: a PUT
//                 // /v1/messages/{id} is answered only once it resolves
//                 // (a test holds a request in flight)
//   mr.reset()
const crypto = require('crypto');
const { Connection } = require('@signalapp/mock-server/src/server/ws');
const MRM = require('@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage').default;
const { ServiceId } = require('@signalapp/libsignal-client');
const { GroupSendFullToken, GroupSendDerivedKeyPair } = require('@signalapp/libsignal-client/zkgroup');

const KEY = Symbol('signalbridge.multiRecipient');
const MEDIA_TYPE = 'application/vnd.signal-messenger.mrm';
const UNIDENTIFIED_SENDER = 6; // Envelope.Type
let wrapped = false;
const hrms = () => Number(process.hrtime.bigint()) / 1e6;

function headersOf(request) {
  const h = {};
  for (const pair of request.headers ?? []) {
    const i = pair.indexOf(':');
    if (i > 0) h[pair.slice(0, i).trim().toLowerCase()] = pair.slice(i + 1).trim();
  }
  return h;
}

// The Envelope.Type of each device's message in a PUT /v1/messages/{id}
// body ({messages: [{type, ...}]}); [] when unreadable.
function envelopeTypes(request) {
  try {
    return JSON.parse(Buffer.from(request.body).toString()).messages.map((x) => x.type);
  } catch {
    return [];
  }
}

function answer(request, status, json) {
  const headers = [`X-Signal-Timestamp:${Date.now()}`];
  if (json === undefined) return { id: request.id, status, message: null, headers, body: undefined };
  return { id: request.id, status, message: null, headers: headers.concat(['Content-Type:application/json']),
           body: Buffer.from(JSON.stringify(json)) };
}

function wrapConnection() {
  if (wrapped) return;
  wrapped = true;
  const original = Connection.prototype.handleRequest;
  Connection.prototype.handleRequest = async function handleRequest(request) {
    const mr = this.server[KEY];
    const path = (request.path ?? '').split('?')[0];
    if (mr && request.verb === 'PUT' && path === '/v1/messages/multi_recipient') {
      return mr.handle(request, this.device !== undefined);
    }
    const m = /^\/v1\/messages\/([^/]+)$/.exec(path);
    const single = mr && request.verb === 'PUT' && m
      ? { serviceId: decodeURIComponent(m[1]), status: 0, at: hrms(), authenticated: this.device !== undefined,
          types: envelopeTypes(request) } : null;
    if (single) mr.singles.push(single);
    if (single && mr.gate) await mr.gate(single);
    const res = await original.call(this, request);
    if (single) single.status = res?.status;
    return res;
  };
}

class MultiRecipient {
  constructor(server) {
    this.server = server;
    this.requests = [];
    this.singles = [];
    server[KEY] = this;
    wrapConnection();
  }

  reset() {
    this.requests = [];
    this.singles = [];
    this.gate = undefined;
  }

  async handle(request, authenticated = false) {
    const query = new URLSearchParams((request.path ?? '').split('?')[1] ?? '');
    const entry = { status: 0, recipients: {}, ts: undefined, at: hrms(), authenticated,
                    online: query.get('online') === 'true', urgent: query.get('urgent') !== 'false' };
    this.requests.push(entry);
    const res = await this.run(request, entry).catch((e) => {
      entry.error = e.message;
      return answer(request, 500, { error: 'internal' });
    });
    entry.status = res.status;
    return res;
  }

  async run(request, entry) {
    const { server } = this;
    const h = headersOf(request);
    const query = new URLSearchParams((request.path ?? '').split('?')[1] ?? '');
    const isStory = query.get('story') === 'true';
    const ts = query.get('ts');
    if (ts === null || !/^[0-9]{1,16}$/.test(ts)) return answer(request, 400, { error: 'Illegal timestamp' });
    entry.ts = Number(ts);
    if ((h['content-type'] ?? '').split(';')[0].trim() !== MEDIA_TYPE) return answer(request, 415);
    const body = request.body ? Buffer.from(request.body) : Buffer.alloc(0);
    if (body.length === 0) return answer(request, 400, { error: 'Empty body not allowed' });
    let msg;
    try {
      msg = new MRM(body);
    } catch (e) {
      return answer(request, 400, { error: `bad message: ${e.message}` });
    }
    const recipients = Object.entries(msg.recipientsByServiceIdString());
    for (const [sid, r] of recipients) entry.recipients[sid] = r.deviceIds.slice();
    if (recipients.length === 0) return answer(request, 400, { error: 'Recipient list is empty' });
    if (recipients.some(([, r]) => new Set(r.deviceIds).size !== r.deviceIds.length)) {
      return answer(request, 400, { error: 'Multi-recipient message contains duplicate recipient' });
    }
    const uak = h['unidentified-access-key'];
    const gst = h['group-send-token'];
    entry.auth = gst !== undefined ? 'token' : uak !== undefined ? 'access-key' : 'none';
    if (!isStory) {
      if (uak === undefined && gst === undefined) return answer(request, 401);
      if (uak !== undefined && gst !== undefined) return answer(request, 400);
    } else if (gst !== undefined) {
      return answer(request, 400, { error: 'Group send token not allowed when sending stories' });
    }
    if (!isStory && gst !== undefined) {
      try {
        const token = new GroupSendFullToken(Buffer.from(gst, 'base64'));
        token.verify(recipients.map(([sid]) => ServiceId.parseFromServiceIdString(sid)),
          GroupSendDerivedKeyPair.forExpiration(token.getExpiration(), server.zkSecret));
      } catch (e) {
        entry.tokenError = e.message;
        return answer(request, 401);
      }
    }
    // resolve: the account's primary, unless unregistered
    const resolved = [];
    const unresolved = [];
    for (const [sid, r] of recipients) {
      // eslint-disable-next-line no-await-in-loop
      const account = server.isUnregistered(sid) ? undefined : await server.getDeviceByServiceId(sid);
      if (account) resolved.push({ sid, r, account });
      else unresolved.push(sid);
    }
    if (!isStory && gst === undefined) {
      if (unresolved.length > 0) return answer(request, 404);
      if (recipients.some(([sid]) => sid.startsWith('PNI:'))) return answer(request, 401);
      const given = Buffer.from(uak, 'base64');
      if (given.length !== 16) return answer(request, 401);
      const combined = Buffer.alloc(16);
      for (const { account } of resolved) {
        if (!account.accessKey || account.accessKey.length !== 16) return answer(request, 401);
        for (let i = 0; i < 16; i += 1) combined[i] ^= account.accessKey[i];
      }
      if (!crypto.timingSafeEqual(combined, given)) return answer(request, 401);
    }
    // devices: MessageSender.getMismatchedDevices for every resolved account
    const mismatched = [];
    const stale = [];
    const deliveries = [];
    for (const { sid, r } of resolved) {
      // eslint-disable-next-line no-await-in-loop
      const devices = await server.getAllDevicesByServiceId(sid);
      const byId = new Map(devices.map((d) => [d.deviceId, d]));
      const listed = new Map(r.deviceIds.map((id, i) => [id, r.registrationIds[i]]));
      const missing = [...byId.keys()].filter((id) => !listed.has(id));
      const extra = [...listed.keys()].filter((id) => !byId.has(id));
      const staleIds = [...listed.entries()].filter(([id, reg]) => byId.has(id) &&
        byId.get(id).getCheckedRegistrationId(byId.get(id).getServiceIdKind(sid)) !== reg).map(([id]) => id);
      if (missing.length || extra.length) mismatched.push({ uuid: sid, devices: { missingDevices: missing, extraDevices: extra } });
      if (staleIds.length) stale.push({ uuid: sid, devices: { staleDevices: staleIds } });
      deliveries.push({ sid, r });
    }
    if (mismatched.length) return answer(request, 409, mismatched);
    if (stale.length) return answer(request, 410, stale);
    for (const { sid, r } of deliveries) {
      const content = Buffer.from(msg.messageForRecipient(r)).toString('base64');
      const messages = r.deviceIds.map((id, i) => ({ type: UNIDENTIFIED_SENDER, destinationDeviceId: id,
                                                     destinationRegistrationId: r.registrationIds[i], content }));
      // eslint-disable-next-line no-await-in-loop
      const prepared = await server.prepareMultiDeviceMessage(undefined, sid, messages, BigInt(ts));
      if (prepared.status !== 'ok') throw new Error(`devices changed during the send: ${prepared.status}`);
      // eslint-disable-next-line no-await-in-loop
      await server.handlePreparedMultiDeviceMessage(undefined, prepared.targetServiceId, prepared.result);
    }
    return answer(request, 200, { uuids404: gst !== undefined || isStory ? unresolved : [] });
  }
}

module.exports = { MultiRecipient, MEDIA_TYPE };
