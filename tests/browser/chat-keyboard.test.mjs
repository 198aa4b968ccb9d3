// The chat widget with the keyboard only, its live region and its session
// time-out warning, under the page's real CSP. Every step in the browser is a
// key press (no clicks); the staff side answers through the staff API, and the
// reply reaches the widget through Balie's web-chat sender.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './support/stack.mjs';
import {
  WEBCHAT_CONFIG, LIVE_TIMEOUT_MS, openDemo, sendFromWidget, findCaseWithText, staffReply, shownMessages, watchPage,
} from './support/chat.mjs';

// Far more Tab presses than the demo page has controls before the launcher.
const MAX_TABS = 60;
// WCAG 2.2.1: at least 20 s to react to a time-out warning.
const MIN_WARNING_MS = 20000;

let stack;

before(async () => {
  stack = await startStack({ config: WEBCHAT_CONFIG });
});

after(async () => {
  await stack?.stop();
});

const focused = (page) => page.evaluate(() => {
  const a = document.activeElement;
  return { id: a?.id || '', tag: a?.tagName || '', text: (a?.textContent || '').trim(), inWidget: Boolean(a?.closest('#balie-chat')) };
});

async function tabTo(page, describe, matches, key = 'Tab') {
  for (let i = 0; i < MAX_TABS; i += 1) {
    await page.keyboard.press(key);
    const f = await focused(page);
    if (matches(f)) return f;
  }
  throw new Error(`could not reach ${describe} with ${MAX_TABS} presses of ${key}`);
}

