// Keyboard-only use of the staff inbox: every step after opening the page is
// done with page.keyboard (Tab, Enter, shortcuts, typing), no mouse and no
// clicks through the DOM. The delivery update comes from the seeding tool,
// exactly as a channel sender records it, and must reach the page live
// through the event stream (the page has no polling and is not reloaded).
// What the resident was told (Balie's acknowledgement of a mail delivered
// over LMTP) folds open with Enter and stays open through a live update.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './support/stack.mjs';
import { inboundMessage } from './support/fixtures.mjs';
import { tabTo, focusedId, signInByKeyboard } from './support/keyboard.mjs';
import { crlf, deliverMail, emailConfig, lmtpPort } from './support/lmtp.mjs';

// Live updates: a delivery event must reach the page within this time.
const LIVE_TIMEOUT_MS = 10000;

let stack;

before(async () => {
  stack = await startStack({ config: emailConfig });
  await stack.seed([
    inboundMessage({ channel: 'email', subject: 'Oude vraag over parkeren', name: 'Dirk Smit', text: 'Waar kan ik parkeren?' }),
  ]);
});

after(async () => {
  await stack?.stop();
});

test('keyboard only: sign in, open a new case, claim, reply, and see "In de wachtrij" then "Verstuurd" live', async () => {
  const { context, page } = await stack.newPage();
  let loads = 0;
  page.on('load', () => { loads += 1; });
  try {
    await page.goto('/inbox/');
    await page.getByLabel('Toegangscode').waitFor();

    // The first Tab reaches the skip link.
    const skip = await tabTo(page, 'the skip link', (f) => f.tag === 'A');
    assert.equal(skip.text, 'Naar de inhoud');

    await signInByKeyboard(page, 'staff-demo-token');
    await page.getByRole('heading', { name: 'Zaken in Algemeen' }).waitFor();
    assert.equal(await focusedId(page), 'inboxes-title', 'after signing in, focus is on the inbox list heading');

    // A case arrives while the page is open.
    const [seeded] = await stack.seed([inboundMessage({
      channel: 'sms', subject: 'Nieuwe vraag over de paspoortafspraak', name: 'Eva Mulder', address: '+31600000011',
      text: 'Kan ik mijn paspoort morgen ophalen?',
    })]);
    await page.getByRole('button', { name: /Nieuwe vraag over de paspoortafspraak/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });

    await tabTo(page, 'the new case in the list', (f) => f.tag === 'BUTTON' && f.text.includes('Nieuwe vraag over de paspoortafspraak'));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: /paspoortafspraak/ }).waitFor();
    assert.equal(await focusedId(page), 'case-title', 'opening a case moves focus to its heading');

    await tabTo(page, 'the claim button', (f) => f.id === 'claim');
    assert.equal(await page.locator('#claim').textContent(), 'Oppakken');
    await page.keyboard.press('Enter');
    await page.locator('#claim').getByText('Vrijgeven').waitFor();
    assert.equal(await focusedId(page), 'claim', 'focus stays on the claim button after claiming');
    await page.locator('#status').getByText('U hebt de zaak opgepakt.').waitFor();

    // Shortcut r goes to the reply box (focus is on a button, not in a field).
    await page.keyboard.press('r');
    assert.equal(await focusedId(page), 'reply-text');
    // The reply goes by SMS by default (the case's own channel).
    const target = await page.locator('#reply-target').evaluate((s) => s.selectedOptions[0].textContent);
    assert.match(target, /^Sms: /);
    await page.keyboard.type('Ja, u kunt uw paspoort morgen ophalen.');
    await page.locator('#reply-count', { hasText: /38 tekens, 1 sms-bericht/ }).waitFor();

    await tabTo(page, 'the send button', (f) => f.tag === 'BUTTON' && f.text === 'Antwoord versturen');
    await page.keyboard.press('Enter');
    await page.locator('#status').getByText('Uw antwoord staat in de wachtrij').waitFor();
    assert.equal(await focusedId(page), 'reply-text', 'after sending, focus is back in the reply box');
    assert.equal(await page.locator('#reply-text').inputValue(), '', 'the reply box is empty after sending');

    const outbound = page.locator('#conversation .balie-message--outbound');
    await outbound.getByText('Ja, u kunt uw paspoort morgen ophalen.').waitFor();
    await outbound.locator('.balie-delivery__status').getByText('In de wachtrij', { exact: true }).waitFor();

    // The channel sender reports "sent"; the page must show it without reload.
    const caseJson = await (await fetch(`${stack.baseUrl}/api/v1/cases/${seeded.case_id}`, {
      headers: { Authorization: 'Bearer staff-demo-token' },
    })).json();
    const sent = caseJson.messages.find((m) => m.direction === 'outbound');
    assert.ok(sent, 'the API lists the outbound reply');
    await stack.delivery({ case_id: seeded.case_id, message_id: sent.id, status: 'sent' });
    await outbound.locator('.balie-delivery__status').getByText('Verstuurd', { exact: true }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.equal(loads, 1, 'the page was never reloaded');
  } finally {
    await context.close();
  }
});

