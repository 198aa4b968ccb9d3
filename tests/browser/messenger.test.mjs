// A WhatsApp case on the staff page, by keyboard, against the real API and a
// fake Graph API: the resident's last message is 25 hours old, so a written
// answer is refused with the reason, and the page offers the approved
// template instead; it goes to WhatsApp as Meta's template message. An edit
// from Matrix is said in words and marks the original (a redaction's words and
// mark: composer.test.mjs). The chat widget lists the messenger only next to
// the other ways in, WhatsApp last with what Meta sees, and only while it is
// on. axe runs on the refusal, the offer, the edit and the list.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import path from 'node:path';
import { startStack, sourceDir } from './support/stack.mjs';
import { axeViolations } from './support/axe.mjs';
import { focusedId, signInByKeyboard } from './support/keyboard.mjs';
import { waitForCase } from './support/fixtures.mjs';

let stack;
let graph;
const sent = [];

before(async () => {
  // The Graph API: every send is taken and recorded.
  graph = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      sent.push({ path: req.url, body: JSON.parse(body) });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ messaging_product: 'whatsapp', messages: [{ id: `wamid.OUT${sent.length}` }] }));
    });
  });
  await new Promise((resolve) => graph.listen(0, '127.0.0.1', resolve));
  const secret = (name) => ({ file: path.join(sourceDir(), 'config', 'dev-secrets', name) });
  stack = await startStack({ config: { channels: { messenger: {
    enabled: true,
    public_base_url: 'http://127.0.0.1:1',
    whatsapp: {
      app_secret: secret('whatsapp-app-secret'), verify_token: secret('whatsapp-verify-token'), access_token: secret('whatsapp-access-token'),
      graph_url: `http://127.0.0.1:${graph.address().port}/v21.0`, phone_number_id: '106540352242922', dpia_reference: 'DPIA-DEV-0000',
      public_number: '+3197010203040',
      template: { name: 'balie_reactie', language: 'nl', text: 'Gemeente: er is een antwoord op uw bericht {{1}}. Stuur ons een bericht terug.' },
    },
    matrix: { homeserver_url: 'http://127.0.0.1:1', server_name: 'gemeente.test', hs_token: secret('matrix-hs-token'), as_token: secret('matrix-as-token') },
  } } } });
});

after(async () => {
  await stack?.stop();
  graph?.close();
});

/** A WhatsApp notification signed as Meta signs it: HMAC-SHA256 of the raw body with the app secret. */
async function whatsapp(id, text, secondsAgo) {
  const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: {
    messaging_product: 'whatsapp', contacts: [{ profile: { name: 'Jan Jansen' }, wa_id: '31600000071' }],
    messages: [{ from: '31600000071', id, timestamp: String(Math.floor(Date.now() / 1000) - secondsAgo), type: 'text', text: { body: text } }],
  } }] }] });
  const signature = createHmac('sha256', 'dev-whatsapp-secret').update(body).digest('hex');
  return fetch(`${stack.baseUrl}/api/v1/webhooks/messenger/whatsapp`, {
    method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': `sha256=${signature}` },
  });
}

const staff = (p) => fetch(`${stack.baseUrl}/api/v1${p}`, { headers: { Authorization: 'Bearer staff-demo-token' } }).then((r) => r.json());

test('by keyboard: a late WhatsApp answer is refused with the reason, and the approved template is offered and sent', async () => {
  assert.equal((await whatsapp('wamid.LATE1', 'Mijn paspoort is verlopen. Wat moet ik doen?', 25 * 3600)).status, 200);
  const { cases } = await staff('/inboxes/algemeen/cases?state=open');
  const id = cases.find((c) => c.channel === 'messenger').id;
  const { reference } = await waitForCase(stack.baseUrl, id, (c) => c.message_count >= 1, { what: 'the WhatsApp message' });

  const { context, page } = await stack.newPage({ bypassCSP: true });
  try {
    await page.goto('/inbox/');
    await signInByKeyboard(page, 'staff-demo-token');
    await page.getByRole('heading', { name: /^Zaken in / }).waitFor();
    await page.locator(`button[data-case="${id}"]`).click();
    await page.locator('#reply-target option', { hasText: '+31600000071' }).waitFor({ state: 'attached' });
    await page.locator('#reply-text').focus();
    await page.keyboard.type('U kunt een afspraak maken op de website.');
    await page.getByRole('button', { name: 'Antwoord versturen' }).focus();
    await page.keyboard.press('Enter');

    // The reason, in the field's error, and the offer, focused.
    await page.locator('#reply-text-error', { hasText: '24-hour window' }).waitFor();
    await page.locator('#reply-template').waitFor();
    assert.equal(await focusedId(page), 'reply-template-send', 'the offer has the focus');
    assert.deepEqual(await axeViolations(page), []);
    const before = sent.length;
    await page.keyboard.press('Enter');
    await page.locator('#conversation li', { hasText: `Gemeente: er is een antwoord op uw bericht ${reference}.` }).waitFor();
    assert.equal(await page.locator('#reply-template').isHidden(), true);
    assert.equal(await page.locator('#reply-text').inputValue(), 'U kunt een afspraak maken op de website.', 'the written answer stays for later');
    for (let i = 0; i < 100 && sent.length === before; i += 1) await new Promise((r) => setTimeout(r, 100));
    const template = sent.at(-1).body;
    assert.equal(template.type, 'template');
    assert.equal(template.template.name, 'balie_reactie');
    assert.equal(template.template.components[0].parameters[0].text, reference);
  } finally {
    await context.close();
  }
});