test('chat keyboard only: open with the launcher, focus in the input, Shift+Enter is a new line, Enter sends, a staff reply arrives, Escape closes and focus returns to the launcher', async () => {
  const { context, page } = await stack.newPage();
  const problems = watchPage(page);
  try {
    await openDemo(page);
    const launcher = await tabTo(page, 'the launcher', (f) => f.tag === 'BUTTON' && f.text === 'Chat met de gemeente');
    assert.ok(launcher.inWidget);
    await page.keyboard.press('Enter');
    assert.equal((await focused(page)).id, 'balie-chat-input', 'opening moves focus to the message input');
    assert.equal(await page.locator('.balie-chat__launcher').getAttribute('aria-expanded'), 'true');

    await page.keyboard.type('Goedemorgen, ik ben mijn afvalpas kwijt.');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('Kan ik een nieuwe krijgen? (toetsenbord)');
    const text = 'Goedemorgen, ik ben mijn afvalpas kwijt.\nKan ik een nieuwe krijgen? (toetsenbord)';
    assert.equal(await page.locator('#balie-chat-input').inputValue(), text, 'Shift+Enter adds a new line and sends nothing');
    assert.equal(await page.locator('#balie-chat-log li').count(), 0);

    await page.keyboard.press('Enter');
    const own = page.locator('#balie-chat-log .balie-chat__message--resident');
    await own.waitFor();
    assert.equal(await page.locator('#balie-chat-input').inputValue(), '', 'the input is empty after sending');
    await page.locator('#balie-chat-log .balie-chat__message--resident:not(.balie-chat__message--pending)').waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.equal(await own.locator('.balie-chat__text').textContent(), text);

    const found = await findCaseWithText(stack, text);
    await staffReply(stack, found.id, 'U kunt een nieuwe pas aanvragen. Ik regel het voor u.');
    await page.locator('#balie-chat-log .balie-chat__message--staff', { hasText: 'Ik regel het voor u.' }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.equal((await focused(page)).id, 'balie-chat-input', 'an arriving message does not move focus');

    await page.keyboard.press('Escape');
    const back = await focused(page);
    assert.equal(back.text, 'Chat met de gemeente', 'Escape returns focus to the launcher');
    assert.equal(await page.locator('.balie-chat__launcher').getAttribute('aria-expanded'), 'false');
    assert.ok(await page.locator('#balie-chat-panel').isHidden());

    // Opening again keeps the conversation; no focus trap: Shift+Tab leaves the widget.
    await page.keyboard.press('Enter');
    assert.equal((await focused(page)).id, 'balie-chat-input');
    assert.equal(await page.locator('#balie-chat-log li').count(), 2);
    await tabTo(page, 'an element of the host page', (f) => !f.inWidget && f.tag !== 'BODY', 'Shift+Tab');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('chat keyboard: Enter during IME composition does not send', async () => {
  const { context, page } = await stack.newPage();
  try {
    await openDemo(page);
    await page.getByRole('button', { name: 'Chat met de gemeente' }).press('Enter');
    await page.keyboard.type('にほんご');
    const sent = await page.evaluate(() => {
      const input = document.getElementById('balie-chat-input');
      const ev = new KeyboardEvent('keydown', { key: 'Enter', code: 'Enter', isComposing: true, bubbles: true, cancelable: true });
      input.dispatchEvent(ev);
      return document.querySelectorAll('#balie-chat-log li').length;
    });
    assert.equal(sent, 0);
    assert.equal(await page.locator('#balie-chat-input').inputValue(), 'にほんご');
  } finally {
    await context.close();
  }
});

test('chat live region: a staff reply is appended to the role=log as exactly one new node with sender and text; older nodes stay untouched and focus stays in the input', async () => {
  const { context, page } = await stack.newPage();
  try {
    await openDemo(page);
    const text = 'Wanneer wordt het grofvuil opgehaald? (live region)';
    await sendFromWidget(page, text);
    await page.locator('#balie-chat-log .balie-chat__message--resident:not(.balie-chat__message--pending)').waitFor({ timeout: LIVE_TIMEOUT_MS });
    await page.evaluate(() => {
      const log = document.getElementById('balie-chat-log');
      window.balieTest = { added: [], removed: 0, before: [...log.querySelectorAll('li')] };
      new MutationObserver((records) => {
        for (const r of records) {
          for (const n of r.addedNodes) window.balieTest.added.push(n.nodeType === 1 ? n.tagName + ':' + n.textContent : '#text');
          window.balieTest.removed += r.removedNodes.length;
        }
      }).observe(log, { childList: true, subtree: true, characterData: true });
    });
    const found = await findCaseWithText(stack, text);
    await staffReply(stack, found.id, 'Het grofvuil halen wij op dinsdag op.');
    await page.locator('#balie-chat-log .balie-chat__message--staff').waitFor({ timeout: LIVE_TIMEOUT_MS });
    const seen = await page.evaluate(() => ({
      ...window.balieTest,
      stillThere: window.balieTest.before.every((li) => li.isConnected),
      statusInLog: Boolean(document.querySelector('#balie-chat-log [role="status"]')),
    }));
    assert.equal(seen.added.length, 1, `one node added, got ${JSON.stringify(seen.added)}`);
    assert.match(seen.added[0], /^LI:/);
    assert.match(seen.added[0], /Medewerker zegt:/);
    assert.match(seen.added[0], /Het grofvuil halen wij op dinsdag op\./);
    assert.equal(seen.removed, 0);
    assert.ok(seen.stillThere, 'older messages are the same nodes');
    assert.equal(seen.statusInLog, false, 'the connection status is a separate region');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'balie-chat-input');

    // After a reload, earlier messages go to the silent history list, not the live log.
    await page.reload();
    await page.locator('#balie-chat-history li').nth(1).waitFor({ timeout: LIVE_TIMEOUT_MS });
    assert.equal(await page.locator('#balie-chat-log li').count(), 0, 'history is not re-announced');
    const shown = await shownMessages(page);
    assert.deepEqual(shown.map((m) => `${m.from}:${m.text}`), [`resident:${text}`, 'staff:Het grofvuil halen wij op dinsdag op.']);
  } finally {
    await context.close();
  }
});

/** Opens the widget under a fake clock, starts a session and jumps to 100 s before its end. */
async function nearTimeout(page) {
  await page.clock.install();
  await openDemo(page);
  await sendFromWidget(page, 'Vraag voor de tijdslimiet. (time-out)');
  await page.locator('#balie-chat-log .balie-chat__message--resident:not(.balie-chat__message--pending)').waitFor({ timeout: LIVE_TIMEOUT_MS });
  const expiresAt = await page.evaluate(() => JSON.parse(sessionStorage.getItem('balie-chat')).expiresAt);
  assert.ok(expiresAt, 'the session has an end time');
  const warning = page.locator('#balie-chat .balie-chat__timeout-inner');
  assert.ok(await warning.isHidden(), 'no warning at the start');
  const jump = Date.parse(expiresAt) - (await page.evaluate(() => Date.now())) - 100000;
  await page.clock.fastForward(Math.max(0, jump));
  await warning.waitFor();
  return { expiresAt, warning };
}

test('chat time-out: with a fake clock the warning is announced (role=alert) at least 20 s before the session ends, without taking focus, and offers one button to continue', async () => {
  const { context, page } = await stack.newPage();
  try {
    const { expiresAt } = await nearTimeout(page);
    const left = Date.parse(expiresAt) - (await page.evaluate(() => Date.now()));
    assert.ok(left >= MIN_WARNING_MS, `warning with ${left} ms left`);
    assert.match(await page.locator('#balie-chat [role="alert"]').textContent(), /Uw chat stopt om \d{2}[:.]\d{2} als u niets doet/);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'balie-chat-input', 'the warning does not steal focus');
    await page.getByRole('button', { name: 'Ja, ik wil verder chatten' }).waitFor();
  } finally {
    await context.close();
  }
});

test('chat time-out: sending a message keeps the session alive (as balied does) and removes the warning', async () => {
  const { context, page } = await stack.newPage();
  try {
    const { expiresAt, warning } = await nearTimeout(page);
    await page.keyboard.type('Ik ben er nog. (time-out)');
    await page.keyboard.press('Enter');
    await warning.waitFor({ state: 'hidden', timeout: LIVE_TIMEOUT_MS });
    const later = await page.evaluate(() => JSON.parse(sessionStorage.getItem('balie-chat')).expiresAt);
    assert.ok(Date.parse(later) > Date.parse(expiresAt), `the end moved from ${expiresAt} to ${later}`);
  } finally {
    await context.close();
  }
});

test('chat time-out: one action on "Ja, ik wil verder chatten" extends the session', async () => {
  const { context, page } = await stack.newPage();
  try {
    const { expiresAt, warning } = await nearTimeout(page);
    const answer = page.waitForResponse((r) => /\/api\/v1\/chat\/sessions\/extend$/.test(r.url()));
    await page.getByRole('button', { name: 'Ja, ik wil verder chatten' }).focus();
    await page.keyboard.press('Enter');
    const res = await answer;
    assert.equal(res.status(), 200, `extend answered ${res.status()}`);
    await page.locator('#balie-chat-status').getByText('U hebt meer tijd gekregen.').waitFor();
    assert.ok(await warning.isHidden());
    const later = await page.evaluate(() => JSON.parse(sessionStorage.getItem('balie-chat')).expiresAt);
    assert.ok(Date.parse(later) > Date.parse(expiresAt), `the end moved from ${expiresAt} to ${later}`);
  } finally {
    await context.close();
  }
});
