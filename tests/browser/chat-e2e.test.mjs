// The chat end to end, under the page's real CSP: the resident's message
// becomes a case in inbox algemeen (checked through the staff API), the staff
// reply goes out through Balie's web-chat sender and shows in the widget.
// A forced disconnect in between (the browser goes offline and the open
// socket is closed from the page) loses nothing and duplicates nothing. The
// leave-a-message form becomes a case with the chosen reply address, and the
// SSE + POST fallback works when WebSocket is missing or blocked.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './support/stack.mjs';
import {
  WEBCHAT_CONFIG, ACKNOWLEDGING_WEBCHAT_CONFIG, CLOSED_WEBCHAT_CONFIG, CLOSED_NOTICE, LIVE_TIMEOUT_MS, openDemo, sendFromWidget, findCaseWithText, getCase, staffReply, shownMessages, watchPage, eventually,
} from './support/chat.mjs';

let stack;

before(async () => {
  stack = await startStack({ config: WEBCHAT_CONFIG });
});

after(async () => {
  await stack?.stop();
});

/** Keeps every WebSocket the page opens in window.balieSockets. */
const trackSockets = () => {
  const Native = window.WebSocket;
  window.balieSockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      window.balieSockets.push(this);
    }
  };
};

const acked = (page) => page.locator('#balie-chat-log .balie-chat__message--resident:not(.balie-chat__message--pending)');

/** Waits until the widget shows exactly these messages, none pending or failed. */
async function expectShown(page, expected) {
  const want = expected.map(([from, text]) => `${from}:${text}`);
  let last = [];
  await eventually(`the widget to show ${JSON.stringify(want)} (last: ${JSON.stringify(last)})`, async () => {
    const shown = await shownMessages(page);
    last = shown.map((m) => `${m.from}:${m.text}${m.pending ? ' (pending)' : ''}${m.failed ? ' (failed)' : ''}`);
    return JSON.stringify(last) === JSON.stringify(want);
  });
}

const inboundTexts = (c) => c.messages.filter((m) => m.direction === 'inbound').map((m) => m.text);
const outboundTexts = (c) => c.messages.filter((m) => m.direction === 'outbound').map((m) => m.text);