test('an edit from Matrix is said in words, and the original is marked but kept', async () => {
  const event = (type, content, eventId) => ({ type, room_id: '!kamer:gemeente.test', sender: '@inwoner:example.org', event_id: eventId,
    origin_server_ts: Date.now(), content });
  const push = (txn, events) => fetch(`${stack.baseUrl}/_matrix/app/v1/transactions/${txn}`, {
    method: 'PUT', body: JSON.stringify({ events }), headers: { Authorization: 'Bearer dev-hs-token', 'Content-Type': 'application/json' },
  });
  assert.equal((await push('b1', [event('m.room.message', { msgtype: 'm.text', body: 'De stoep bij nummer 4 is kapot.' }, '$b1')])).status, 200);
  assert.equal((await push('b2', [event('m.room.message', { msgtype: 'm.text', body: '* nummer 6',
    'm.new_content': { msgtype: 'm.text', body: 'De stoep bij nummer 6 is kapot.' }, 'm.relates_to': { rel_type: 'm.replace', event_id: '$b1' } }, '$b2')])).status, 200);
  const { cases } = await staff('/inboxes/algemeen/cases?state=open');
  const c = cases.find((x) => x.channel === 'messenger' && x.preview?.startsWith('De stoep'));
  assert.ok(c, 'the Matrix case');
  await waitForCase(stack.baseUrl, c.id, (v) => v.messages.filter((m) => m.direction === 'inbound').length === 2, { what: 'the edit' });

  const { context, page } = await stack.newPage({ bypassCSP: true });
  try {
    await page.goto('/inbox/');
    await signInByKeyboard(page, 'staff-demo-token');
    await page.locator(`button[data-case="${c.id}"]`).click();
    await page.locator('#conversation li', { hasText: 'Later aangepast door de inwoner.' }).filter({ hasText: 'nummer 4' }).waitFor();
    await page.locator('#conversation li', { hasText: 'De inwoner heeft een eerder bericht aangepast.' }).filter({ hasText: 'nummer 6' }).waitFor();
    assert.equal(await page.locator('#conversation', { hasText: 'niet helemaal goed te lezen' }).count(), 0, 'not called a mail that reads badly');
    assert.deepEqual(await axeViolations(page), []);
  } finally {
    await context.close();
  }
});

const admin = (p, body) => fetch(`${stack.baseUrl}/api/v1${p}`, {
  method: 'PUT', body: JSON.stringify(body), headers: { Authorization: 'Bearer admin-demo-token', 'Content-Type': 'application/json' },
});

/** The demo page, freshly loaded, with the chat opened by keyboard. */
async function openChat(page) {
  await page.goto('/chat/');
  const launcher = page.getByRole('button', { name: 'Chat met de gemeente' });
  await launcher.waitFor();
  if ((await launcher.getAttribute('aria-expanded')) !== 'true') {  // the widget reopens as the resident left it
    await launcher.focus();
    await page.keyboard.press('Enter');
  }
  await page.getByRole('region', { name: 'Chat met de gemeente' }).waitFor();
}

/** The other ways to write as the widget lists them, once they are `kinds` (the status answers after the page is built). */
async function listedWays(page, kinds) {
  const kindsNow = (expected) => {
    const section = document.querySelector('.balie-chat__other-ways');
    const now = !section || section.hidden ? [] : [...section.querySelectorAll('li')].map((li) => li.dataset.kind);
    return JSON.stringify(now) === JSON.stringify(expected);
  };
  await page.waitForFunction(kindsNow, kinds, { timeout: 10000 }).catch(() => {});
  const ways = await page.evaluate(() => {
    const section = document.querySelector('.balie-chat__other-ways');
    if (!section || section.hidden) return [];
    return [...section.querySelectorAll('li')].map((li) => ({ kind: li.dataset.kind, text: li.textContent, href: li.querySelector('a')?.getAttribute('href') }));
  });
  assert.deepEqual(ways.map((w) => w.kind), kinds);
  return ways;
}

test('the chat widget lists the messenger only next to the other ways in: WhatsApp last, saying what Meta sees; a part switched off is not listed', async () => {
  const { context, page } = await stack.newPage({ bypassCSP: true });
  try {
    await openChat(page);
    // This stack runs chat, phone and the messenger; the order with mail and SMS: messenger_tests.
    const ways = await listedWays(page, ['matrix', 'whatsapp']);
    assert.equal(ways[0].href, 'https://matrix.to/#/@balie:gemeente.test');
    assert.equal(ways[1].href, 'https://wa.me/3197010203040');
    assert.match(ways[1].text, /WhatsApp is van het bedrijf Meta\. Meta kan zien dat u ons schrijft\./);
    assert.doesNotMatch(ways[0].text, /Meta/);
    // Phone, counter and post stay listed above them, always.
    await page.locator('.balie-chat__routes li', { hasText: '14 020' }).waitFor();
    assert.deepEqual(await axeViolations(page), []);

    assert.equal((await admin('/channels/messenger/whatsapp', { enabled: false, reason: 'Storing bij Meta' })).status, 200);
    await openChat(page);
    await listedWays(page, ['matrix']);
    assert.equal((await admin('/channels/messenger', { enabled: false, reason: 'Proef voorbij' })).status, 200);
    await openChat(page);
    await listedWays(page, []);
    await page.locator('.balie-chat__routes li', { hasText: '14 020' }).waitFor();
  } finally {
    await admin('/channels/messenger', { enabled: true, reason: 'Proef' });
    await admin('/channels/messenger/whatsapp', { enabled: true, reason: 'Proef' });
    await context.close();
  }
});
