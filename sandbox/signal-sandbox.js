#!/usr/bin/env node
'use strict';
// Signal sandbox for people: `node sandbox/signal-sandbox.js [--port 8443] [--ui 8444]`
// Starts Signal's mock server and a simulated phone with contacts Alice and
// Bob, then serves a tiny page on http://127.0.0.1:<ui>/ where you hand the
// phone the bridge's QR code (the image, or the link URL) and make the
// contacts write, directly or in the group "Sandbox friends" (the phone and
// both contacts, kept in the phone's storage). The same commands work on
// standard input:
//   scan <sgnl://... URL | path/to/qr.png>     alice <text>     bob <text>
//   group alice|bob|phone <text>
const http = require('node:http');
const fs = require('node:fs');
const readline = require('node:readline');
const { startSandbox } = require('./sandbox.js');

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));

(async () => {
  const lines = [];
  const log = (l) => { lines.push(`${new Date().toISOString().slice(11, 19)} ${l}`); console.log(`[sandbox] ${l}`); };
  const sb = await startSandbox({ port: Number(arg('--port', 8443)), log, group: 'Sandbox friends' });
  const uiPort = Number(arg('--ui', 8444));

  const page = () => `<!doctype html><meta charset=utf-8><title>Signal sandbox</title>
<style>body{font:15px sans-serif;max-width:46em;margin:2em auto}textarea,input{width:100%}pre{background:#eee;padding:1em}</style>
<h1>Signal sandbox</h1>
<p>Phone number <b>${esc(sb.number)}</b> — ${sb.device ? `linked (device ${sb.device.deviceId})` : 'not linked yet'}.</p>
<h2>1. Scan</h2><p>Send <code>link</code> to @signalbot, then give the phone the QR image or the link URL.</p>
<form method=post action=/scan enctype=multipart/form-data><input type=file name=qr accept=image/png> or
<input name=url placeholder="sgnl://linkdevice?..."><button>Scan</button></form>
<h2>2. Chat</h2><form method=post action=/send><select name=from><option>Alice<option>Bob</select>
<select name=to><option value=dm>directly<option value=group>in the group ${esc(sb.group ? 'Sandbox friends' : '')}</select>
<input name=text placeholder="message to the bridge"><button>Send</button></form>
<h2>Log</h2><pre>${esc(lines.slice(-40).join('\n'))}</pre>`;

  async function handle(cmd, rest) {
    if (cmd === 'scan') {
      const what = /\.png$/i.test(rest) ? fs.readFileSync(rest) : rest;
      await sb.scan(what);
    } else if (cmd === 'group') {
      const [who, ...words] = rest.split(' ');
      const name = who ? who[0].toUpperCase() + who.slice(1).toLowerCase() : '';
      sb.sendGroup(name, words.join(' ')).catch((e) => log(`error: ${e.message}`));
      log(`${name} sent to the group: ${words.join(' ')}`);
    } else if (cmd === 'alice' || cmd === 'bob' || cmd === 'phone') {
      sb.send(cmd[0].toUpperCase() + cmd.slice(1), rest).catch(() => {});
      log(`${cmd} sent: ${rest}`);
    } else {
      throw new Error(`unknown command '${cmd}' (scan, alice, bob, phone, group)`);
    }
  }

  http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      try {
        if (req.method === 'POST' && req.url === '/scan') {
          const png = body.indexOf(Buffer.from('\x89PNG', 'latin1'));
          if (png >= 0) {
            const end = body.lastIndexOf(Buffer.from('IEND', 'latin1'));
            await sb.scan(body.subarray(png, end + 8));
          } else {
            const m = /sgnl:\/\/linkdevice\?[^\s\r\n"]+/.exec(body.toString());
            if (!m) throw new Error('give the QR image or the sgnl:// URL');
            await sb.scan(m[0]);
          }
        } else if (req.method === 'POST' && req.url === '/send') {
          const f = new URLSearchParams(body.toString());
          if (f.get('to') === 'group') await handle('group', `${f.get('from')} ${f.get('text')}`);
          else await handle(f.get('from').toLowerCase(), f.get('text'));
        }
      } catch (e) {
        log(`error: ${e.message}`);
      }
      if (req.method === 'POST') { res.writeHead(303, { Location: '/' }); res.end(); return; }
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(page());
    });
  }).listen(uiPort, '127.0.0.1');

  console.log(JSON.stringify({ signal: sb.url, ca: sb.ca, trust_root: sb.trustRoot, ui: `http://127.0.0.1:${uiPort}/`, number: sb.number }));
  readline.createInterface({ input: process.stdin }).on('line', (l) => {
    const [cmd, ...rest] = l.trim().split(/\s+/);
    if (cmd) handle(cmd.toLowerCase(), rest.join(' ')).catch((e) => log(`error: ${e.message}`));
  });
  const stop = async () => { await sb.close(); process.exit(0); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
})().catch((e) => { console.error(e); process.exit(1); });
