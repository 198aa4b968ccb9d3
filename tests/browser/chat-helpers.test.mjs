// The chat widget's pure helpers in Node (no browser, no balied): backoff with
// full jitter, the event-stream parser of the SSE fallback, the address checks
// of the leave-a-message form, language codes, client ids, and the texts in
// both languages. widget.js does not start itself outside a browser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { webcrypto } from 'node:crypto';
import { backoffDelay, EventStreamParser, checkAddress, langAttribute, uuid4 } from '../../web/chat/widget.js';

// Node 18 (Debian 12's) has no global Web Crypto; browsers and Node 20 do.
globalThis.crypto ??= webcrypto;

const i18n = async (lang) => JSON.parse(await readFile(new URL(`../../web/chat/i18n/${lang}.json`, import.meta.url), 'utf8'));

test('chat backoff: full jitter between 0 and min(30 s, 1 s × 2^attempt)', () => {
  assert.equal(backoffDelay(0, () => 0), 0);
  assert.equal(backoffDelay(0, () => 0.999999), 999);
  assert.equal(backoffDelay(1, () => 0.5), 1000);
  assert.equal(backoffDelay(3, () => 0.999999), 7999);
  assert.equal(backoffDelay(5, () => 0.999999), 29999, 'capped at 30 s');
  assert.equal(backoffDelay(500, () => 0.5), 15000, 'huge attempts stay capped');
  for (let i = 0; i < 1000; i += 1) {
    const d = backoffDelay(4);
    assert.ok(d >= 0 && d < 16000);
  }
});

test('chat SSE parser: events split over chunks, ids, comments, CRLF, multi-line data', () => {
  const p = new EventStreamParser();
  assert.deepEqual(p.feed(': hello\n\nid: 7\nevent: msg\nda'), []);
  assert.deepEqual(p.feed('ta: {"seq":7}\n\n'), [{ id: '7', event: 'msg', data: '{"seq":7}' }]);
  assert.deepEqual(p.feed('id: 8\r\nevent: msg\r\ndata: a\r\ndata: b\r\n\r\n'), [{ id: '8', event: 'msg', data: 'a\nb' }]);
  assert.deepEqual(p.feed('data:x\n\ndata: y\n'), [{ id: null, event: 'message', data: 'x' }]);
  assert.deepEqual(p.feed('\n'), [{ id: null, event: 'message', data: 'y' }]);
});

test('chat leave-a-message address checks: email and Dutch mobile numbers', () => {
  for (const ok of ['sanne@gemeente.test', 'a.b+c@voorbeeld.nl']) assert.ok(checkAddress('email', ok), ok);
  for (const bad of ['', 'sanne-at-gemeente.test', 'a@b', 'a b@c.nl']) assert.ok(!checkAddress('email', bad), bad);
  for (const ok of ['0600000042', '06 00000042', '+31600000042', '+31 6 0000 0042', '0031600000042', '06-00000042']) assert.ok(checkAddress('sms', ok), ok);
  for (const bad of ['', '0200000000', '+3160000004', '14 020', 'zes']) assert.ok(!checkAddress('sms', bad), bad);
  assert.ok(!checkAddress('post', 'x'));
});

test('chat lang attribute: three-letter case-message codes map to BCP 47', () => {
  assert.equal(langAttribute('tur'), 'tr');
  assert.equal(langAttribute('eng'), 'en');
  assert.equal(langAttribute('ukr'), 'uk');
  assert.equal(langAttribute('en'), 'en');
  assert.equal(langAttribute('fry'), 'fry');
  assert.equal(langAttribute(undefined), null);
  assert.equal(langAttribute('nl-NL"><script>'), null);
});

test('chat client ids are random version 4 UUIDs', () => {
  const ids = new Set(Array.from({ length: 1000 }, () => uuid4()));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('chat texts: Dutch and English have the same keys, no empty text, and the same placeholders', async () => {
  const nl = await i18n('nl');
  const en = await i18n('en');
  assert.deepEqual(Object.keys(nl).sort(), Object.keys(en).sort());
  for (const [key, value] of Object.entries(nl)) {
    assert.ok(typeof value === 'string' && value.trim(), `nl.${key} is empty`);
    const holes = (s) => (s.match(/\{\w+\}/g) || []).sort();
    assert.deepEqual(holes(en[key]), holes(value), `placeholders of ${key}`);
  }
  assert.equal(nl.launcher, 'Chat met de gemeente');
  assert.equal(nl.status_reconnecting, 'Verbinding verbroken, opnieuw verbinden…');
  assert.equal(nl.sender_staff_says, 'Medewerker zegt:');
  assert.equal(nl.sender_resident_said, 'U zei:');
});

test('chat texts: Dutch sentences stay short (B1: about 15 words, at most 20)', async () => {
  const nl = await i18n('nl');
  const long = [];
  for (const [key, value] of Object.entries(nl)) {
    for (const sentence of value.split(/(?<=[.?!])\s+/)) {
      const words = sentence.split(/\s+/).filter(Boolean).length;
      if (words > 20) long.push(`${key}: ${words} words: ${sentence}`);
    }
  }
  assert.deepEqual(long, []);
});

test('chat widget code sets no markup from text: no innerHTML, insertAdjacentHTML, document.write or eval', async () => {
  const code = await readFile(new URL('../../web/chat/widget.js', import.meta.url), 'utf8');
  const withoutComments = code.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
  for (const banned of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', '.style.cssText', "setAttribute('style'"]) {
    assert.ok(!withoutComments.includes(banned), `widget.js uses ${banned}`);
  }
});
