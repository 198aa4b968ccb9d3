// Inbound case-messages for the browser tests, shaped by
// config/case-message-1.schema.json. The people are invented: addresses at
// gemeente.test, phone numbers +31 6 0000 00xx. The seeding tool enqueues them
// through Balie's real enqueue path, which assigns the case and reference.

import { randomInt } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const crockford = (n) => Array.from({ length: n }, () => CROCKFORD[randomInt(32)]).join('');

/** A ULID-shaped id (26 Crockford characters; the first one at most 7). */
export const ulid = () => CROCKFORD[randomInt(8)] + crockford(25);

/** RFC 3339 UTC with a trailing Z, as the schema demands. */
export const timestamp = (date = new Date()) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

let counter = 0;

/**
 * One inbound message. Options: channel, inbox, priority, subject, text, name,
 * address (email or phone), attachments ([{filename, content_type, size}]),
 * transcript ([{speaker, text}], for phone calls), language (ISO 639-3), at (Date).
 */
export function inboundMessage(options = {}) {
  counter += 1;
  const channel = options.channel || 'email';
  const at = timestamp(options.at || new Date());
  const address = options.address
    || (channel === 'sms' || channel === 'phone' ? `+316000000${String(counter % 100).padStart(2, '0')}` : `inwoner${counter}@gemeente.test`);
  const kind = channel === 'sms' || channel === 'phone' ? 'phone' : channel === 'webchat' ? 'webchat' : 'email';
  const resident = { addresses: [{ kind, value: address }], language: options.language || 'nld', identity_assurance: 'channel', needs: [] };
  if (options.name !== undefined) resident.name = options.name;
  const message = {
    schema: 'balie.case-message/1',
    id: ulid(),
    case_id: ulid(),
    reference: `BL-${crockford(6)}`,
    direction: 'inbound',
    channel,
    provider: 'balie-browser-test',
    // Unique per message: this is what deduplication keys on.
    provider_message_id: `browser-test-${process.pid}-${Date.now()}-${counter}`,
    occurred_at: at,
    received_at: at,
    resident,
    text: options.text ?? 'Goedemorgen, ik heb een vraag over mijn afvalpas.',
    attachments: (options.attachments || []).map((a) => ({
      filename: a.filename,
      content_type: a.content_type || 'application/pdf',
      size: a.size ?? 1234,
      sha256: 'a'.repeat(64),
      ref: `test/${ulid()}`,
    })),
    routing: { inbox: options.inbox || 'algemeen', priority: options.priority || 'normal', rule: 'browser-test' },
    classification: { confidential: false, possible_bsn: false, retention: 'P1Y' },
    auto_generated: false,
  };
  if (options.subject !== undefined) message.subject = options.subject;
  if (options.transcript) {
    message.transcript = {
      segments: options.transcript.map((t, i) => ({ speaker: t.speaker, start_ms: i * 1000, end_ms: i * 1000 + 900, text: t.text })),
      automatic: true,
      engine: 'browser-test',
    };
  }
  return message;
}

/** Signs in on the page with a token, using the form like a person would. */
export async function signIn(page, token = 'staff-demo-token') {
  await page.goto('/inbox/');
  await page.getByLabel('Toegangscode').fill(token);
  await page.getByRole('button', { name: 'Inloggen' }).click();
  await page.getByRole('heading', { name: /^Zaken in / }).waitFor();
}