test('chat end to end: message → case in inbox algemeen → staff reply in the widget; across a forced disconnect nothing is lost and nothing is duplicated', async () => {
  const { context, page } = await stack.newPage();
  const problems = watchPage(page);
  try {
    await context.addInitScript(trackSockets);
    await openDemo(page);
    const first = 'Goedemiddag, ik wil een parkeervergunning aanvragen. (e2e)';
    await sendFromWidget(page, first);
    await acked(page).first().waitFor({ timeout: LIVE_TIMEOUT_MS });
    const found = await findCaseWithText(stack, first);
    assert.equal(found.channel, 'webchat');
    assert.equal(found.inbox, 'algemeen');
    await staffReply(stack, found.id, 'Dat kan. Voor welk adres wilt u de vergunning?');
    await expectShown(page, [['resident', first], ['staff', 'Dat kan. Voor welk adres wilt u de vergunning?']]);

    // Disconnect: offline, and the open socket closed from the page.
    await context.setOffline(true);
    await page.evaluate(() => window.balieSockets.forEach((s) => s.close()));
    await page.locator('#balie-chat-status').getByText(/niet verbonden met internet|Verbinding verbroken/).waitFor({ timeout: LIVE_TIMEOUT_MS });
    const second = 'Voor de Dorpsstraat 1 in Voorbeeld. (e2e, offline)';
    const input = page.getByLabel('Uw bericht');
    await input.fill(second);
    await input.press('Enter');
    const pending = page.locator('#balie-chat-log .balie-chat__message--pending', { hasText: second });
    await pending.waitFor();
    assert.match(await pending.textContent(), /wordt verzonden…/);
    // Staff answer while the resident is away.
    await staffReply(stack, found.id, 'Dank u. Ik kijk het na.');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await pending.count(), 1, 'still waiting while offline');

    await context.setOffline(false);
    // The message written offline was shown first, so it stays above the
    // reply that arrives with the resume.
    await expectShown(page, [
      ['resident', first], ['staff', 'Dat kan. Voor welk adres wilt u de vergunning?'],
      ['resident', second], ['staff', 'Dank u. Ik kijk het na.'],
    ]);
    await page.locator('#balie-chat-status').getByText('De verbinding is er weer.').waitFor({ timeout: LIVE_TIMEOUT_MS });

    // A live reply after the reconnect still arrives, once.
    await staffReply(stack, found.id, 'De vergunning is aangevraagd.');
    await page.locator('#balie-chat-log .balie-chat__message--staff', { hasText: 'De vergunning is aangevraagd.' }).waitFor({ timeout: LIVE_TIMEOUT_MS });

    const after = await getCase(stack, found.id);
    assert.deepEqual(inboundTexts(after), [first, second], 'each resident message is in the case exactly once');
    assert.deepEqual(outboundTexts(after), ['Dat kan. Voor welk adres wilt u de vergunning?', 'Dank u. Ik kijk het na.', 'De vergunning is aangevraagd.']);
    const shown = (await shownMessages(page)).map((m) => m.text);
    assert.equal(new Set(shown).size, shown.length, `no message shown twice: ${JSON.stringify(shown)}`);
    assert.equal(shown.length, 5);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('chat leave-a-message while the chat is closed becomes a case with the chosen reply address and shows the reference', async (t) => {
  const closed = await startStack({ config: CLOSED_WEBCHAT_CONFIG });
  t.after(() => closed.stop());  // also when no page could be opened: a running stack keeps node alive
  const { context, page } = await closed.newPage();
  const problems = watchPage(page);
  try {
    await openDemo(page);
    await page.getByRole('button', { name: 'Chat met de gemeente' }).click();
    await page.getByText(CLOSED_NOTICE).waitFor();
    const text = 'Mijn container is niet geleegd. Wilt u mij een sms sturen? (achterlaten)';
    await page.getByLabel('Uw vraag of bericht').fill(text);
    await page.getByLabel('Per sms').check();
    await page.getByLabel('Uw mobiele nummer').fill('+31600000042');
    await page.getByLabel('Uw naam (niet verplicht)').last().fill('Ruben Dekker');
    await page.getByRole('button', { name: 'Bericht versturen' }).click();
    const done = page.getByRole('heading', { name: 'Bedankt voor uw bericht' });
    await done.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'balie-leave-done-title', 'focus moves to the confirmation');
    const confirmation = await page.locator('.balie-chat__leave-done').textContent();
    const reference = confirmation.match(/BL-[0-9A-Z]{6}/)?.[0];
    assert.ok(reference, `a reference in: ${confirmation}`);
    assert.match(confirmation, /antwoord per sms/);

    const found = await findCaseWithText(closed, text);
    assert.equal(found.reference, reference);
    assert.equal(found.resident_name, 'Ruben Dekker');
    const sms = (found.reply_options || []).filter((o) => o.channel === 'sms');
    assert.ok(sms.some((o) => o.address.replace(/\D/g, '') === '31600000042'), `reply options: ${JSON.stringify(found.reply_options)}`);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('chat closed: a message typed while the chat closes moves into the leave-a-message form (session answer 503 chat-closed)', async (t) => {
  const closed = await startStack({ config: CLOSED_WEBCHAT_CONFIG });
  t.after(() => closed.stop());  // also when no page could be opened: a running stack keeps node alive
  const { context, page } = await closed.newPage();
  try {
    // The page believes the chat is open (status read before closing time).
    await page.route('**/api/v1/chat/status', (route) => route.fulfill({
      status: 200, contentType: 'application/json', body: JSON.stringify({ open: true, notice: null }),
    }));
    await openDemo(page);
    await page.getByRole('button', { name: 'Chat met de gemeente' }).click();
    const input = page.getByLabel('Uw bericht');
    await input.fill('Is het zwembad morgen open? (net gesloten)');
    await input.press('Enter');
    await page.getByRole('heading', { name: 'Bericht achterlaten' }).waitFor();
    assert.equal(await page.locator('#balie-leave-text').inputValue(), 'Is het zwembad morgen open? (net gesloten)', 'the text is kept');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'balie-leave-text');
    assert.equal(await page.locator('#balie-chat-log li').count(), 0);
  } finally {
    await context.close();
  }
});

test('chat fallback: without WebSocket the chat works over SSE and POST (message → case → staff reply), nothing duplicated', async () => {
  const { context, page } = await stack.newPage();
  const problems = watchPage(page);
  try {
    await context.addInitScript(() => { window.WebSocket = undefined; });
    await openDemo(page);
    const text = 'Ik heb een vraag over de hondenbelasting. (zonder websocket)';
    await sendFromWidget(page, text);
    await acked(page).first().waitFor({ timeout: LIVE_TIMEOUT_MS });
    const found = await findCaseWithText(stack, text);
    await staffReply(stack, found.id, 'Ik help u graag met de hondenbelasting.');
    await expectShown(page, [['resident', text], ['staff', 'Ik help u graag met de hondenbelasting.']]);
    assert.equal(await page.evaluate(() => JSON.parse(sessionStorage.getItem('balie-chat')).transport), 'sse');
    assert.deepEqual(inboundTexts(await getCase(stack, found.id)), [text]);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('chat fallback: when the WebSocket URL is blocked the widget switches to SSE after three failed attempts and messages still flow both ways', async () => {
  const { context, page } = await stack.newPage();
  try {
    let attempts = 0;
    await page.routeWebSocket(/\/api\/v1\/chat\/ws$/, (ws) => {
      attempts += 1;
      ws.close({ code: 1011, reason: 'blocked by the test' });
    });
    await openDemo(page);
    const text = 'Waar vind ik het afvalrooster? (websocket geblokkeerd)';
    await sendFromWidget(page, text);
    await acked(page).first().waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.equal(attempts, 3, 'three WebSocket attempts before the fallback');
    const found = await findCaseWithText(stack, text);
    await staffReply(stack, found.id, 'Het afvalrooster staat in de app van de gemeente.');
    await expectShown(page, [['resident', text], ['staff', 'Het afvalrooster staat in de app van de gemeente.']]);
    await page.locator('#balie-chat-status').getByText('De chat werkt nu op een eenvoudigere manier.').waitFor({ timeout: LIVE_TIMEOUT_MS });
  } finally {
    await context.close();
  }
});

test('a new chat case is acknowledged in the widget as a message from the municipality (not from staff): the reference and the answer-by day', async () => {
  const acknowledging = await startStack({ config: ACKNOWLEDGING_WEBCHAT_CONFIG });
  try {
    const { page } = await acknowledging.newPage();
    const problems = watchPage(page);
    await openDemo(page);
    await sendFromWidget(page, 'Mijn container is kapot. (ontvangst)');
    let told;
    await eventually('the acknowledgement in the widget', async () => {
      told = (await shownMessages(page)).find((m) => m.from === 'system');
      return Boolean(told);
    });
    assert.match(told.text, /Uw nummer is BL-[0-9A-Z]{6}\. U krijgt uiterlijk \S+dag \d+ \S+ antwoord\./);
    const c = await findCaseWithText(acknowledging, 'Mijn container is kapot. (ontvangst)');
    assert.ok(told.text.includes(c.reference), 'the reference of the case the message became');
    assert.deepEqual(problems, []);
  } finally {
    await acknowledging.stop();
  }
});
