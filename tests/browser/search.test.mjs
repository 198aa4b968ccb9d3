// Search and the case list at a glance, as staff use them, against the real
// API: `/` puts the cursor in the search field, Enter searches, the results
// say what was found and show the words around the match, and Enter on a
// result opens the case — all by keyboard. A phone number is searched in a
// POST body: no request URL of the page ever carries it. The case list shows
// the channel as a word with an icon and the first line of the newest
// message. axe runs on the page with results and the list.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './support/stack.mjs';
import { axeViolations } from './support/axe.mjs';
import { waitForCase } from './support/fixtures.mjs';
import { focusedId, signInByKeyboard, tabTo } from './support/keyboard.mjs';

let stack;

before(async () => {
  stack = await startStack();
});

after(async () => {
  await stack?.stop();
});

/** A phone call's transcript; resolves with its case once it is stored. */
async function phoneCall(caller, text) {
  const r = await fetch(`${stack.baseUrl}/api/v1/transcripts`, {
    method: 'POST',
    headers: { Authorization: 'Bearer system-demo-token', 'Content-Type': 'application/json' },
    body: JSON.stringify({ call_id: `call-search-${Date.now()}-${caller}`, caller,
      segments: [{ speaker: 'resident', start_ms: 0, end_ms: 4000, text }] }),
  });
  assert.equal(r.status, 202);
  const { case_id: id } = await r.json();
  return waitForCase(stack.baseUrl, id, (c) => c.message_count === 1, { what: 'its stored call' });
}

test('by keyboard: / to the search field, Enter to search, the words around the match, Enter on a result opens the case', async () => {
  const containers = await phoneCall('+31600000005', 'Goedemorgen.\nDe containers in onze straat zijn al twee weken niet geleegd.');
  await phoneCall('+31600000006', 'Ik wil graag een afspraak maken voor een nieuw paspoort.');
  const { context, page } = await stack.newPage({ bypassCSP: true });
  const urls = [];
  page.on('request', (r) => urls.push(r.url()));
  try {
    await page.goto('/inbox/');
    await signInByKeyboard(page, 'staff-demo-token');
    await page.getByRole('heading', { name: /^Zaken in / }).waitFor();

    // The case list at a glance: the channel in words beside its icon, the newest message's first line.
    await page.getByRole('button', { name: /^Telefoon/ }).click();
    const row = page.locator('#case-rows tr', { has: page.locator(`button[data-case="${containers.id}"]`) });
    await row.getByText('Goedemorgen.', { exact: true }).waitFor();
    assert.equal(await row.locator('.balie-channel__word').textContent(), 'Telefoon');
    assert.equal(await row.locator('.balie-channel svg').getAttribute('aria-hidden'), 'true');

    await page.locator('body').focus();
    await page.keyboard.press('/');
    assert.equal(await focusedId(page), 'search-q', '/ puts the cursor in the search field');
    await page.keyboard.type('container');
    await page.keyboard.press('Enter');
    await page.getByText('1 zaak gevonden.', { exact: true }).first().waitFor();
    assert.equal(await focusedId(page), 'search-title', 'the results heading takes the focus');
    const hit = page.locator('#search-list li').first();
    assert.match(await hit.locator('.balie-search-hit__snippet').textContent(), /containers in onze straat/);
    assert.match(await hit.textContent(), /gevonden op woorden/);
    assert.deepEqual(await axeViolations(page), []);

    const reached = await tabTo(page, 'the result', (f) => f.tag === 'BUTTON' && f.text.startsWith(containers.reference));
    assert.ok(reached);
    await page.keyboard.press('Enter');
    await page.locator('#case-title').getByText(containers.reference).waitFor();
    assert.equal(await focusedId(page), 'case-title', 'the opened case takes the focus');

    // A phone number in any notation finds the case, and never travels in a URL.
    await page.keyboard.press('/');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('06-00000005');
    await page.keyboard.press('Enter');
    await page.locator('#search-list li').first().getByText('gevonden op adres', { exact: false }).waitFor();
    assert.equal(await page.locator('#search-list li').count(), 1);
    assert.deepEqual(urls.filter((u) => /0000000?5/.test(decodeURIComponent(u))), [], 'no URL carries the number');

    // Nothing found is said in words; the results close by keyboard.
    await page.keyboard.press('/');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('fietsenstalling');
    await page.keyboard.press('Enter');
    await page.getByText('Geen zaken gevonden.', { exact: false }).first().waitFor();
    await tabTo(page, 'close results', (f) => f.id === 'search-close');
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('#search-results').isHidden(), true);
    assert.equal(await focusedId(page), 'search-q');
  } finally {
    await context.close();
  }
});
