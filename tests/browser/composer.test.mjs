// The composer's pure helpers from web/inbox/inbox.js, run in Node: SMS
// segment counting (GSM-7 with the extension table, else UCS-2 in UTF-16 code
// units), plain-language hints, delivery words, the event-stream parser, file
// names and labels of downloads, the notice for a hard-to-read mail, and the
// words for the promise to a resident, their needs, automatic messages and a
// chat resident's name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = process.env.BALIE_SOURCE_DIR || fileURLToPath(new URL('../..', import.meta.url));
const inbox = await import(pathToFileURL(path.join(root, 'web/inbox/inbox.js')));
const jargon = JSON.parse(await readFile(path.join(root, 'web/inbox/jargon-nl.json'), 'utf8')).words;
const { smsSizeText, routingText, plainLanguageHints, deliveryText, readEventStream, ageText } = inbox;
const { attachmentLabel, visibleFilename, downloadFilename, parseWarningTexts, laterChanges } = inbox;
const { NEED_WORDS, needItems, promiseText, promiseTimeText, autoNoticeText, isAcknowledgement, partyText, replyOptionText } = inbox;
const schema = JSON.parse(await readFile(path.join(root, 'config/case-message-1.schema.json'), 'utf8'));

/** B1 per the page's own check: no sentence over the limit, no jargon word. */
const assertPlain = (text, what) => assert.deepEqual(plainLanguageHints(text, jargon), [], `${what}: "${text}" is plain language`);

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
  // A messenger's edit or redaction is said as what it is, never as a mail that reads badly.
  const [edit] = parseWarningTexts(['messenger-edit']);
  assert.match(edit, /aangepast/);
  assert.ok(!parseWarningTexts(['messenger-redaction', 'file-not-fetched']).includes(hard));
  assert.equal(parseWarningTexts(['messenger-redaction', 'file-not-fetched']).length, 2);
  for (const t of parseWarningTexts(['messenger-edit', 'messenger-redaction', 'file-not-fetched', 'file-too-large'])) {
    for (const sentence of t.split(/(?<=\.)\s+/)) assert.ok(sentence.split(/\s+/).length <= 15, `B1: "${sentence}" is short`);
  }
  for (const t of [hard, cut]) {
    for (const sentence of t.split(/(?<=\.)\s+/)) assert.ok(sentence.split(/\s+/).length <= 15, `B1: "${sentence}" is short`);
  }
});

test('a messenger message changed later is marked on the original: redacted outranks edited', () => {
  const changes = laterChanges([
    { id: 'A', text: 'eerst' },
    { id: 'B', in_reply_to: 'A', parse_warnings: ['messenger-edit'] },
    { id: 'C', in_reply_to: 'A', parse_warnings: ['messenger-redaction'] },
    { id: 'D', in_reply_to: 'B', parse_warnings: ['messenger-edit'] },
    { id: 'E', in_reply_to: 'A' },  // an ordinary answer names what it answers: no change
  ]);
  assert.equal(changes.get('A'), 'redacted');
  assert.equal(changes.get('B'), 'edited');
  assert.equal(changes.has('E'), false);
  assert.equal(changes.size, 2);
});

test('every need of the case-message schema has words and a hint, each plain language', () => {
  const needs = schema.properties.resident.properties.needs.items.enum;
  assert.ok(needs.length >= 7, `the schema lists the needs: ${JSON.stringify(needs)}`);
  assert.deepEqual(Object.keys(NEED_WORDS).sort(), [...needs].sort(), 'one entry per need, no more');
  for (const need of needs) {
    const { words, hint } = NEED_WORDS[need];
    assert.ok(typeof words === 'string' && words.trim().length > 0, `${need}: words`);
    assert.ok(typeof hint === 'string' && hint.trim().length > 0, `${need}: a hint of what to do`);
    assert.notEqual(words, need, `${need}: words, not the code`);
    assert.match(hint, /[.!?]$/, `${need}: the hint is a sentence`);
    assertPlain(words, `${need} words`);
    assertPlain(hint, `${need} hint`);
  }
  assert.equal(NEED_WORDS['screen-reader'].words, 'Gebruikt een schermlezer');
  assert.equal(NEED_WORDS['text-relay'].words, 'Belt via Teletolk (doof of slechthorend)');
  // Unknown or repeated values from the API are left out, in the given order.
  assert.deepEqual(needItems(['text-relay', 'telepathy', 'text-relay', 'callback']).map((n) => n.need), ['text-relay', 'callback']);
  assert.deepEqual(needItems(null), []);
});

