// Issue #14, "link and sync": a newly linked account's Signal history
// becomes Matrix rooms. A real Matrix client (matrix-js-sdk) on mxhs, the
// module, and Signal's mock server as Signal; the phone has an ephemeral
// backup key and, once linked, "uploads" an archive built in the test
// (tests/lib/backup-archive.js: libsignal-client's keys, checked with
// libsignal's validator) to the mock's CDN 3. The phone's storage holds
// no contact and no group: every room here comes from the archive's chat
// list (1:1 chats, a group, Note to Self). Then a
// relink that hands the same history over again duplicates nothing.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox, decodeQr } = require('../../sandbox/sandbox.js');
const { BOT, SERVER, bridgeConfig, client, messages, until } = require('./bridge_lib.js');
const { spawnSync } = require('node:child_process');
const { F, keysFor, seal, validate } = require('../lib/backup-archive');
const { encryptAttachment } = require('@signalapp/mock-server/src/crypto');
const { PNG } = require('./mxhs_harness.js');

let hs;
let sb;
let me;
let botRoom;
let group; // a group of the phone and both contacts, in no storage record
// a picture Alice sent to the group, still on the transit CDN
const photo = Buffer.concat([PNG, crypto.randomBytes(3000)]);
const photoEnc = encryptAttachment(photo);
const photoKey = crypto.randomUUID();
const now = Date.now();
const ghost = (dev) => `@signal_${dev.device.aci}:${SERVER}`;
const uuidBytes = (s) => Buffer.from(s.replace(/-/g, ''), 'hex');

