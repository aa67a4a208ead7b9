'use strict';
// The two ends of a v4 session for the libsignal interop tests: the C
// implementation driven through tests/interop/session_tool, and
// @signalapp/libsignal-client 0.100 with in-memory stores.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');
const S = require('@signalapp/libsignal-client');

const builddir = process.env.top_builddir || path.resolve(__dirname, '../../build');
const TOOL = path.join(builddir, 'tests/interop/session_tool');
const ERR = { SIGNATURE: -1002, BAD_MAC: -1041, DUPLICATE: -1043 };

const hexb = (h) => Buffer.from(h, 'hex');
const uuidHex = (u) => u.replace(/-/g, '');

class CDevice {
  constructor() {
    this.p = spawn(TOOL, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.rl = readline.createInterface({ input: this.p.stdout });
    this.waiting = [];
    this.rl.on('line', (l) => { const w = this.waiting.shift(); if (w) w(l); });
    this.closed = new Promise((r) => this.p.on('close', r));
  }
  cmd(line) { return new Promise((res) => { this.waiting.push(res); this.p.stdin.write(line + '\n'); }); }
  async ok(line) {
    const r = await this.cmd(line);
    if (!r.startsWith('OK')) throw new Error(`C ${line.split(' ')[0]}: ${r}`);
    return r.split(' ').slice(1);
  }
  async err(line) {
    const r = await this.cmd(line);
    assert.match(r, /^ERR -\d+ /, `expected an error from C ${line.split(' ')[0]}, got ${r.slice(0, 40)}`);
    return Number(r.split(' ')[1]);
  }
  async close() { this.p.stdin.end(); await this.closed; }
}

function jsEnd(st, me, peer) {
  return {
    name: 'libsignal',
    async enc(pt) {
      const m = await S.signalEncrypt(pt, peer, me, st.sessions, st.identity);
      return { type: m.type(), bytes: Buffer.from(m.serialize()) };
    },
    async dec(m) {
      if (m.type === 3) {
        return Buffer.from(await S.signalDecryptPreKey(S.PreKeySignalMessage.deserialize(m.bytes), peer, me,
          st.sessions, st.identity, st.preKeys, st.signedPreKeys, st.kyberPreKeys));
      }
      return Buffer.from(await S.signalDecrypt(S.SignalMessage.deserialize(m.bytes), peer, me, st.sessions, st.identity));
    },
  };
}

function cEnd(c) {
  return {
    name: 'C',
    async enc(pt) {
      const [t, h] = await c.ok(`enc ${pt.toString('hex')}`);
      return { type: Number(t), bytes: hexb(h) };
    },
    async dec(m) {
      const [h] = await c.ok(`dec ${m.type} ${m.bytes.toString('hex')}`);
      return h === '-' ? Buffer.alloc(0) : hexb(h);
    },
  };
}

async function newC(reg, uuid, device, peerUuid, peerDevice, ikPriv) {
  const c = new CDevice();
  const [ik] = await c.ok(`init ${reg} ${uuidHex(uuid)} ${device}` + (ikPriv ? ` ${ikPriv.toString('hex')}` : ''));
  await c.ok(`remote ${uuidHex(peerUuid)} ${peerDevice}`);
  return { c, ik };
}

module.exports = { CDevice, jsEnd, cEnd, newC, hexb, uuidHex, ERR, TOOL };
