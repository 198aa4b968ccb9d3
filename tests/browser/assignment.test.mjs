// Assignment as staff see it, against the real API: where an inbox proposes
// new cases, the header has "Beschikbaar voor nieuwe zaken" (a native
// checkbox, by keyboard); once available, a new phone call's case is proposed
// to the staff member, and the list and the case say "voorgesteld aan u" in
// words: a proposal, not a claim. Without assignment the checkbox is absent.
// axe runs on the page with the proposal.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './support/stack.mjs';
import { axeViolations } from './support/axe.mjs';
import { signIn, waitForCase } from './support/fixtures.mjs';

const ASSIGNING = {
  inboxes: [
    { id: 'algemeen', name: 'Algemeen' },
    { id: 'telefoon', name: 'Telefoon', assignment: 'round_robin' },
    { id: 'vergunningen', name: 'Vergunningen' },
  ],
};

let stack;

before(async () => {
  stack = await startStack({ config: ASSIGNING });
});

after(async () => {
  await stack?.stop();
});

const call = (path, { token = 'staff-demo-token', ...init } = {}) => fetch(`${stack.baseUrl}/api/v1${path}`, {
  ...init, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
});

test('a staff member says by keyboard they are available; a new case is proposed to them and shown as "voorgesteld aan u"', async () => {
  // axe is injected as a script: the page's own CSP would refuse it.
  const { context, page } = await stack.newPage({ bypassCSP: true });
  try {
    await signIn(page);
    const box = page.getByRole('checkbox', { name: 'Beschikbaar voor nieuwe zaken' });
    assert.equal(await box.isVisible(), true, 'the inbox proposes cases: the choice is offered');
    assert.equal(await box.isChecked(), false, 'nobody is available until they say so');
    await box.focus();
    await page.keyboard.press('Space');
    await page.getByText('U bent beschikbaar. Nieuwe zaken kunnen aan u worden voorgesteld.').waitFor();
    assert.equal((await (await call('/me')).json()).available, true);

    const stored = await call('/transcripts', {
      token: 'system-demo-token', method: 'POST',
      body: JSON.stringify({ call_id: `call-assign-${Date.now()}`, caller: '+31600000003',
        segments: [{ speaker: 'resident', start_ms: 0, end_ms: 2000, text: 'Mijn straatlantaarn is kapot.' }] }),
    });
    assert.equal(stored.status, 202);
    const { case_id: id } = await stored.json();
    await waitForCase(stack.baseUrl, id, (c) => c.proposed_to === 'demo-staff', { what: 'a proposal to demo-staff' });

    await page.getByRole('button', { name: /^Telefoon/ }).click();
    const row = page.locator('#case-rows tr', { has: page.locator(`button[data-case="${id}"]`) });
    await row.getByText('voorgesteld aan u').waitFor();
    await row.locator('button').click();
    await page.locator('#case-facts').getByText('Open, voorgesteld aan u').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Oppakken' }).isVisible(), true, 'a proposal is not a claim: still to take up');
    assert.deepEqual(await axeViolations(page), []);

    // Unavailable again: the box and the API agree.
    await box.focus();
    await page.keyboard.press('Space');
    await page.getByText('U bent niet beschikbaar. Er worden geen nieuwe zaken aan u voorgesteld.').waitFor();
    assert.equal((await (await call('/me')).json()).available, false);
  } finally {
    await context.close();
  }
});

test('an admin token has no availability to choose (only staff are proposed cases)', async () => {
  const r = await call('/me/availability', { token: 'admin-demo-token', method: 'POST', body: JSON.stringify({ available: true }) });
  assert.equal(r.status, 403);
});
