// Mail into balied the way an MTA delivers it: LMTP (RFC 2033) over TCP to
// the listener balied opens when channels.email.lmtp is configured (port 0:
// any free port, logged as `lmtp.listening`). One command at a time, each
// reply awaited, so a refusal names the step that failed.

import net from 'node:net';

// balied answers within milliseconds; storing a mail touches disk and Redis.
const REPLY_TIMEOUT_MS = 15000;

/** The email channel config for startStack({config}): info@gemeente.test lands in Algemeen. */
export const emailConfig = {
  channels: {
    email: { enabled: true, domain: 'gemeente.test', addresses: { 'info@gemeente.test': 'algemeen' }, lmtp: { port: 0 } },
  },
};

/** The port balied's LMTP listener logged. */
export async function lmtpPort(stack) {
  const line = await stack.balied.waitForLine((l) => {
    try { return JSON.parse(l).event === 'lmtp.listening'; } catch { return false; }
  }, 'lmtp.listening event');
  const port = Number(JSON.parse(line).port);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`balied logged no usable LMTP port: ${line}`);
  return port;
}

/** A mail's lines joined with CRLF, as SMTP and LMTP carry them. */
export const crlf = (lines) => `${lines.join('\r\n')}\r\n`;

/**
 * Delivers one mail (raw bytes with CRLF line ends) to one recipient; resolves
 * with the reply to the data ("250 2.0.0 <rcpt> Stored as BL-…"), rejects on
 * any other reply.
 */
export function deliverMail(port, { from, to, data }) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let buffer = '';
    let waiting = null;
    const fail = (err) => { socket.destroy(); reject(err); };
    socket.setTimeout(REPLY_TIMEOUT_MS, () => fail(new Error(`LMTP: no reply within ${REPLY_TIMEOUT_MS} ms`)));
    socket.on('error', fail);
    // Hands the next complete reply to the step waiting for it.
    const drain = () => {
      // A reply ends with a line "ddd text" (continuation lines are "ddd-text").
      const end = buffer.match(/(?:^|\r\n)\d{3} [^\r\n]*\r\n/);
      if (!end || !waiting) return;
      const reply = buffer.slice(0, end.index + end[0].length);
      buffer = buffer.slice(reply.length);
      const w = waiting;
      waiting = null;
      w(reply.trimEnd());
    };
    socket.on('data', (chunk) => { buffer += chunk.toString('latin1'); drain(); });
    const step = (what, bytes, expect) => new Promise((ok) => {
      waiting = (reply) => {
        if (!reply.split('\r\n').at(-1).startsWith(expect)) return fail(new Error(`LMTP ${what}: ${reply}`));
        ok(reply);
      };
      if (bytes !== null) socket.write(bytes);
      drain();
    });
    (async () => {
      await step('greeting', null, '220');
      await step('LHLO', 'LHLO mx.burger.test\r\n', '250');
      await step('MAIL FROM', `MAIL FROM:<${from}>\r\n`, '250');
      await step('RCPT TO', `RCPT TO:<${to}>\r\n`, '250');
      await step('DATA', 'DATA\r\n', '354');
      // Dot-stuffing: a line that starts with "." gets another one.
      const body = Buffer.from(data).toString('latin1').replace(/(^|\r\n)\./g, '$1..');
      const stored = await step('end of data', Buffer.from(`${body}.\r\n`, 'latin1'), '250');
      await step('QUIT', 'QUIT\r\n', '221');
      socket.end();
      resolve(stored);
    })().catch(fail);
  });
}
