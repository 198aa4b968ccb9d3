// axe-core on the staff inbox page in Chromium: zero WCAG 2.x A/AA violations
// on every main view, and reflow at 320 px. axe is injected as a script, which
// the page's CSP would block, so only these contexts use bypassCSP; the XSS
// test never does. An automatic check is necessary, not sufficient: see
// tests/browser/README.md for what a manual audit must still cover.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './support/stack.mjs';
import { axeViolations } from './support/axe.mjs';
import { inboundMessage, signIn } from './support/fixtures.mjs';


let stack;
let caseId;

before(async () => {
  stack = await startStack();
  const answers = await stack.seed([
    inboundMessage({ channel: 'email', subject: 'Vraag over de afvalpas', name: 'Anna de Vries', address: 'anna@gemeente.test',
      text: 'Goedemorgen,\nMijn afvalpas werkt niet meer. Kunt u een nieuwe sturen?',
      attachments: [{ filename: 'foto-afvalpas.jpg', content_type: 'image/jpeg', size: 48213 }] }),
    inboundMessage({ channel: 'sms', subject: 'Sms', name: 'Bram Jansen', address: '+31600000002', priority: 'high',
      text: 'Hoe laat is het gemeentehuis open?' }),
    inboundMessage({ channel: 'webchat', name: 'Chris Bakker', priority: 'urgent', text: 'Ik wil een afspraak maken.' }),
    inboundMessage({ channel: 'phone', subject: 'Telefoongesprek over parkeren', name: 'Dana Kok', language: 'eng',
      text: 'I would like a parking permit.',
      transcript: [{ speaker: 'ivr', text: 'Welkom bij de gemeente.' }, { speaker: 'resident', text: 'I would like a parking permit.' },
        { speaker: 'staff', text: 'Ik help u graag.' }] }),
  ]);
  caseId = answers[0].case_id;
  // One outbound reply and one internal note on the first case, as staff.
  const headers = { Authorization: 'Bearer staff-demo-token', 'Content-Type': 'application/json' };
  const reply = await fetch(`${stack.baseUrl}/api/v1/cases/${caseId}/replies`, {
    method: 'POST', headers, body: JSON.stringify({ text: 'Wij sturen u deze week een nieuwe afvalpas.' }),
  });
  assert.equal(reply.status, 202, `reply answered ${reply.status}: ${await reply.text()}`);
  const note = await fetch(`${stack.baseUrl}/api/v1/cases/${caseId}/notes`, {
    method: 'POST', headers, body: JSON.stringify({ text: 'Pas is geblokkeerd, nieuwe aangevraagd.' }),
  });
  assert.equal(note.status, 201, `note answered ${note.status}: ${await note.text()}`);
});

after(async () => {
  await stack?.stop();
});


async function openFirstCase(page) {
  await signIn(page);
  await page.getByRole('button', { name: /Vraag over de afvalpas/ }).click();
  await page.getByRole('heading', { name: /Vraag over de afvalpas/, level: 2 }).waitFor();
  await page.getByText('Interne notitie').first().waitFor();
  // Jargon and a long sentence: the plain-language hints must show.
  await page.getByLabel('Uw antwoord').fill('Conform uw verzoek inzake de afvalpas dienen wij derhalve een nieuwe pas te sturen naar het adres dat bij ons bekend is in de basisregistratie.');
  await page.getByText('Tips voor duidelijke taal').waitFor();
}

test('the sign-in page has no axe violations (WCAG 2.x A and AA)', async () => {
  const { context, page } = await stack.newPage({ bypassCSP: true });
  try {
    await page.goto('/inbox/');
    await page.getByLabel('Toegangscode').waitFor();
    assert.deepEqual(await axeViolations(page), []);
  } finally {
    await context.close();
  }
});

test('the sign-in error is text linked to the field and has no axe violations', async () => {
  const { context, page } = await stack.newPage({ bypassCSP: true });
  try {
    await page.goto('/inbox/');
    await page.getByLabel('Toegangscode').fill('geen-geldige-code');
    await page.getByRole('button', { name: 'Inloggen' }).click();
    const field = page.getByLabel('Toegangscode');
    await page.locator('#token-error').getByText('klopt niet').waitFor();
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.match(await field.getAttribute('aria-describedby'), /\btoken-error\b/);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'token');
    assert.deepEqual(await axeViolations(page), []);
  } finally {
    await context.close();
  }
});

test('the inbox list with cases has no axe violations', async () => {
  const { context, page } = await stack.newPage({ bypassCSP: true });
  try {
    await signIn(page);
    await page.locator('#case-rows tr').nth(2).waitFor();
    assert.ok(await page.locator('#inbox-list button').count() >= 2, 'the staff token sees two inboxes');
    assert.deepEqual(await axeViolations(page), []);
  } finally {
    await context.close();
  }
});

test('an open case with both directions, a note and plain-language hints has no axe violations', async () => {
  const { context, page } = await stack.newPage({ bypassCSP: true });
  try {
    await openFirstCase(page);
    const conversation = page.locator('#conversation');
    assert.equal(await conversation.locator('.balie-message--inbound').count(), 1);
    assert.equal(await conversation.locator('.balie-message--outbound').count(), 1);
    assert.equal(await conversation.locator('.balie-note').count(), 1);
    await conversation.getByText('foto-afvalpas.jpg', { exact: false }).waitFor();
    await conversation.getByText('In de wachtrij').waitFor();
    assert.deepEqual(await axeViolations(page), []);
  } finally {
    await context.close();
  }
});

test('at 320 px width the open case reflows without sideways scrolling and has no axe violations', async () => {
  const { context, page } = await stack.newPage({ bypassCSP: true, viewport: { width: 320, height: 640 } });
  try {
    await openFirstCase(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow} px at 320 px`);
    assert.deepEqual(await axeViolations(page), []);
  } finally {
    await context.close();
  }
});

test('at 200 % text size the open case still reflows at 640 px without sideways scrolling', async () => {
  const { context, page } = await stack.newPage({ bypassCSP: true, viewport: { width: 640, height: 800 } });
  try {
    await openFirstCase(page);
    await page.addStyleTag({ content: 'html { font-size: 200% !important; }' });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow} px at 200 % text`);
    assert.deepEqual(await axeViolations(page), []);
  } finally {
    await context.close();
  }
});

test('a phone call with its transcript opened and English resident text has no axe violations', async () => {
  const { context, page } = await stack.newPage({ bypassCSP: true });
  try {
    await signIn(page);
    await page.getByRole('button', { name: /Telefoongesprek over parkeren/ }).click();
    await page.getByRole('heading', { level: 2, name: /Telefoongesprek over parkeren/ }).waitFor();
    assert.equal(await page.locator('#conversation .balie-message__text').first().getAttribute('lang'), 'en');
    const summary = page.locator('#conversation .balie-transcript summary');
    await summary.focus();
    await page.keyboard.press('Enter');
    await page.locator('#conversation .balie-transcript li').nth(2).waitFor({ state: 'visible' });
    assert.match(await page.locator('#conversation .balie-transcript').textContent(), /Keuzemenu: Welkom bij de gemeente\./);
    assert.deepEqual(await axeViolations(page), []);
  } finally {
    await context.close();
  }
});
