// The composer's pure helpers from web/inbox/inbox.js, run in Node: SMS
// segment counting (GSM-7 with the extension table, else UCS-2 in UTF-16 code
// units), plain-language hints, delivery words, the event-stream parser, file
// names and labels of downloads, and the notice for a hard-to-read mail.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = process.env.BALIE_SOURCE_DIR || fileURLToPath(new URL('../..', import.meta.url));
const inbox = await import(pathToFileURL(path.join(root, 'web/inbox/inbox.js')));
const jargon = JSON.parse(await readFile(path.join(root, 'web/inbox/jargon-nl.json'), 'utf8')).words;
const { smsSizeText, routingText, plainLanguageHints, deliveryText, readEventStream, ageText } = inbox;
const { attachmentLabel, visibleFilename, downloadFilename, parseWarningTexts } = inbox;

test('the SMS size in words: parts, UCS-2, over the limit, a web address', () => {
  const size = (o) => ({ encoding: 'gsm-7', units: 10, segments: 1, max_segments: 6, too_long: false,
    has_web_address: false, web_addresses_allowed: false, ...o });
  assert.equal(smsSizeText(size({})), ', 1 sms-bericht');
  assert.equal(smsSizeText(size({ segments: 2 })), ', 2 sms-berichten');
  assert.equal(smsSizeText(size({ encoding: 'ucs-2' })), ', 1 sms-bericht (door speciale tekens passen er maar 70 tekens in één sms)');
  assert.equal(smsSizeText(size({ segments: 7, too_long: true })), ', 7 sms-berichten. Te lang: een sms-antwoord is hoogstens 6 sms-berichten');
  assert.equal(smsSizeText(size({ has_web_address: true })), ', 1 sms-bericht. Een sms van de gemeente mag geen webadres bevatten');
  assert.equal(smsSizeText(size({ has_web_address: true, web_addresses_allowed: true })), ', 1 sms-bericht');
});

test('how routing placed a message, in words: the rule and its topic, the channel\'s inbox, the default', () => {
  assert.equal(routingText({ inbox: 'afval', rule: 'afval', topic: 'afval' }), 'Verdeeld door de regel “afval”, thema afval.');
  assert.equal(routingText({ inbox: 'burgerzaken', rule: 'reisdocument' }), 'Verdeeld door de regel “reisdocument”.');
  assert.equal(routingText({ inbox: 'telefoon', rule: 'channel:phone' }), 'Het postvak van dit kanaal.');
  assert.equal(routingText({ inbox: 'algemeen', rule: 'default' }), 'Geen regel paste: het standaardpostvak.');
  assert.equal(routingText(undefined), null);
  assert.equal(routingText({ rule: 42 }), null);
});

test('a sentence of 16 words gets a hint, one of 15 words does not', () => {
  const fifteen = 'een twee drie vier vijf zes zeven acht negen tien elf twaalf dertien veertien vijftien.';
  assert.deepEqual(plainLanguageHints(fifteen, {}), []);
  const hints = plainLanguageHints(`${fifteen.slice(0, -1)} zestien. Kort.`, {});
  assert.equal(hints.length, 1);
  assert.equal(hints[0].kind, 'sentence');
  assert.equal(hints[0].words, 16);
});

test('jargon words get their simpler word, whole words only and in any case', () => {
  const hints = plainLanguageHints('Conform uw verzoek, en derhalve MIDDELS deze brief. Met betrekking tot uw pas.', jargon);
  const found = Object.fromEntries(hints.filter((h) => h.kind === 'jargon').map((h) => [h.word, h.suggestion]));
  assert.equal(found.conform, 'volgens');
  assert.equal(found.derhalve, 'daarom');
  assert.equal(found.middels, 'met');
  assert.equal(found['met betrekking tot'], 'over');
  assert.deepEqual(plainLanguageHints('De conformiteit en het dienstenloket.', jargon), [], 'no hint inside longer words');
});

test('the jargon list has the required words, each with a suggestion', () => {
  for (const w of ['conform', 'inzake', 'dienen', 'derhalve', 'middels', 'ingevolge', 'voornoemd', 'onverwijld', 'alsmede']) {
    assert.ok(jargon[w], `missing ${w}`);
  }
  for (const [w, s] of Object.entries(jargon)) assert.ok(s && s !== w, `no suggestion for ${w}`);
});

