'use strict';
// The Signal sandbox: Signal's own mock server (@signalapp/mock-server,
// unmodified) with a simulated phone that has two contacts, so a person can
// walk the bridge's whole journey without Signal's servers.
//
//   const sb = await startSandbox({ port: 8443 });
//   await sb.scan(urlOrPngBuffer)  // the phone "scans" the bridge's QR code
//   await sb.send('Alice', 'hi')   // a contact writes to the linked device
//   sb.received                    // what contacts got from the bridge
//   await sb.close()
const { startMock } = require('../tests/lib/signal-mock.js');

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
  const sb = {
    mock, phone, contacts, device: null, received: [],
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
