'use strict';
// The Signal sandbox: Signal's own mock server (@signalapp/mock-server,
// unmodified) with a simulated phone that has two contacts, so a person can
// walk the bridge's whole journey without Signal's servers.
//
//   const sb = await startSandbox({ port: 8443 });
//   await sb.scan(urlOrPngBuffer)  // the phone "scans" the bridge's QR code
//   await sb.send('Alice', 'hi')   // a contact writes to the linked device
//   await sb.sendGroup('Bob', 'hi all')  // ... or to the group (opts.group)
//   sb.received                    // what contacts got from the bridge
//   await sb.close()
const { startMock } = require('../tests/lib/signal-mock.js');
const { StorageState, EMPTY_DATA_MESSAGE } = require('@signalapp/mock-server');

const CONTACTS = ['Alice Smith', 'Bob Jones'];

function decodeQr(png) {
  const jsQR = require('jsqr');
  const { PNG } = require('pngjs');
  const img = PNG.sync.read(png);
  const code = jsQR(new Uint8ClampedArray(img.data), img.width, img.height);
  if (!code) throw new Error('no QR code found in that image');
  return code.data;
}

async function startSandbox(opts = {}) {
  const log = opts.log || (() => {});
  const mock = await startMock({ port: opts.port ?? 0, timeout: opts.timeout ?? 600000 });
  const { server } = mock;
  const contacts = {};
  for (const name of CONTACTS) {
    contacts[name.split(' ')[0]] = await server.createPrimaryDevice({ profileName: name });
  }
  const phone = await server.createPrimaryDevice({
    profileName: opts.phoneName || 'Sandbox Phone', contacts: Object.values(contacts),
  });
  // opts.group (a title): a group of the phone and both contacts, kept with
  // both contacts (as chats the user accepted) in the phone's storage
  // service, so the bridge invites to them right after linking.
  let group = null;
  if (opts.group) {
    group = await phone.createGroup({ title: opts.group, members: [phone, ...Object.values(contacts)] });
    let state = StorageState.getEmpty();
    for (const [i, c] of Object.values(contacts).entries()) {
      const [givenName, familyName] = CONTACTS[i].split(' ');
      state = state.addContact(c, { profileKey: c.profileKey.serialize(), givenName, familyName, whitelisted: true });
    }
    await phone.setStorageState(state.addGroup(group, { whitelisted: true }));
  }
  const sb = {
    mock, phone, contacts, group, device: null, received: [],
    url: mock.url, ca: mock.ca,
    number: phone.device.number,
    trustRoot: 'BZ8zqn+/bbZcpoKqnvkHXvoTI+n9o/Iuc9kpVog2ZEYs',
  };

  // The phone scans: `what` is the sgnl:// URL or a PNG of the QR code.
  sb.scan = async (what) => {
    const provisionURL = Buffer.isBuffer(what) ? decodeQr(what) : String(what).trim();
    if (!provisionURL.startsWith('sgnl://linkdevice?')) throw new Error(`not a Signal link URL: ${provisionURL}`);
    const pending = await server.waitForProvision();
    const device = await pending.complete({ provisionURL, primaryDevice: phone });
    sb.device = device;
    // Give the phone and the contacts sessions to the new device, as
    // Signal-Desktop's mock tests do (signal-service.md §2.8).
    await phone.addSingleUseKey(device, await device.popSingleUseKey());
    for (const c of Object.values(contacts)) {
      for (const kind of ['ACI', 'PNI']) {
        await c.addSingleUseKey(device, await device.popSingleUseKey(kind), kind);
      }
    }
    for (const [name, c] of Object.entries(contacts)) listen(name, c);
    log(`linked device ${device.deviceId} of ${sb.number}`);
    return device;
  };

  function listen(name, c) {
    (async () => {
      for (;;) {
        let m;
        try { m = await c.waitForMessage(); } catch (e) { return; }
        const body = m.body ?? m.dataMessage?.body ?? '';
        sb.received.push({ to: name, body, at: Date.now(), dataMessage: m.dataMessage });
        log(`${name} received: ${body}`);
      }
    })();
  }

  // A contact (or 'Phone' for the user's own phone) writes to the device.
  sb.send = async (name, text, opts) => {
    if (!sb.device) throw new Error('not linked yet: scan the QR code first');
    const from = name === 'Phone' ? phone : contacts[name];
    if (!from) throw new Error(`no contact '${name}' (try ${Object.keys(contacts).join(', ')})`);
    // resolves once the device acknowledged it; do not block the caller on it
    const sent = from.sendText(sb.device, text, opts);
    sent.catch((e) => log(`send failed: ${e.message}`));
    return sent;
  };

  // The user writes from the phone to a contact: the linked device gets a
  // sync transcript (SyncMessage.Sent), as from Signal's real apps.
  sb.fromPhone = async (name, text) => {
    if (!sb.device) throw new Error('not linked yet: scan the QR code first');
    const to = contacts[name];
    if (!to) throw new Error(`no contact '${name}'`);
    const env = await phone.encryptSyncSent(sb.device, text, {
      timestamp: Date.now(), destinationServiceId: to.device.aci,
    });
    return server.send(sb.device, env);
  };

  // A contact, or 'Phone' (the user, from the phone: a sync transcript),
  // writes to a group (opts.group: a mock Group; default the sandbox's).
  sb.sendGroup = async (name, text, { group: g = group, timestamp = Date.now() } = {}) => {
    if (!sb.device) throw new Error('not linked yet: scan the QR code first');
    if (!g) throw new Error('no group: start the sandbox with a group');
    if (name !== 'Phone') {
      const from = contacts[name];
      if (!from) throw new Error(`no contact '${name}'`);
      return from.sendText(sb.device, text, { group: g, timestamp });
    }
    const sent = {
      destinationServiceIdBinary: null, timestamp: BigInt(timestamp),
      message: { ...EMPTY_DATA_MESSAGE, body: text, timestamp: BigInt(timestamp), groupV2: g.toContext() },
      destinationE164: null, unidentifiedStatus: null, isRecipientUpdate: null,
      expirationStartTimestamp: null, storyMessage: null, storyMessageRecipients: null,
      editMessage: null, destinationServiceId: null,
    };
    const env = await phone.encryptContent(sb.device, {
      content: { syncMessage: { content: { sent }, stickerPackOperation: null, read: null, viewed: null, padding: null } },
      pniSignatureMessage: null,
      senderKeyDistributionMessage: null,
    }, { timestamp });
    return server.send(sb.device, env);
  };

  // The phone removes the linked device (Settings > Linked devices).
  sb.unlink = async () => {
    if (!sb.device) throw new Error('not linked');
    await server.removeDeviceByServiceId(phone.device.aci, sb.device.deviceId);
    // Signal's server closes the removed device's socket; the mock only
    // refuses it on the next connection, so drop the connections.
    mock.destroySockets();
    sb.device = null;
  };

  sb.close = () => mock.close();
  return sb;
}

module.exports = { startSandbox, decodeQr, CONTACTS };