test('delivery status in words, with the reason of a failure', () => {
  assert.equal(deliveryText({ status: 'queued' }), 'In de wachtrij');
  assert.equal(deliveryText({ status: 'sent' }), 'Verstuurd');
  assert.equal(deliveryText({ status: 'delivered' }), 'Afgeleverd');
  assert.equal(deliveryText({ status: 'failed', last_error: 'nummer bestaat niet' }), 'Mislukt: nummer bestaat niet');
  assert.equal(deliveryText({ status: 'failed' }), 'Mislukt: reden onbekend');
  assert.equal(deliveryText({ status: 'expired' }), 'Verlopen');
});

test('the event-stream reader handles ids, comments, CRLF and events split over chunks', async () => {
  const chunks = [': ping\n\nid: 1-0\nevent: case.created\nda', 'ta: {"type":"case.created"}\r\n\r\n', 'id: 2-0\ndata: a\ndata: b\n\n: ping\n\n'];
  const body = new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      controller.close();
    },
  });
  const events = [];
  await readEventStream(body, (e) => events.push(e));
  assert.deepEqual(events, [
    { id: '1-0', event: 'case.created', data: '{"type":"case.created"}' },
    { id: '2-0', event: 'message', data: 'a\nb' },
  ]);
});

test('the age of the oldest waiting case is said in minutes, hours or days', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');
  assert.equal(ageText('2026-11-28T11:59:30Z', now), 'minder dan een minuut');
  assert.equal(ageText('2026-11-28T11:15:00Z', now), '45 minuten');
  assert.equal(ageText('2026-11-28T09:00:00Z', now), '3 uur');
  assert.equal(ageText('2026-11-25T12:00:00Z', now), '3 dagen');
});

test('a download button says what it does, the file name and its size in words', () => {
  assert.equal(attachmentLabel({ filename: 'paspoort.pdf', size: 122880 }), 'Download paspoort.pdf (120 kB)');
  assert.equal(attachmentLabel({ filename: 'scan.jpg', size: 3 * 1024 * 1024 + 200000 }), 'Download scan.jpg (3,2 MB)');
  assert.equal(attachmentLabel({ filename: 'a.txt', size: 1 }), 'Download a.txt (1 byte)');
  assert.equal(attachmentLabel({ filename: '', size: 10 }), 'Download bijlage zonder naam (10 bytes)');
  assert.equal(attachmentLabel({ filename: 'bericht.eml', size: 4096 }, { original: true }), 'Download originele e-mail (bericht.eml, 4 kB)');
});

test('file names lose bidirectional and control characters, and downloads get no folders', () => {
  assert.equal(visibleFilename('factuur\u202Efdp.exe'), 'factuurfdp.exe');
  assert.equal(visibleFilename('\u2067naam\u2069.pdf'), 'naam.pdf');
  assert.equal(visibleFilename('a\tb\r\nc.pdf'), 'a b  c.pdf');
  assert.equal(visibleFilename('مرحبا.pdf'), 'مرحبا.pdf', 'right-to-left names stay as they are');
  assert.equal(downloadFilename('../../etc/passwd'), '_.._etc_passwd');
  assert.equal(downloadFilename('C:\\temp\\x.pdf'), 'C__temp_x.pdf');
  assert.equal(downloadFilename('.verborgen'), 'verborgen');
  assert.equal(downloadFilename('\u202E'), 'bijlage');
});

test('parse warnings become plain Dutch sentences, never codes', () => {
  const hard = 'Deze e-mail was niet helemaal goed te lezen. Open de originele e-mail als iets vreemd lijkt.';
  const cut = 'De tekst is ingekort. De hele e-mail staat in de bijlage.';
  assert.deepEqual(parseWarningTexts(['charset-guessed']), [hard]);
  assert.deepEqual(parseWarningTexts(['malformed-multipart', 'text-truncated']), [hard, cut]);
  assert.deepEqual(parseWarningTexts(['text-truncated']), [cut]);
  assert.deepEqual(parseWarningTexts(['missing-message-id']), []);
  for (const t of [hard, cut]) {
    for (const sentence of t.split(/(?<=\.)\s+/)) assert.ok(sentence.split(/\s+/).length <= 15, `B1: "${sentence}" is short`);
  }
});