test('the promise in Dutch words, in Amsterdam time: in time, "Te laat", and "Opgepakt op …"', () => {
  const now = Date.parse('2026-12-04T10:00:00Z');
  assert.equal(promiseTimeText('2026-12-08T16:00:00.000Z', now), 'dinsdag 8 december, 17:00');
  assert.equal(promiseTimeText('2026-07-01T15:00:00Z', now), 'woensdag 1 juli, 17:00', 'summer time');
  assert.equal(promiseTimeText('2027-01-04T08:00:00Z', now), 'maandag 4 januari 2027, 09:00', 'another year is named');
  assert.equal(promiseTimeText(null, now), '');

  const base = { answer_by: '2026-12-08T16:00:00.000Z', human_at: null, overdue: false };
  assert.equal(promiseText({ ...base, answer_by: null }, now), null, 'nothing promised: nothing said');
  assert.deepEqual(promiseText(base, now), {
    kind: 'promised', lead: '', rest: 'Antwoord beloofd vóór dinsdag 8 december, 17:00.', text: 'Antwoord beloofd vóór dinsdag 8 december, 17:00.',
  });
  const late = promiseText({ ...base, overdue: true, overdue_since: '2026-12-08T16:00:01Z' }, now);
  assert.equal(late.kind, 'overdue');
  assert.equal(late.lead, 'Te laat:');
  assert.equal(late.text, 'Te laat: de beloofde tijd is voorbij. Antwoord beloofd vóór dinsdag 8 december, 17:00.');
  const taken = promiseText({ ...base, human_at: '2026-12-07T08:30:00Z' }, now);
  assert.equal(taken.kind, 'taken');
  assert.equal(taken.text, 'Opgepakt op maandag 7 december, 09:30. De belofte was: antwoord vóór dinsdag 8 december, 17:00.');
  const takenLate = promiseText({ ...base, human_at: '2026-12-09T08:30:00Z', overdue: true }, now);
  assert.equal(takenLate.kind, 'taken', 'once a person acted, the page no longer urges');
  assert.equal(takenLate.text, 'Opgepakt op woensdag 9 december, 09:30, na de beloofde tijd. De belofte was: antwoord vóór dinsdag 8 december, 17:00.');
  for (const p of [promiseText(base, now), late, taken, takenLate]) assertPlain(p.text, `promise ${p.kind}`);
});

test('automatic messages are labelled in words; an inbound one needs no answer; the receipt is named', () => {
  const ack = { direction: 'outbound', channel: 'email', auto_generated: true, routing: { rule: 'acknowledgement' } };
  const off = { ...ack, routing: { rule: 'switched-off-notice' } };
  const reply = { direction: 'outbound', channel: 'email', auto_generated: false, routing: { rule: 'acknowledgement' } };
  assert.equal(isAcknowledgement(ack), true);
  assert.equal(isAcknowledgement(off), true);
  assert.equal(isAcknowledgement(reply), false, 'a person\'s reply is no receipt');
  assert.equal(isAcknowledgement({ ...ack, direction: 'inbound' }), false);
  assert.equal(isAcknowledgement({ ...ack, routing: { rule: 'other' } }), false);

  assert.deepEqual(autoNoticeText(ack), { label: 'Automatisch bericht van Balie: ontvangstbevestiging',
    text: 'Balie heeft dit zelf verstuurd, niet een medewerker.' });
  assert.match(autoNoticeText(off).label, /^Automatisch bericht van Balie: /);
  assert.equal(autoNoticeText({ ...ack, routing: { rule: 'other' } }).label, 'Automatisch bericht');
  const bounce = autoNoticeText({ direction: 'inbound', channel: 'email', auto_generated: true });
  assert.equal(bounce.label, 'Automatisch bericht');
  assert.match(bounce.text, /^Automatisch antwoord van een mailserver; hier hoeft u niet op te reageren\./);
  const sms = autoNoticeText({ direction: 'inbound', channel: 'sms', auto_generated: true });
  assert.match(sms.text, /hier hoeft u niet op te reageren/);
  for (const n of [autoNoticeText(ack), autoNoticeText(off), bounce, sms]) {
    assert.match(n.label, /^Automatisch bericht/, 'every label starts with "Automatisch bericht"');
    assertPlain(n.text, n.label);
  }
});

test('a chat resident is named by the name they gave, never by the conversation id', () => {
  const chat = { direction: 'inbound', channel: 'webchat', resident: { name: 'Fatima', addresses: [{ kind: 'webchat', value: 'conv-9Z' }] } };
  assert.equal(partyText(chat, 'Fatima'), 'Van: Fatima');
  assert.equal(partyText({ ...chat, resident: { addresses: chat.resident.addresses } }, 'Fatima el Amrani'), 'Van: Fatima el Amrani',
    'the case\'s name when the message has none');
  assert.equal(partyText({ ...chat, direction: 'outbound', resident: { addresses: chat.resident.addresses } }, null), 'Aan: de inwoner in de chat');
  // A chat resident who left an email address for the answer: that address is shown, the conversation id is not.
  assert.equal(partyText({ ...chat, resident: { name: 'Ruben', addresses: [{ kind: 'webchat', value: 'conv-9Z' }, { kind: 'email', value: 'r@burger.test' }] } }),
    'Van: Ruben, r@burger.test');
  const mail = { direction: 'inbound', channel: 'email', resident: { name: 'Anna', addresses: [{ kind: 'email', value: 'anna@burger.test' }] } };
  assert.equal(partyText(mail), 'Van: Anna, anna@burger.test');
  assert.equal(partyText({ direction: 'inbound', channel: 'sms', resident: { addresses: [] } }), 'Van: onbekende inwoner');

  assert.equal(replyOptionText({ channel: 'webchat', address: 'conv-9Z' }, 'Fatima'), 'Chat met Fatima');
  assert.equal(replyOptionText({ channel: 'webchat', address: 'conv-9Z' }, null), 'Chat met de inwoner');
  assert.equal(replyOptionText({ channel: 'webchat', address: 'conv-9Z', enabled: false }, ''), 'Chat met de inwoner (staat uit, uw antwoord wacht)');
  assert.equal(replyOptionText({ channel: 'sms', address: '+31600000001' }, 'Bram'), 'Sms: +31600000001');
});
