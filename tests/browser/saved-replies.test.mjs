// Saved replies in the composer, by keyboard, against the real API: an admin
// saves one through the API; on a case, # at the start of the answer moves to
// the choice, a reply is picked and inserted with the case's reference and
// the municipality's number filled in (and a polite form for a caller who
// gave no name), and staff edit it before sending. A passive sentence
// gets its plain-language hint, which does not stop the reply. axe runs on
// the composer with the choice.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './support/stack.mjs';
import { axeViolations } from './support/axe.mjs';
import { focusedId, signInByKeyboard, tabTo } from './support/keyboard.mjs';
import { waitForCase } from './support/fixtures.mjs';

let stack;

before(async () => {
  stack = await startStack();
});

after(async () => {
  await stack?.stop();
});

const call = (path, { token = 'admin-demo-token', ...init } = {}) => fetch(`${stack.baseUrl}/api/v1${path}`, {
  ...init, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
});

test('by keyboard: # opens the saved replies, one is inserted filled in, edited, and a passive sentence gets a hint', async () => {
  const saved = await call('/replies/container-melding', { method: 'PUT', body: JSON.stringify({
    title: 'Container niet geleegd', inbox: 'telefoon',
    text: { nl: 'Beste {naam},\n\nUw melding {referentie} is binnen. Wij legen de container morgen. Bel {telefoonnummer} als u vragen hebt.' },
  }) });
  assert.equal(saved.status, 201);
  const called = await call('/transcripts', { token: 'system-demo-token', method: 'POST', body: JSON.stringify({
    call_id: `call-saved-${Date.now()}`, caller: '+31600000009',
    segments: [{ speaker: 'resident', start_ms: 0, end_ms: 2000, text: 'Mijn container is niet geleegd.' }],
  }) });
  assert.equal(called.status, 202);
  const { case_id: id } = await called.json();
  const { reference } = await waitForCase(stack.baseUrl, id, (c) => c.message_count === 1, { what: 'its stored call' });

  const { context, page } = await stack.newPage({ bypassCSP: true });
  try {
    await page.goto('/inbox/');
    await signInByKeyboard(page, 'staff-demo-token');
    await page.getByRole('heading', { name: /^Zaken in / }).waitFor();
    await page.getByRole('button', { name: /^Telefoon/ }).click();
    await page.locator(`button[data-case="${id}"]`).click();
    await page.locator('#saved-reply option', { hasText: 'Container niet geleegd (dit postvak)' }).waitFor({ state: 'attached' });

    await page.locator('#reply-text').focus();
    await page.keyboard.type('#');
    assert.equal(await focusedId(page), 'saved-reply', '# moves to the choice of saved replies');
    assert.equal(await page.locator('#reply-text').inputValue(), '', 'the # is not typed into the answer');
    await page.keyboard.press('ArrowDown');
    await tabTo(page, 'Invoegen', (f) => f.id === 'saved-reply-insert');
    await page.keyboard.press('Enter');
    assert.equal(await focusedId(page), 'reply-text', 'back in the answer to edit it');
    const text = await page.locator('#reply-text').inputValue();
    assert.equal(text, `Beste meneer of mevrouw,\n\nUw melding ${reference} is binnen. Wij legen de container morgen. Bel 14 en uw netnummer als u vragen hebt.`);
    await page.getByText('Standaardantwoord “Container niet geleegd” staat in uw antwoord.', { exact: false }).first().waitFor();

    // Edited by the staff member; a passive sentence gets a hint, the reply still goes.
    await page.keyboard.press('End');
    await page.keyboard.type(' De container wordt morgen geleegd.');
    await page.locator('#reply-hints-list li', { hasText: 'lijdend' }).waitFor();
    assert.deepEqual(await axeViolations(page), []);
    await page.getByRole('button', { name: 'Antwoord versturen' }).click();
    await page.locator('#conversation li', { hasText: 'De container wordt morgen geleegd.' }).waitFor();
  } finally {
    await context.close();
  }
});
