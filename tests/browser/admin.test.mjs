// The admin page (/admin/) in Chromium: no axe violations (WCAG 2.x A/AA) on
// sign-in, the channel table, the switch form and the history; keyboard-only
// use from sign-in to switching a channel off with a reason and a notice and
// on again; the refusal to switch off the last channel explained in the form;
// a staff code refused with a clear message. The page's effect is checked on
// the API (the switch, the notice residents see), not only on the page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './support/stack.mjs';
import { axeViolations } from './support/axe.mjs';
import { tabTo, focusedId, signInByKeyboard } from './support/keyboard.mjs';

let stack;

before(async () => {
  stack = await startStack();
});

after(async () => {
  await stack?.stop();
});

async function channels() {
  const res = await fetch(`${stack.baseUrl}/api/v1/channels`, { headers: { Authorization: 'Bearer admin-demo-token' } });
  assert.equal(res.status, 200);
  return Object.fromEntries((await res.json()).channels.map((c) => [c.name, c]));
}

async function setChannel(name, enabled) {
  const res = await fetch(`${stack.baseUrl}/api/v1/channels/${name}`, {
    method: 'PUT', headers: { Authorization: 'Bearer admin-demo-token', 'Content-Type': 'application/json' },
    body: JSON.stringify({ enabled, reason: 'testopzet' }),
  });
  assert.equal(res.status, 200);
}

async function signIn(page, token = 'admin-demo-token') {
  await page.goto('/admin/');
  await page.getByLabel('Toegangscode voor beheer').fill(token);
  await page.getByRole('button', { name: 'Inloggen' }).click();
}

test('the admin page has no axe violations: sign-in, channels, switch form, history (WCAG 2.x A and AA)', async () => {
  const { context, page } = await stack.newPage({ bypassCSP: true });
  try {
    await page.goto('/admin/');
    await page.getByLabel('Toegangscode voor beheer').waitFor();
    assert.deepEqual(await axeViolations(page), [], 'sign-in');
    await signIn(page);
    await page.getByRole('button', { name: 'Telefoon uitzetten' }).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'channel table');
    await page.getByRole('button', { name: 'Telefoon uitzetten' }).click();
    await page.getByLabel(/Reden/).waitFor();
    await page.getByRole('button', { name: 'Telefoon uitzetten' }).last().click();  // without a reason: the error shows
    await page.getByText('Schrijf waarom u dit kanaal aan- of uitzet.').waitFor();
    assert.deepEqual(await axeViolations(page), [], 'switch form with an error');
    await page.getByRole('button', { name: 'Geschiedenis van Telefoon' }).click();
    await page.getByRole('heading', { name: /Geschiedenis van Telefoon/ }).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'history');
    await page.setViewportSize({ width: 320, height: 640 });
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= 320), true, 'reflows at 320 px (WCAG 1.4.10)');
  } finally {
    await context.close();
  }
});

test('keyboard only: sign in, switch web chat off with a reason and a notice, see it announced, and on again', async () => {
  const { context, page } = await stack.newPage();
  try {
    await page.goto('/admin/');
    await page.getByLabel('Toegangscode voor beheer').waitFor();
    await signInByKeyboard(page, 'admin-demo-token');
    await page.getByRole('button', { name: 'Webchat uitzetten' }).waitFor();
    assert.equal(await focusedId(page), 'channels-title', 'after signing in, focus is on the channel list');

    await tabTo(page, 'the web chat switch', (f) => f.tag === 'BUTTON' && f.text === 'Webchat uitzetten');
    await page.keyboard.press('Enter');
    assert.equal(await focusedId(page), 'switch-title', 'the form opens with focus on its heading');
    await tabTo(page, 'the reason', (f) => f.id === 'switch-reason');
    await page.keyboard.type('Onderhoud aan de chat');
    await tabTo(page, 'the Dutch notice', (f) => f.id === 'switch-notice-nl');
    await page.keyboard.type('De chat is vandaag uit. Bel ons op 14 020.');
    await tabTo(page, 'the submit button', (f) => f.id === 'switch-submit');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Webchat staat uit.' }).waitFor();
    await page.getByRole('button', { name: 'Webchat aanzetten' }).waitFor();

    const now = await channels();
    assert.equal(now.webchat.enabled, false);
    assert.equal(now.webchat.reason, 'Onderhoud aan de chat');
    assert.equal(now.webchat.notice.nl, 'De chat is vandaag uit. Bel ons op 14 020.');
    const chat = await (await fetch(`${stack.baseUrl}/api/v1/chat/status`)).json();
    assert.equal(chat.open, false);
    assert.equal(chat.notice, 'De chat is vandaag uit. Bel ons op 14 020.', 'residents see the notice the admin wrote');

    await tabTo(page, 'the web chat switch', (f) => f.tag === 'BUTTON' && f.text === 'Webchat aanzetten');
    await page.keyboard.press('Enter');
    await tabTo(page, 'the reason', (f) => f.id === 'switch-reason');
    await page.keyboard.type('Onderhoud klaar');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Webchat staat weer aan.' }).waitFor();
    assert.equal((await channels()).webchat.enabled, true);
  } finally {
    await context.close();
  }
});

test('switching off the last channel that is on is refused, and the form says why', async () => {
  await setChannel('webchat', false);
  const { context, page } = await stack.newPage();
  try {
    await signIn(page);
    await page.getByRole('button', { name: 'Telefoon uitzetten' }).click();
    await page.getByLabel(/Reden/).fill('Storing');
    await page.getByRole('button', { name: 'Telefoon uitzetten' }).last().click();
    await page.getByRole('alert').filter({ hasText: 'Dit is het laatste kanaal dat aan staat.' }).waitFor();
    assert.equal(await focusedId(page), 'switch-error', 'focus moves to the explanation');
    assert.equal((await channels()).phone.enabled, true);
  } finally {
    await context.close();
    await setChannel('webchat', true);
  }
});

test('a staff code does not open the admin page, and says so', async () => {
  const { context, page } = await stack.newPage();
  try {
    await signIn(page, 'staff-demo-token');
    await page.getByText('Met deze code kunt u geen kanalen beheren.').waitFor();
    assert.equal(await page.locator('#app').isHidden(), true);
    assert.equal(await focusedId(page), 'token');
  } finally {
    await context.close();
  }
});