async function scanNewCode(before) {
  const img = await until(() => messages(me, botRoom, BOT).slice(before)
    .find((e) => e.getContent().msgtype === 'm.image'), 'the QR code', 30000);
  const [server, id] = img.getContent().url.slice(6).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${me.getAccessToken()}` } });
  const url = decodeQr(Buffer.from(await res.arrayBuffer()));
  assert.match(url, /&capabilities=backup5$/, 'the link URL offers to take the history');
  await sb.scan(url);
  return until(() => messages(me, botRoom, BOT).slice(before)
    .find((e) => /^Successfully logged in as/.test(e.getContent().body)), 'linked', 60000);
}

function archive() {
  const { phone, contacts: { Alice, Bob } } = sb;
  const A = uuidBytes(Alice.device.aci), B = uuidBytes(Bob.device.aci);
  const frames = [
    F.info({ backupTimeMs: now, mediaRootBackupKey: phone.mediaRootBackupKey }),
    F.account({ profileKey: crypto.randomBytes(32), givenName: 'Me' }),
    F.self(1), F.releaseNotes(2), F.contact(3, A, 'Alice'), F.contact(4, B, 'Bob'),
    F.group(5, group.masterKey, 'Hikers', [uuidBytes(phone.device.aci), A, B]),
    F.chat(10, 3), F.chat(11, 4), F.chat(12, 1), F.chat(13, 5),
    F.text({ chatId: 10, authorId: 3, dateSent: now - 60000, body: 'hist: first from Alice' }),
    F.text({ chatId: 10, authorId: 1, dateSent: now - 50000, outgoing: true, body: 'hist: my answer',
      recipientIds: [3], quote: { ts: now - 60000, authorId: 3, body: 'hist: first from Alice' } }),
    F.text({ chatId: 10, authorId: 3, dateSent: now - 40000, body: 'hist: third from Alice', unread: true,
      reactions: [{ emoji: '❤️', authorId: 1, ts: now - 39000 }] }),
    F.text({ chatId: 11, authorId: 4, dateSent: now - 30000, body: 'hist: Bob says hi' }),
    // edited twice: the item is the latest version, its revisions the
    // earlier ones, oldest first (libsignal backup.proto ChatItem.revisions)
    F.text({ chatId: 11, authorId: 4, dateSent: now - 25000, body: 'hist: Bob edited, final', unread: true,
      revisions: [{ dateSent: now - 27000, body: 'hist: Bob edited, first' },
        { dateSent: now - 26000, body: 'hist: Bob edited, second' }] }),
    F.text({ chatId: 12, authorId: 1, dateSent: now - 20000, outgoing: true, body: 'hist: note to self',
      recipientIds: [1] }),
    F.text({ chatId: 13, authorId: 4, dateSent: now - 10000, body: 'hist: Bob in the group' }),
    F.text({ chatId: 13, authorId: 3, dateSent: now - 9000, attachments: [{ contentType: 'image/png',
      fileName: 'hist-photo.png', width: 1, height: 1, key: photoEnc.key, size: photoEnc.size,
      cdnKey: photoKey, cdnNumber: 3, uploadTs: now - 9000, digest: photoEnc.digest }] }),
  ];
  const keys = keysFor(phone.ephemeralBackupKey, phone.device.aci);
  return { keys, bytes: seal(keys, frames, { pad: 11 }) };
}

async function upload(bytes) {
  const key = crypto.randomBytes(12).toString('hex');
  fs.mkdirSync(path.join(sb.mock.cdn3Path, 'attachments'), { recursive: true });
  fs.writeFileSync(path.join(sb.mock.cdn3Path, 'attachments', key), bytes);
  await sb.mock.server.provideTransferArchive(sb.device, { cdn: 3, key });
}

const everywhere = (body) => me.getRooms().filter((r) => r.getMyMembership() === 'join')
  .flatMap((r) => messages(me, r.roomId)).filter((e) => e.getContent().body === body);

test.before(async () => {
  sb = await startSandbox({});
  sb.phone.ephemeralBackupKey = crypto.randomBytes(32); // goes into the ProvisionMessage
  group = await sb.phone.createGroup({ title: 'Hikers', members: [sb.phone, sb.contacts.Alice, sb.contacts.Bob] });
  hs = new Homeserver();
  // the mock's zkgroup params: the group's state comes from its groups server
  const zkParams = Buffer.from(sb.mock.server.zkSecret.getPublicParams().serialize()).toString('base64');
  fs.writeFileSync(hs.config, bridgeConfig(hs.dir, `      permissions: {"${SERVER}": user}
      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}",
               server_public_params: "${zkParams}"}`));
  await hs.start();
  assert.equal(hs.registerUser('alice', 'pw-alice').status, 0);
  me = await client(hs, 'alice');
  ({ room_id: botRoom } = await me.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [BOT] }));
  await until(() => messages(me, botRoom, BOT)[0], 'the welcome message');
  const before = messages(me, botRoom, BOT).length;
  await me.sendTextMessage(botRoom, 'link');
  await scanNewCode(before);
});

test.after(async () => {
  if (me) me.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

test('the history becomes rooms: every chat, its messages in order, original times, ghosts', async () => {
  await sb.mock.server.storeAttachmentOnCdn(3, photoKey, photoEnc.blob);
  const { keys, bytes } = archive();
  const verdict = await validate(keys.mbk, bytes);
  assert.ok(verdict.ok, `libsignal validates the archive: ${verdict.errorMessage}`);
  await upload(bytes);
  await until(() => messages(me, botRoom, BOT).find((e) => /^Importing 4 chats/.test(e.getContent().body)),
    'the import notice', 60000);
  await until(() => messages(me, botRoom, BOT).find((e) => e.getContent().body === 'Done: 4 chats, 8 messages.'),
    'the done notice', 60000);

  const first = await until(() => everywhere('hist: first from Alice')[0], 'Alice\'s first message', 60000);
  const dm = first.getRoomId();
  const third = await until(() => messages(me, dm).find((e) => e.getContent().body === 'hist: third from Alice'),
    'Alice\'s third message', 60000);
  const mine = await until(() => messages(me, dm).find((e) => /hist: my answer$/.test(e.getContent().body)),
    'my answer (double puppeted)', 60000);
  assert.equal(first.getSender(), ghost(sb.contacts.Alice));
  assert.equal(third.getSender(), ghost(sb.contacts.Alice));
  assert.equal(mine.getSender(), me.getUserId(), 'the user\'s own message as the user');
  assert.equal(first.getTs(), now - 60000, 'original timestamp');
  assert.equal(mine.getTs(), now - 50000);
  // the reply: a Matrix reply to the quoted message's event, though the
  // history's messages go out faster than the homeserver answers
  assert.equal(mine.getWireContent()['m.relates_to']?.['m.in_reply_to']?.event_id, first.getId(),
    `the reply is a Matrix reply: ${JSON.stringify(mine.getWireContent())}`);
  assert.equal(mine.getWireContent().body, 'hist: my answer');
  const reaction = await until(() => me.getRoom(dm).getLiveTimeline().getEvents()
    .find((e) => e.getType() === 'm.reaction'), 'the reaction', 60000);
  assert.equal(reaction.getWireContent()['m.relates_to'].event_id, third.getId());
  assert.equal(reaction.getWireContent()['m.relates_to'].key, '❤️');
  assert.equal(reaction.getSender(), me.getUserId());
  const order = messages(me, dm).map((e) => e.getContent().body.replace(/^> [^\n]*\n\n/, ''))
    .filter((x) => x.startsWith('hist:'));
  assert.deepEqual(order, ['hist: first from Alice', 'hist: my answer', 'hist: third from Alice']);

  const bob = await until(() => everywhere('hist: Bob says hi')[0], 'Bob\'s message', 60000);
  assert.equal(bob.getSender(), ghost(sb.contacts.Bob));
  assert.notEqual(bob.getRoomId(), dm);
  // the edited message: its original, then every later version as an
  // m.replace on it, each with its own time
  const wire = (r) => me.getRoom(r).getLiveTimeline().getEvents().filter((e) => e.getType() === 'm.room.message');
  const orig = await until(() => wire(bob.getRoomId())
    .find((e) => e.getWireContent().body === 'hist: Bob edited, first'), 'the edited message\'s original', 60000);
  assert.equal(orig.getSender(), ghost(sb.contacts.Bob));
  assert.equal(orig.getTs(), now - 27000, 'the original at its own time');
  const edits = () => wire(bob.getRoomId()).filter((e) => {
    const rel = e.getWireContent()['m.relates_to'];
    return rel?.rel_type === 'm.replace' && rel.event_id === orig.getId();
  });
  await until(() => edits().length === 2 || undefined, 'two edits on the original', 60000);
  assert.deepEqual(edits().map((e) => [e.getWireContent()['m.new_content'].body, e.getTs(), e.getSender()]),
    [['hist: Bob edited, second', now - 26000, ghost(sb.contacts.Bob)],
      ['hist: Bob edited, final', now - 25000, ghost(sb.contacts.Bob)]]);
  assert.equal(wire(bob.getRoomId()).filter((e) => !e.getWireContent()['m.relates_to'] &&
    /^hist: Bob edited/.test(e.getWireContent().body)).length, 1, 'one message, not one per version');
  // the phone's read marker (IncomingMessageDetails.read): after my answer
  // (Alice's third is unread) and after 'Bob says hi' (the edited message
  // is unread), as the user's m.fully_read and m.read
  const marker = (roomId) => me.getRoom(roomId).getAccountData('m.fully_read')?.getContent().event_id;
  await until(() => marker(dm), 'the read marker in Alice\'s room', 60000);
  assert.equal(marker(dm), mine.getId(), 'the read marker where the phone\'s was');
  await until(() => marker(bob.getRoomId()), 'the read marker in Bob\'s room', 60000);
  assert.equal(marker(bob.getRoomId()), bob.getId());
  // (Bob's room: no message of the user's own to imply a receipt)
  await until(() => me.getRoom(bob.getRoomId()).getEventReadUpTo(me.getUserId()) === bob.getId() || undefined,
    'the user\'s read receipt on Bob\'s message', 60000);
  const note = await until(() => everywhere('hist: note to self')[0], 'the note to self', 60000);
  assert.equal(note.getSender(), me.getUserId());
  const inGroup = await until(() => everywhere('hist: Bob in the group')[0], 'the group message', 60000);
  assert.equal(inGroup.getSender(), ghost(sb.contacts.Bob));
  assert.equal(inGroup.getTs(), now - 10000);
  // the archive's picture: downloaded from the CDN, decrypted, uploaded,
  // as Alice at its original time
  const pic = await until(() => messages(me, inGroup.getRoomId())
    .find((e) => e.getContent().msgtype === 'm.image'), 'the picture from the archive', 60000);
  assert.equal(pic.getSender(), ghost(sb.contacts.Alice));
  assert.equal(pic.getTs(), now - 9000);
  assert.equal(pic.getContent().body, 'hist-photo.png');
  const [server, id] = pic.getContent().url.slice(6).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${me.getAccessToken()}` } });
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(photo), 'the picture\'s bytes');
  // its title and members from the groups server, the archive's master key
  await until(() => me.getRoom(inGroup.getRoomId()).name === 'Hikers', 'the group\'s title', 60000);
});

