// The resident chat widget (web/chat/) in Chromium: axe-core finds no WCAG
// 2.0/2.1/2.2 A and AA violations in each state, it reflows at 320 px, works
// with 200 % text and text-spacing overrides, honours reduced motion, always
// shows the non-digital routes, and sets lang. axe is injected as a script,
// so only the axe contexts use bypassCSP; the other chat tests run under the
// real CSP. The closed chat is a second stack whose opening hours have no
// window at all.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './support/stack.mjs';
import {
  WEBCHAT_CONFIG, CLOSED_WEBCHAT_CONFIG, CLOSED_NOTICE, LIVE_TIMEOUT_MS, axeViolations, openDemo, sendFromWidget, findCaseWithText, staffReply,
} from './support/chat.mjs';

let stack;
let closedStack;

before(async () => {
  stack = await startStack({ config: WEBCHAT_CONFIG });
  closedStack = await startStack({ config: CLOSED_WEBCHAT_CONFIG });
});

after(async () => {
  await closedStack?.stop();
  await stack?.stop();
});

/** A conversation with one message from each side, shown in the widget. */
async function conversation(page, text) {
  await openDemo(page);
  await sendFromWidget(page, text);
  const found = await findCaseWithText(stack, text);
  await staffReply(stack, found.id, 'Goedemiddag, ik help u graag. U krijgt deze week een nieuwe pas.');
  await page.locator('#balie-chat-log .balie-chat__message--staff', { hasText: 'U krijgt deze week een nieuwe pas.' })
    .waitFor({ timeout: LIVE_TIMEOUT_MS });
  await page.locator('#balie-chat-log .balie-chat__message--resident:not(.balie-chat__message--pending)').first().waitFor();
}

test('chat: the closed launcher has no axe violations, and the role=log message list exists from page load', async () => {
  const { context, page } = await stack.newPage({ bypassCSP: true });
  try {
    await openDemo(page);
    const launcher = page.getByRole('button', { name: 'Chat met de gemeente' });
    assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
    assert.equal(await launcher.getAttribute('aria-controls'), 'balie-chat-panel');
    const log = page.locator('#balie-chat-log');
    assert.equal(await log.count(), 1, 'the log is in the DOM while the widget is closed');
    assert.equal(await log.getAttribute('role'), 'log');
    assert.equal(await log.getAttribute('aria-relevant'), 'additions');
    assert.equal(await log.getAttribute('aria-atomic'), null, 'never aria-atomic on the whole log');
    assert.deepEqual(await axeViolations(page), []);
  } finally {
    await context.close();
  }
});

test('chat: the open chat with a resident message and a staff reply has no axe violations, and each message states sender and time in text', async () => {
  const { context, page } = await stack.newPage({ bypassCSP: true });
  try {
    await conversation(page, 'Mijn afvalpas is kapot. Kan ik een nieuwe krijgen? (a11y open)');
    const panel = page.getByRole('region', { name: 'Chat met de gemeente' });
    await panel.waitFor();
    const staff = page.locator('#balie-chat-log .balie-chat__message--staff').first();
    assert.match(await staff.textContent(), /Medewerker zegt:/);
    assert.match(await staff.locator('time').textContent(), /^\d{2}:\d{2}$/);
    const own = page.locator('#balie-chat-log .balie-chat__message--resident').first();
    assert.match(await own.textContent(), /U zei:/);
    assert.match(await own.locator('time').textContent(), /^\d{2}:\d{2}$/);
    assert.deepEqual(await axeViolations(page), []);
  } finally {
    await context.close();
  }
});

test('chat: the leave-a-message form with validation errors shown has no axe violations; errors are text linked to their fields, focus goes to the first error, values stay', async () => {
  const { context, page } = await closedStack.newPage({ bypassCSP: true });
  try {
    await openDemo(page);
    await page.getByRole('button', { name: 'Chat met de gemeente' }).click();
    await page.getByText(CLOSED_NOTICE).waitFor();
    await page.getByRole('heading', { name: 'Bericht achterlaten' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'balie-leave-text', 'opening focuses the message field');

    // Nothing filled in: errors for the message and the answer route.
    await page.getByRole('button', { name: 'Bericht versturen' }).click();
    const textError = page.locator('#balie-leave-text-error');
    await textError.getByText('Typ uw vraag of bericht.').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'balie-leave-text', 'focus on the first field with an error');
    assert.equal(await page.locator('#balie-leave-text').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#balie-leave-text').getAttribute('aria-describedby'), /\bbalie-leave-text-error\b/);
    await page.locator('#balie-leave-channel-error').getByText('Kies hoe u ons antwoord wilt krijgen').waitFor();

    // A message and a wrong email address: the address error, values kept.
    await page.getByLabel('Uw vraag of bericht').fill('Graag een nieuwe afvalpas.');
    await page.getByLabel('Per e-mail').check();
    await page.getByLabel('Uw e-mailadres').fill('sanne-at-gemeente.test');
    await page.getByLabel('Uw naam (niet verplicht)').last().fill('Sanne Visser');
    await page.getByRole('button', { name: 'Bericht versturen' }).click();
    await page.locator('#balie-leave-address-error').getByText('Vul een e-mailadres in zoals').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'balie-leave-address');
    assert.match(await page.locator('#balie-leave-address').getAttribute('aria-describedby'), /\bbalie-leave-address-error\b/);
    assert.equal(await page.locator('#balie-leave-text').inputValue(), 'Graag een nieuwe afvalpas.');
    assert.equal(await page.locator('#balie-leave-address').inputValue(), 'sanne-at-gemeente.test');
    assert.equal(await page.locator('#balie-leave-name').inputValue(), 'Sanne Visser');
    assert.ok(await page.locator('#balie-leave-text-error').isHidden(), 'a fixed error disappears');
    // The error summary links to the field.
    assert.equal(await page.locator('#balie-leave-errors a').getAttribute('href'), '#balie-leave-address');
    assert.deepEqual(await axeViolations(page), []);
  } finally {
    await context.close();
  }
});

