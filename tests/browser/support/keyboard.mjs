// Keyboard-only helpers for the page tests: reach a control with Tab alone,
// and read which element has focus.

/** Far more Tab presses than a page has controls before any target. */
const MAX_TABS = 80;

/** Presses Tab until the focused element matches, and returns its description. */
export async function tabTo(page, describe, matches) {
  for (let i = 0; i < MAX_TABS; i += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const a = document.activeElement;
      return { id: a?.id || '', tag: a?.tagName || '', text: (a?.textContent || '').trim() };
    });
    if (matches(focused)) return focused;
  }
  throw new Error(`could not reach ${describe} with ${MAX_TABS} Tab presses`);
}

/** The id of the focused element ('' when it has none). */
export const focusedId = (page) => page.evaluate(() => document.activeElement?.id || '');

/** Signs in with the keyboard alone: Tab to the token field, type the token, Enter. */
export async function signInByKeyboard(page, token) {
  await tabTo(page, 'the token field', (f) => f.id === 'token');
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
}