test('matrix-nio sees the same history: rooms, senders, order, original times', () => {
  const py = process.env.NIO_PYTHON || '/usr/bin/python3';
  const r = spawnSync(py, [path.join(__dirname, 'bridge_history_nio.py'), hs.base, 'alice', 'pw-alice'],
                      { timeout: 60000 });
  assert.equal(r.status, 0, `nio: ${r.stdout}${r.stderr}`);
  const evs = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
  const hist = evs.filter((e) => /hist: /.test(e.body));
  const dm = hist.find((e) => e.body === 'hist: first from Alice').room;
  assert.deepEqual(hist.filter((e) => e.room === dm).map((e) => [e.body.replace(/^> [^\n]*\n\n/, ''), e.ts]),
    [['hist: first from Alice', now - 60000], ['hist: my answer', now - 50000],
      ['hist: third from Alice', now - 40000]]);
  assert.equal(hist.find((e) => e.body === 'hist: first from Alice').sender, ghost(sb.contacts.Alice));
  assert.equal(hist.find((e) => /hist: my answer$/.test(e.body)).sender, '@alice:' + SERVER);
  const g = hist.find((e) => e.body === 'hist: Bob in the group');
  assert.equal(g.sender, ghost(sb.contacts.Bob));
  assert.equal(g.name, 'Hikers');
  assert.equal(new Set(hist.map((e) => e.room)).size, 4, 'four rooms: Alice, Bob, Note to Self, the group');
});

