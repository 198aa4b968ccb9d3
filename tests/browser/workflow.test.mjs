// The staff inbox page's work flows against the real API: filters and paging
// with the cursor, live announcement of new cases, internal notes, errors
// linked to their field, close and reopen, transfer, the SMS counter and
// delivery states in words (also a failure with its reason, arriving live).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startStack } from './support/stack.mjs';
import { inboundMessage, signIn } from './support/fixtures.mjs';

// Live updates must reach the page within this time.
const LIVE_TIMEOUT_MS = 10000;

let stack;
let smsCases;

before(async () => {
  stack = await startStack();
  const base = Date.now() - 3600_000;
  await stack.seed(Array.from({ length: 27 }, (_, i) => inboundMessage({
    channel: 'email', subject: `E-mailvraag ${i + 1}`, name: `Inwoner ${i + 1}`, at: new Date(base + i * 1000),
  })));
  smsCases = await stack.seed(Array.from({ length: 3 }, (_, i) => inboundMessage({
    channel: 'sms', subject: `Sms-vraag ${i + 1}`, name: `Sms-inwoner ${i + 1}`, priority: 'high',
    address: `+3160000003${i}`, text: `Mijn vraag nummer ${i + 1}.`, at: new Date(base + 60_000 + i * 1000),
  })));
});

after(async () => {
  await stack?.stop();
});

const rows = (page) => page.locator('#case-rows tr');

async function openCaseBySubject(page, subject) {
  await page.locator('#case-rows button', { hasText: subject }).click();
  await page.getByRole('heading', { level: 2, name: new RegExp(subject) }).waitFor();
}

test('the list pages with "Meer laden" (focus on the first new case) and filters by channel and priority', async () => {
  const { context, page } = await stack.newPage();
  try {
    await signIn(page);
    await rows(page).nth(24).waitFor();
    assert.equal(await rows(page).count(), 25, 'one page holds 25 cases');
    await page.getByRole('button', { name: 'Meer laden' }).click();
    await rows(page).nth(29).waitFor();
    assert.equal(await rows(page).count(), 30);
    assert.equal(await page.getByRole('button', { name: 'Meer laden' }).isVisible(), false, 'no more pages');
    const focusedRow = await page.evaluate(() => {
      const b = document.activeElement.closest('tr');
      return b ? Array.from(b.parentNode.children).indexOf(b) : -1;
    });
    assert.equal(focusedRow, 25, 'focus moved to the first newly loaded case');

    await page.getByLabel('Kanaal').selectOption('sms');
    await page.getByRole('button', { name: 'Zaken tonen' }).click();
    await page.locator('#status').getByText('3 zaken gevonden.').waitFor();
    assert.deepEqual(await rows(page).locator('td:nth-child(2)').allTextContents(), ['Sms', 'Sms', 'Sms']);

    await page.getByLabel('Kanaal').selectOption('');
    await page.getByLabel('Prioriteit').selectOption('high');
    await page.getByRole('button', { name: 'Zaken tonen' }).click();
    await page.locator('#status').getByText('3 zaken gevonden.').waitFor();
    assert.deepEqual(await rows(page).locator('td:nth-child(3)').allTextContents(), ['Hoog', 'Hoog', 'Hoog']);
  } finally {
    await context.close();
  }
});

test('a new case is announced politely as "Nieuwe zaak in Algemeen" and appears in the list without reload', async () => {
  const { context, page } = await stack.newPage();
  try {
    await signIn(page);
    await rows(page).first().waitFor();
    assert.equal(await page.locator('#announcer').getAttribute('aria-live'), 'polite');
    const before = await page.locator('#inbox-list button', { hasText: 'Algemeen' }).textContent();
    await stack.seed([inboundMessage({ subject: 'Live binnengekomen vraag', name: 'Gijs Visser' })]);
    await page.locator('#announcer').getByText('Nieuwe zaak in Algemeen.', { exact: true }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    await page.locator('#case-rows button', { hasText: 'Live binnengekomen vraag' }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    // The counts are fetched after the announcement: wait for them to change, not for a moment.
    await page.waitForFunction(
      (old) => [...document.querySelectorAll('#inbox-list button')].some((b) => b.textContent.includes('Algemeen') && b.textContent !== old),
      before, { timeout: LIVE_TIMEOUT_MS });
    const afterText = await page.locator('#inbox-list button', { hasText: 'Algemeen' }).textContent();
    assert.notEqual(afterText, before, 'the inbox counts were refreshed');
  } finally {
    await context.close();
  }
});

test('notes show as "Interne notitie", an empty reply gives an error linked to the field, close/reopen and transfer work', async () => {
  const { context, page } = await stack.newPage();
  try {
    await signIn(page);
    await openCaseBySubject(page, 'E-mailvraag 27');

    await page.getByLabel('Notitie (alleen voor medewerkers)').fill('Gebeld met de inwoner, belt morgen terug.');
    await page.getByRole('button', { name: 'Notitie opslaan' }).click();
    await page.locator('#status').getByText('De interne notitie is opgeslagen.').waitFor();
    const note = page.locator('#conversation .balie-note');
    await note.getByText('Gebeld met de inwoner, belt morgen terug.').waitFor();
    assert.match(await note.textContent(), /^Interne notitie · demo-staff · /);

    await page.getByRole('button', { name: 'Antwoord versturen' }).click();
    const field = page.getByLabel('Uw antwoord');
    await page.locator('#reply-text-error').getByText('Schrijf eerst een antwoord.').waitFor();
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.match(await field.getAttribute('aria-describedby'), /\breply-text-error\b/);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'reply-text');

    await page.getByRole('button', { name: 'Zaak sluiten' }).click();
    await page.locator('#status').getByText('De zaak is gesloten.').waitFor();
    assert.equal(await page.locator('#close').textContent(), 'Zaak heropenen');
    assert.equal(await page.locator('#reply-form').isVisible(), false, 'no reply box on a closed case');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'close', 'focus stays on the button');
    await page.getByRole('button', { name: 'Zaak heropenen' }).click();
    await page.locator('#status').getByText('De zaak is weer open.').waitFor();
    assert.equal(await page.locator('#close').textContent(), 'Zaak sluiten');

    await page.getByLabel('Overdragen aan postvak').selectOption({ label: 'Telefoon' });
    await page.getByRole('button', { name: 'Overdragen', exact: true }).click();
    await page.locator('#status').getByText('De zaak is overgedragen aan Telefoon.').waitFor();
    assert.equal(await page.locator('#case').isVisible(), false);
    assert.equal(await page.locator('#case-rows button', { hasText: 'E-mailvraag 27' }).count(), 0, 'gone from Algemeen');
    await page.locator('#inbox-list button', { hasText: 'Telefoon' }).click();
    await page.getByRole('heading', { name: 'Zaken in Telefoon' }).waitFor();
    await page.locator('#case-rows button', { hasText: 'E-mailvraag 27' }).waitFor();
  } finally {
    await context.close();
  }
});

