// Helpers for the chat widget tests: the balied config that switches the web
// chat on, axe, the staff API (the inbox side of a conversation) and small
// waits. Residents in these tests are invented (gemeente.test, +31 6 0000 00xx).

import assert from 'node:assert/strict';

export { AXE_TAGS, axeViolations } from './axe.mjs';

/**
 * Web chat on, for any loopback origin: the test page's port is only known
 * after balied started, so the allow-list uses balied's "loopback" token
 * (any http://127.0.0.1:* or http://localhost:* origin). Without the
 * acknowledgement of a new case, so a test sees exactly the messages it
 * sends and answers; ACKNOWLEDGING_WEBCHAT_CONFIG has it on.
 */
export const WEBCHAT_CONFIG = { channels: { webchat: { enabled: true, allowed_origins: ['loopback'], acknowledge: false } } };
export const ACKNOWLEDGING_WEBCHAT_CONFIG = { channels: { webchat: { enabled: true, allowed_origins: ['loopback'], acknowledge: true } } };

/** The admin notice the closed test stack shows. */
export const CLOSED_NOTICE = 'Vandaag is de chat gesloten. Laat een bericht achter of bel 14 020.';

/**
 * Web chat on but closed: opening hours without a single window, so
 * /api/v1/chat/status says open: false and new sessions get 503 chat-closed.
 */
export const CLOSED_WEBCHAT_CONFIG = {
  channels: { webchat: { enabled: true, allowed_origins: ['loopback'], hours: {}, closed_notice: CLOSED_NOTICE, acknowledge: false } },
};

/** Live updates (WebSocket, SSE, the web-chat sender) arrive well within this. */
export const LIVE_TIMEOUT_MS = 15000;
const STAFF = { Authorization: 'Bearer staff-demo-token' };


/** Polls fn until it returns a truthy value (or throws after timeoutMs). */
export async function eventually(what, fn, timeoutMs = LIVE_TIMEOUT_MS) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

async function staffGet(stack, path) {
  const res = await fetch(`${stack.baseUrl}${path}`, { headers: STAFF });
  const body = await res.text();
  assert.equal(res.status, 200, `GET ${path} answered ${res.status}: ${body}`);
  return JSON.parse(body);
}

/** The cases in inbox algemeen (open and claimed), most recent first. */
export async function listCases(stack) {
  const body = await staffGet(stack, '/api/v1/inboxes/algemeen/cases?limit=100');
  return body.cases;
}

/** One case with all its messages. */
export const getCase = (stack, id) => staffGet(stack, `/api/v1/cases/${encodeURIComponent(id)}`);

/** Waits for the case in inbox algemeen that holds an inbound message with this text. */
export async function findCaseWithText(stack, text) {
  return eventually(`a case with the text ${JSON.stringify(text)}`, async () => {
    for (const summary of await listCases(stack)) {
      const full = await getCase(stack, summary.id);
      if ((full.messages || []).some((m) => m.direction === 'inbound' && m.text === text)) return full;
    }
    return null;
  });
}

/** Staff answer through the staff API (default channel: the one the resident used). */
export async function staffReply(stack, caseId, text) {
  const res = await fetch(`${stack.baseUrl}/api/v1/cases/${encodeURIComponent(caseId)}/replies`, {
    method: 'POST', headers: { ...STAFF, 'Content-Type': 'application/json' }, body: JSON.stringify({ text }),
  });
  const body = await res.text();
  assert.equal(res.status, 202, `reply answered ${res.status}: ${body}`);
  return JSON.parse(body);
}

/** Opens the demo page and waits for the widget's launcher. */
export async function openDemo(page) {
  await page.goto('/chat/');
  await page.getByRole('button', { name: 'Chat met de gemeente' }).waitFor();
}

/** Opens the widget with the launcher, writes and sends one message. */
export async function sendFromWidget(page, text) {
  const launcher = page.getByRole('button', { name: 'Chat met de gemeente' });
  if ((await launcher.getAttribute('aria-expanded')) !== 'true') await launcher.click();
  const input = page.getByLabel('Uw bericht');
  await input.fill(text);
  await input.press('Enter');
  await page.locator('#balie-chat-log li', { hasText: text }).waitFor();
}

/** The texts of all message items the widget shows (history and log), in order. */
export function shownMessages(page) {
  return page.evaluate(() => [...document.querySelectorAll('#balie-chat-history > li, #balie-chat-log li')].map((li) => ({
    from: [...li.classList].find((c) => c.startsWith('balie-chat__message--') && !/pending|failed/.test(c))?.slice(21),
    text: li.querySelector('.balie-chat__text')?.textContent,
    pending: li.classList.contains('balie-chat__message--pending'),
    failed: li.classList.contains('balie-chat__message--failed'),
  })));
}

/** Collects CSP violations and page errors; assert on .list at the end. */
export function watchPage(page) {
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  return problems;
}
