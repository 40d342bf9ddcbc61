// One Portcullis server for a test file: the binary named by PORTCULLIS_BIN
// (default target/debug/portcullis; this suite builds nothing), started in a
// fresh temporary directory so its SQLite database, dev secret and mail
// outbox land there, on a free port, and killed at the end.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Outbox } from './mail.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const STARTUP_TIMEOUT_MS = 30_000;

export const ADMIN = Object.freeze({
  username: 'root-admin',
  email: 'root-admin@example.com',
  password: 'Tall-ladder-Quiet-harbour-81',
});

function binary() {
  const bin = path.resolve(repoRoot, process.env.PORTCULLIS_BIN ?? 'target/debug/portcullis');
  if (!existsSync(bin)) {
    throw new Error(`no server binary at ${bin}: run \`cargo build -p portcullis\` or set PORTCULLIS_BIN`);
  }
  return bin;
}

// The server reads every PORTCULLIS_ variable as configuration, so the
// suite's own environment (PORTCULLIS_BIN, a developer's settings) is kept
// away from it: the servers here are configured by this file alone.
function serverEnv(extra) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('PORTCULLIS_')),
  );
  return { ...env, NO_COLOR: '1', PORTCULLIS_LISTEN: '127.0.0.1:0', ...extra };
}

export class Server {
  constructor({ bin, dir, env, child, url }) {
    Object.assign(this, { bin, dir, env, child, url });
    this.outbox = new Outbox(path.join(dir, 'outbox'));
  }

  /** Starts a server and waits until `/healthz` answers. */
  static async start(extraEnv = {}) {
    const bin = binary();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-e2e-'));
    const env = serverEnv(extraEnv);
    const child = spawn(bin, ['serve'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new Server({ bin, dir, env, child, url: null });
    server.log = '';
    // Should the test process end without `stop` (a crash), so does the server.
    server.killOnExit = () => child.kill('SIGKILL');
    process.on('exit', server.killOnExit);
    try {
      server.url = await server.#listeningUrl();
      await server.#healthy();
    } catch (err) {
      await server.stop();
      throw new Error(`${err.message}\n--- server log ---\n${server.log}`);
    }
    return server;
  }

  #listeningUrl() {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the server did not say where it listens')), STARTUP_TIMEOUT_MS);
      const onData = (chunk) => {
        this.log += chunk;
        const found = /listening on (http:\/\/[0-9.]+:\d+)/.exec(this.log);
        if (found) {
          clearTimeout(timer);
          // The server calls loopback localhost (its public URL, the only
          // origin passkeys work from), so the browser goes there too.
          resolve(found[1].replace('//127.0.0.1:', '//localhost:'));
        }
      };
      this.child.stdout.setEncoding('utf8').on('data', onData);
      this.child.stderr.setEncoding('utf8').on('data', onData);
      this.child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the server exited during start-up (code ${code}, signal ${signal})`));
      });
    });
  }

  async #healthy() {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    for (;;) {
      try {
        const response = await fetch(new URL('/healthz', this.url));
        if (response.ok) return;
      } catch {
        // not accepting yet
      }
      if (Date.now() > deadline) throw new Error('/healthz did not answer');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Creates an administrator with the CLI, on this server's database. */
  async createAdmin({ username, email, password } = ADMIN) {
    const child = spawn(this.bin, ['create-admin', '--username', username, '--email', email, '--password-stdin'], {
      cwd: this.dir,
      env: this.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.stdin.end(`${password}\n`);
    const code = await new Promise((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`create-admin failed (exit ${code}):\n${output}`);
    return { username, email, password };
  }

  /** Absolute URL of a path on this server. */
  at(pathname) {
    return new URL(pathname, this.url).href;
  }

  /** Stops the server (SIGTERM, then SIGKILL) and removes its directory. */
  async stop() {
    const { child } = this;
    process.off('exit', this.killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (!process.env.E2E_KEEP_TMP) await rm(this.dir, { recursive: true, force: true });
  }
}