test('on an SMS case the composer counts SMS parts, and delivery failures show live as "Mislukt: <reden>"', async () => {
  const { context, page } = await stack.newPage();
  try {
    await signIn(page);
    await openCaseBySubject(page, 'Sms-vraag 2');
    // Staff see which routing rule placed the message.
    await page.locator('#conversation .balie-message__routing', { hasText: 'Verdeeld door de regel “browser-test”.' }).waitFor();
    const field = page.getByLabel('Uw antwoord');
    // The size comes from the API (POST /api/v1/sms/size) a moment after typing stops.
    await field.fill('a'.repeat(161));
    await page.locator('#reply-count', { hasText: /^161 tekens, 2 sms-berichten$/ }).waitFor();
    await field.fill('Graag gedaan 😀');
    await page.locator('#reply-count', { hasText: /^14 tekens, 1 sms-bericht \(door speciale tekens/ }).waitFor();
    await field.fill('Kijk op www.gemeente.test/afval');
    await page.locator('#reply-count', { hasText: /mag geen webadres bevatten$/ }).waitFor();

    await field.fill('Uw aanvraag is ontvangen.');
    await page.getByRole('button', { name: 'Antwoord versturen' }).click();
    const status = page.locator('#conversation .balie-message--outbound .balie-delivery__status');
    await status.getByText('In de wachtrij', { exact: true }).waitFor();

    const id = smsCases[1].case_id;
    const detail = await (await fetch(`${stack.baseUrl}/api/v1/cases/${id}`, { headers: { Authorization: 'Bearer staff-demo-token' } })).json();
    const reply = detail.messages.find((m) => m.direction === 'outbound');
    await stack.delivery({ case_id: id, message_id: reply.id, status: 'failed', error: 'Nummer is niet bereikbaar' });
    await status.getByText('Mislukt: Nummer is niet bereikbaar', { exact: true }).waitFor({ timeout: LIVE_TIMEOUT_MS });
  } finally {
    await context.close();
  }
});

/** A TCP relay in front of balied whose connections the test can cut. */
async function startRelay(target) {
  const { port } = new URL(target);
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    cut: () => { for (const s of sockets) s.destroy(); },
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(resolve); }),
  };
}

test('after the connection drops, the event stream reconnects with Last-Event-ID and shows what changed meanwhile', async () => {
  const relay = await startRelay(stack.baseUrl);
  const { context, page } = await stack.newPage({ baseURL: relay.url });
  const streamRequests = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/v1/events?inbox=algemeen')) streamRequests.push(r.headers()['last-event-id'] || null);
  });
  try {
    await signIn(page);
    await openCaseBySubject(page, 'Sms-vraag 3');
    // One event so the page has an id to resume from.
    await page.getByLabel('Notitie (alleen voor medewerkers)').fill('Eerste notitie.');
    await page.getByRole('button', { name: 'Notitie opslaan' }).click();
    await page.locator('#conversation .balie-note').getByText('Eerste notitie.').waitFor();
    assert.deepEqual(streamRequests, [null], 'one stream so far, opened without Last-Event-ID');

    // Cut every connection, then change the case while the page is away.
    const reconnect = page.waitForRequest((r) => r.url().includes('/api/v1/events?inbox=algemeen'), { timeout: LIVE_TIMEOUT_MS });
    relay.cut();
    const res = await fetch(`${stack.baseUrl}/api/v1/cases/${smsCases[2].case_id}/notes`, {
      method: 'POST',
      headers: { Authorization: 'Bearer staff-demo-token', 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'Notitie terwijl de verbinding weg was.' }),
    });
    assert.equal(res.status, 201);

    const again = await reconnect;
    assert.ok(again.headers()['last-event-id'], 'the reconnect sent Last-Event-ID');
    await page.locator('#conversation .balie-note').getByText('Notitie terwijl de verbinding weg was.').waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.ok(streamRequests.slice(1).every((id) => id), `every reconnect sent Last-Event-ID: ${JSON.stringify(streamRequests)}`);
  } finally {
    await context.close();
    await relay.close();
  }
});