test('chat: at 320 px the open chat fills the screen without sideways scrolling and has no axe violations', async () => {
  const { context, page } = await stack.newPage({ bypassCSP: true, viewport: { width: 320, height: 640 } });
  try {
    await conversation(page, 'Vraag op een smal scherm over parkeren. (a11y 320)');
    const box = await page.locator('#balie-chat-panel').boundingBox();
    assert.ok(box.x <= 0.5 && box.y <= 0.5 && box.width >= 319 && box.height >= 639, `panel is full screen: ${JSON.stringify(box)}`);
    const overflow = await page.evaluate(() => ({
      doc: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      panel: document.querySelector('#balie-chat-panel').scrollWidth - document.querySelector('#balie-chat-panel').clientWidth,
    }));
    assert.ok(overflow.doc <= 0 && overflow.panel <= 0, `sideways scrolling at 320 px: ${JSON.stringify(overflow)}`);
    assert.deepEqual(await axeViolations(page), []);
  } finally {
    await context.close();
  }
});

test('chat: with 200 % text and the WCAG 1.4.12 text-spacing overrides nothing scrolls sideways and no message text is clipped', async () => {
  const { context, page } = await stack.newPage({ bypassCSP: true, viewport: { width: 640, height: 800 } });
  try {
    await conversation(page, 'Een langere vraag over de openingstijden van het gemeentehuis en de balie. (a11y spacing)');
    await page.addStyleTag({
      content: `html { font-size: 200% !important; }
        * { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; }
        p { margin-block-end: 2em !important; }`,
    });
    const result = await page.evaluate(() => {
      const clipped = [...document.querySelectorAll('#balie-chat .balie-chat__text, #balie-chat button, #balie-chat label')]
        .filter((el) => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)
        .map((el) => el.textContent.trim().slice(0, 40));
      return { overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth, clipped };
    });
    assert.ok(result.overflow <= 0, `page scrolls sideways by ${result.overflow} px`);
    assert.deepEqual(result.clipped, []);
    assert.deepEqual(await axeViolations(page), []);
  } finally {
    await context.close();
  }
});

test('chat: with prefers-reduced-motion the panel opens without animation', async () => {
  const { context, page } = await stack.newPage({ reducedMotion: 'reduce' });
  try {
    await openDemo(page);
    await page.getByRole('button', { name: 'Chat met de gemeente' }).click();
    const animation = await page.locator('#balie-chat-panel').evaluate((el) => getComputedStyle(el).animationName);
    assert.equal(animation, 'none');
  } finally {
    await context.close();
  }
});

test('chat: phone number, counter hours, Teletolk and a Toegankelijkheid link are shown when open and when closed', async () => {
  for (const where of [stack, closedStack]) {
    const { context, page } = await where.newPage();
    try {
      await openDemo(page);
      await page.getByRole('button', { name: 'Chat met de gemeente' }).click();
      const panel = page.locator('#balie-chat-panel');
      await panel.getByRole('link', { name: '14 020' }).waitFor();
      const text = await panel.textContent();
      assert.match(text, /balie in het gemeentehuis/);
      assert.match(text, /Teletolk/);
      assert.match(text, /Postbus/);
      await panel.getByRole('link', { name: /toegankelijkheid/i }).waitFor();
    } finally {
      await context.close();
    }
  }
});

test('chat: the widget root has lang="nl", and the English switch sets lang="en" and keeps the focus on the switch', async () => {
  const { context, page } = await stack.newPage();
  try {
    await openDemo(page);
    assert.equal(await page.locator('#balie-chat').getAttribute('lang'), 'nl');
    await page.getByRole('button', { name: 'Chat met de gemeente' }).click();
    const english = page.getByRole('button', { name: 'English' });
    assert.equal(await english.getAttribute('lang'), 'en');
    await english.click();
    await page.getByRole('button', { name: 'Chat with the municipality' }).waitFor();
    assert.equal(await page.locator('#balie-chat').getAttribute('lang'), 'en');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Nederlands');
    assert.equal(await page.getByRole('button', { name: 'Nederlands' }).getAttribute('lang'), 'nl');
  } finally {
    await context.close();
  }
});
