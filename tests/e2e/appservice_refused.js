// Issue #12: a Matrix event that the module cannot store now, with the
// module behind mxm-appservice (always in appservice mode, whatever
// MXM_MODE says). The module refuses it (ABI 1.1 on_event_try returns
// MXM_ERR_AGAIN); the shim answers the homeserver's transaction with 500
// (shim/appservice/as_server.c h_transaction), so the homeserver keeps it
// and sends the transaction again after a backoff, as the Application
// Service API has homeservers do ("the homeserver should retry", spec
// §Pushing events); the message then reaches Signal exactly once. The
// refusal is made on demand with the module's write-fault injector
// (debug.store_faults, docs/store-faults.md): the next INSERT into the
// outbox fails as on a full disk.
'use strict';
process.env.MXM_MODE = 'appservice'; // before bridge_lib is loaded
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./bridge_fault_lib.js');
const { until } = L;

test('an event the module refuses is answered 500 by the shim, sent again by the homeserver, and delivered once', { timeout: 300000 }, async () => {
  const env = await L.setupBridge({ storeFaults: true });
  try {
    assert.ok(env.hs.shim, 'the module runs behind mxm-appservice');
    const f = L.armFault(env, 'br_outbox insert full 1');
    const r = await env.hs.req('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(env.portal)}/send/m.room.message/refused-1`,
                               { token: env.token, body: { msgtype: 'm.text', body: 'refused once' } });
    assert.equal(r.status, 200, 'the homeserver takes the message whatever the module does');
    await f.injected('the outbox insert');
    const said = () => env.hs.log.slice(f.from);
    // the module refused it for now, and the homeserver saw the shim's 500
    await until(() => /the homeserver hands it again/.test(said()), 'the module refusing the event', 60000);
    await until(() => /application service signalbridge: transaction \S+ answered 500; retrying/.test(said()),
                'the homeserver told 500 and retrying', 60000);
    // what Alice's Signal app shows: one message per sent timestamp
    // (Signal-Desktop ts/messages/handleDataMessage.ts drops a copy)
    const shown = (body) => new Set(env.got.filter((m) => m.dataMessage?.body === body)
      .map((m) => String(m.dataMessage.timestamp))).size;
    await until(() => shown('refused once') > 0, 'the refused message at Alice', 120000);
    // then one more: by the time it arrives, a second copy would have too
    assert.ok(await L.putText(env, env.portal, 'refused-2', 'after it'));
    await until(() => shown('after it') > 0, 'the next message at Alice', 120000);
    assert.equal(shown('refused once'), 1, 'the refused message came once');
  } finally {
    await L.stopAll(env);
  }
});
