// axe-core on a whole page, with the WCAG tags every browser test checks.
// The page's context must use bypassCSP so the script can be injected.
import { createRequire } from 'node:module';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** The violations, one readable string each (rule, impact, help and the failing nodes). */
export async function axeViolations(page) {
  await page.addScriptTag({ path: axePath });
  return page.evaluate(async (tags) => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary}`).join('\n')}`);
  }, AXE_TAGS);
}