test('a relink that hands the same history over again duplicates nothing', async () => {
  const before = messages(me, botRoom, BOT).length;
  await me.sendTextMessage(botRoom, 'relink');
  await scanNewCode(before);
  await upload(archive().bytes); // the same messages, a new envelope
  await until(() => messages(me, botRoom, BOT).slice(before)
    .find((e) => e.getContent().body === 'Done: 4 chats, 8 messages.'), 'the second done notice', 60000);
  // a message sent after the history: once it is there, everything
  // before it in the room has been bridged too
  await sb.send('Alice', 'after the relink');
  const after = await until(() => everywhere('after the relink')[0], 'a live message after the relink', 60000);
  for (const body of ['hist: first from Alice', 'hist: third from Alice',
    'hist: Bob says hi', 'hist: note to self', 'hist: Bob in the group']) {
    assert.equal(everywhere(body).length, 1, `'${body}' once`);
  }
  const edited = me.getRooms().flatMap((r) => me.getRoom(r.roomId).getLiveTimeline().getEvents())
    .filter((e) => /^hist: Bob edited/.test(e.getWireContent()?.body || '') ||
      /^hist: Bob edited/.test(e.getWireContent()?.['m.new_content']?.body || ''));
  assert.equal(edited.length, 3, 'the edited message and its two edits once');
  const answers = me.getRooms().flatMap((r) => messages(me, r.roomId))
    .filter((e) => /hist: my answer$/.test(e.getContent().body));
  assert.equal(answers.length, 1, 'the reply once');
  assert.equal(messages(me, after.getRoomId()).filter((e) => e.getContent().body === 'hist: first from Alice').length, 1);
});

test('a bad archive at relink: a notice in the bot room, nothing imported, the bridge goes on', async () => {
  const before = messages(me, botRoom, BOT).length;
  await me.sendTextMessage(botRoom, 'relink');
  await scanNewCode(before);
  const bytes = archive().bytes;
  bytes[bytes.length - 1] ^= 1; // the MAC no longer matches
  await upload(bytes);
  const notice = await until(() => messages(me, botRoom, BOT).slice(before)
    .find((e) => /could not be imported/.test(e.getContent().body)), 'the notice for a bad archive', 60000);
  assert.match(notice.getContent().body, /^Your message history from the phone could not be imported \(.+\)\. New messages will still arrive\.$/);
  assert.equal(messages(me, botRoom, BOT).slice(before).filter((e) => /^Importing/.test(e.getContent().body)).length, 0,
    'nothing imported');
  await sb.send('Bob', 'after the bad archive');
  await until(() => everywhere('after the bad archive')[0], 'a live message after the bad archive', 60000);
});
