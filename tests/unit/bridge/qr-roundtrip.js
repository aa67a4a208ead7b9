// The QR code the bot posts must decode, with a real decoder (jsqr), to
// exactly the link URL - including the percent-encoded base64 key.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const jsQR = require('jsqr');
const { PNG } = require('pngjs');

const tool = path.join(process.env.top_builddir, 'tests/unit/bridge/qr_tool');

function roundTrip(text) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qr-'));
  try {
    const out = path.join(dir, 'qr.png');
    const side = parseInt(execFileSync(tool, [text, out]).toString(), 10);
    const png = PNG.sync.read(fs.readFileSync(out));
    assert.strictEqual(png.width, side);
    assert.strictEqual(png.height, side);
    const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    assert.ok(code, 'jsqr found no QR code');
    return code.data;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('link URL survives the QR round trip', () => {
  const url = 'sgnl://linkdevice?uuid=bc30a594-926f-4bbb-864d-eefb99869201' +
    '&pub_key=BXu6QIKVz5MA8gstzfOgRQGqyLqOwNKHL6INkv3IHWMF%2B%2F%3D&capabilities=';
  assert.strictEqual(roundTrip(url), url);
});

test('short and unicode texts decode too', () => {
  assert.strictEqual(roundTrip('x'), 'x');
  assert.strictEqual(roundTrip('Grüße ✓'), 'Grüße ✓');
});

test('text too long for any QR version is refused', () => {
  assert.throws(() => roundTrip('a'.repeat(8000)), /br_qr_png/);
});
