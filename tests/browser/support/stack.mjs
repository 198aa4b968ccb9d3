// A private Balie stack for one browser test file: redis-server and balied in a
// temporary folder, plus the seeding tool and a Chromium page factory.
//
// Synchronisation is on output only: Redis says "ready to accept connections",
// balied logs `http.listening` (with its port) and `redis.ready`. No fixed
// ports (Redis listens on a unix socket only, balied on port 0) and no sleeps.
// Everything started here is stopped by pid in stop().

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

const need = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set; run the browser tests through tests/browser/run`);
  return v;
};

export const sourceDir = () => need('BALIE_SOURCE_DIR');

// Start-up bound: Redis and balied need well under a second here; 30 s
// leaves room for a loaded CI machine without hanging forever.
const START_TIMEOUT_MS = 30000;
// Stop bound: balied drains for at most its shutdown deadline (10 s).
const STOP_TIMEOUT_MS = 15000;

/** A child process whose output lines can be awaited. */
class Child {
  constructor(name, command, args, options = {}) {
    this.name = name;
    this.lines = [];
    this.waiters = [];
    this.proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    this.proc.on('error', (err) => this.onLine(`spawn error: ${err.message}`));
    for (const stream of [this.proc.stdout, this.proc.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => this.onLine(line));
    }
  }

  onLine(line) {
    this.lines.push(line);
    this.waiters = this.waiters.filter((w) => !w.test(line) || (w.resolve(line), false));
  }

  /** Resolves with the first line (already seen or later) that passes test. */
  waitForLine(test, what) {
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no ${what} within ${START_TIMEOUT_MS} ms\n${this.tail()}`)), START_TIMEOUT_MS);
      const waiter = { test, resolve: (l) => { clearTimeout(timer); resolve(l); } };
      this.waiters.push(waiter);
      this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code ?? signal}) before ${what}\n${this.tail()}`));
      });
    });
  }

  tail() {
    return this.lines.slice(-30).join('\n');
  }

  async stop() {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

const jsonEvent = (name) => (line) => {
  try {
    return JSON.parse(line).event === name;
  } catch {
    return false;
  }
};

/** Merges override into base: objects key by key, everything else replaced. */
export function mergeConfig(base, override) {
  if (override === undefined) return base;
  if (!override || typeof override !== 'object' || Array.isArray(override) || !base || typeof base !== 'object' || Array.isArray(base)) {
    return override;
  }
  const out = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = mergeConfig(base[k], v);
  return out;
}

/**
 * Starts Redis and balied; returns {baseUrl, seed(), delivery(), newPage(), stop()}.
 * Options: config — merged into the generated balied config (e.g. to switch a
 * channel on); without options the config is exactly as before.
 */
export async function startStack(options = {}) {
  const root = sourceDir();
  const balied = need('BALIED_PATH');
  const seedTool = need('BALIE_SEED_PATH');
  const dir = await mkdtemp(path.join(tmpdir(), 'balie-browser-'));
  const socket = path.join(dir, 'redis.sock');
  const children = [];
  let browser = null;

  const stop = async () => {
    if (browser) await browser.close().catch(() => {});
    // balied first (it drains into Redis), then Redis.
    for (const child of children.reverse()) await child.stop();
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const redis = new Child('redis-server', 'redis-server', [
      '--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', dir,
      '--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction', '--save', '',
    ]);
    children.push(redis);
    await redis.waitForLine((l) => l.includes('ready to accept connections'), '"ready to accept connections"');

    // Same shape as tests/support/balied_process.cpp base_config, plus the web root.
    const config = mergeConfig({
      data_dir: path.join(dir, 'data'),
      threads: 2,
      shutdown_deadline_ms: 10000,
      log: { level: 'info' },
      http: { address: '127.0.0.1', port: 0, max_body_bytes: 5 * 1024 * 1024, read_timeout_ms: 5000 },
      redis: { unix_socket: socket, command_timeout_ms: 2000, reconnect_min_ms: 20, reconnect_max_ms: 200 },
      auth: { tokens_file: path.join(root, 'config', 'dev-tokens.json') },
      texts: { dir: path.join(root, 'config', 'texts') },
      inboxes: [
        { id: 'algemeen', name: 'Algemeen' },
        { id: 'telefoon', name: 'Telefoon' },
        { id: 'vergunningen', name: 'Vergunningen' },
      ],
      routing: { default_inbox: 'algemeen', channels: { phone: 'telefoon' } },
      channels: { phone: { enabled: true, spool_dir: 'spool/phone', spool_poll_ms: 50 } },
      web: { root: path.join(root, 'web') },
    }, options.config);
    const configFile = path.join(dir, 'balied.json');
    await writeFile(configFile, JSON.stringify(config, null, 2));

    const daemon = new Child('balied', balied, ['--config', configFile]);
    children.push(daemon);
    const listening = await daemon.waitForLine(jsonEvent('http.listening'), 'http.listening event');
    const port = Number(JSON.parse(listening).port);
    if (!Number.isInteger(port) || port <= 0) throw new Error(`balied logged no usable port: ${listening}`);
    await daemon.waitForLine(jsonEvent('redis.ready'), 'redis.ready event');

    const baseUrl = `http://127.0.0.1:${port}`;

    /** Runs the seeding tool with one JSON object per line; returns its answers. */
    const runSeed = (objects) => new Promise((resolve, reject) => {
      const proc = spawn(seedTool, ['--redis-socket', socket], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      proc.stdout.on('data', (d) => { out += d; });
      proc.stderr.on('data', (d) => { err += d; });
      proc.on('error', reject);
      proc.on('exit', (code) => {
        if (code !== 0) return reject(new Error(`balie_seed exited ${code}: ${err}`));
        const answers = out.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
        if (answers.length !== objects.length) {
          return reject(new Error(`balie_seed answered ${answers.length} lines for ${objects.length}: ${out}${err}`));
        }
        resolve(answers);
      });
      proc.stdin.end(objects.map((o) => `${JSON.stringify(o)}\n`).join(''));
    });

    const launch = async () => {
      browser ??= await chromium.launch({
        executablePath: process.env.BALIE_CHROMIUM || '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
          '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      return browser;
    };

    return {
      baseUrl,
      dir,
      balied: daemon,
      /** Enqueues inbound case-messages; returns [{case_id, message_id, reference}]. */
      seed: (messages) => runSeed(messages),
      /** Records a delivery status update as a channel sender would. */
      delivery: async (update) => {
        const [answer] = await runSeed([{ delivery: update }]);
        if (!answer.ok) throw new Error(`delivery update refused: ${JSON.stringify(answer)}`);
        return answer;
      },
      /** A fresh browser context (own storage) and page. */
      newPage: async (contextOptions = {}) => {
        const context = await (await launch()).newContext({ baseURL: baseUrl, ...contextOptions });
        const page = await context.newPage();
        return { context, page };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