test('shortcut keys never fire while typing in a field, and do nothing once switched off', async () => {
  const { context, page } = await stack.newPage();
  try {
    await page.goto('/inbox/');
    await signInByKeyboard(page, 'staff-demo-token');
    await page.locator('#case-rows button').first().waitFor();

    // j opens the first case and keeps focus in the list.
    await page.keyboard.press('j');
    await page.locator('#case').waitFor({ state: 'visible' });
    const first = await page.evaluate(() => document.activeElement?.dataset?.case || '');
    assert.notEqual(first, '', 'j moved focus to a case in the list');

    // Typing j, k and r in the reply box types them and moves nothing.
    await page.keyboard.press('r');
    assert.equal(await focusedId(page), 'reply-text');
    await page.keyboard.type('jkr');
    assert.equal(await page.locator('#reply-text').inputValue(), 'jkr');
    assert.equal(await focusedId(page), 'reply-text');

    // Switch shortcuts off with the checkbox (keyboard only), then r does nothing.
    await tabTo(page, 'the shortcuts checkbox', (f) => f.id === 'shortcuts-on');
    await page.keyboard.press('Space');
    assert.equal(await page.locator('#shortcuts-on').isChecked(), false);
    await page.keyboard.press('r');
    assert.equal(await focusedId(page), 'shortcuts-on', 'r did nothing with shortcuts off');
    await page.keyboard.press('j');
    assert.equal(await focusedId(page), 'shortcuts-on', 'j did nothing with shortcuts off');
  } finally {
    await context.close();
  }
});

test('keyboard only: the promise is read after the case heading, and what the resident was told opens with Enter', async () => {
  const port = await lmtpPort(stack);
  await deliverMail(port, {
    from: 'henk.bakker@burger.test', to: 'info@gemeente.test',
    data: crlf(['From: Henk Bakker <henk.bakker@burger.test>', 'To: info@gemeente.test', 'Subject: Vraag over de bibliotheekpas',
      `Date: ${new Date().toUTCString()}`, `Message-ID: <bieb.${process.pid}.${Date.now()}@burger.test>`,
      'Content-Type: text/plain; charset=utf-8', '', 'Mijn bibliotheekpas is kwijt. Wat moet ik doen?']),
  });
  const { context, page } = await stack.newPage();
  try {
    await page.goto('/inbox/');
    await signInByKeyboard(page, 'staff-demo-token');
    await page.getByRole('button', { name: /Vraag over de bibliotheekpas/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    await tabTo(page, 'the mailed case in the list', (f) => f.tag === 'BUTTON' && f.text.includes('Vraag over de bibliotheekpas'));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: /bibliotheekpas/ }).waitFor();
    assert.equal(await focusedId(page), 'case-title');
    await page.locator('#case-promise', { hasText: /^Antwoord beloofd vóór / }).waitFor();

    // The next stop after the heading is what the resident was told, before the actions.
    await page.keyboard.press('Tab');
    const summary = await page.evaluate(() => ({ tag: document.activeElement.tagName, text: document.activeElement.textContent }));
    assert.deepEqual(summary, { tag: 'SUMMARY', text: 'Wat de inwoner te horen kreeg' });
    assert.equal(await page.locator('#ack-text').isVisible(), false, 'folded at first');
    await page.keyboard.press('Enter');
    await page.locator('#ack-text').getByText('Wij hebben uw bericht ontvangen', { exact: false }).waitFor({ state: 'visible' });

    // A live update (a colleague's note) redraws the case: still open, focus kept.
    const caseId = await page.evaluate(() => document.querySelector('#case-rows button[aria-current="true"]').dataset.case);
    const note = await fetch(`${stack.baseUrl}/api/v1/cases/${caseId}/notes`, {
      method: 'POST', headers: { Authorization: 'Bearer staff-demo-token', 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'Nieuwe pas aangevraagd.' }),
    });
    assert.equal(note.status, 201);
    await page.locator('#conversation .balie-note').getByText('Nieuwe pas aangevraagd.').waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.equal(await page.locator('#case-ack').evaluate((d) => d.open), true, 'what the resident was told stays open');
    assert.equal(await page.evaluate(() => document.activeElement.tagName), 'SUMMARY', 'focus stays on it');

    await page.keyboard.press('Tab');
    assert.equal(await focusedId(page), 'claim', 'then the actions');
    // Enter folds it again from the keyboard.
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await page.locator('#ack-text').waitFor({ state: 'hidden' });
  } finally {
    await context.close();
  }
});
