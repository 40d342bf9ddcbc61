// The development outbox: one `.eml` file per message, named
// `<unix millis>-<random>-<kind>.eml`. Messages go out from a worker, so the
// reader polls for the newest one addressed to someone.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

const MAIL_TIMEOUT_MS = 15_000;

export class Outbox {
  constructor(dir) {
    this.dir = dir;
  }

  async #messages() {
    let names;
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if (err.code === 'ENOENT') return [];
      throw err;
    }
    return names
      .filter((name) => name.endsWith('.eml'))
      .map((name) => ({ name, millis: Number(name.split('-')[0]) }))
      .sort((a, b) => a.millis - b.millis || a.name.localeCompare(b.name));
  }

  /**
   * The newest message to `to` written at or after `since` (a Date.now()
   * taken before the action that sends it), parsed.
   */
  async latest(to, since = 0) {
    const deadline = Date.now() + MAIL_TIMEOUT_MS;
    for (;;) {
      const candidates = (await this.#messages()).filter((m) => m.millis >= since).reverse();
      for (const { name } of candidates) {
        const mail = parseMail(await readFile(path.join(this.dir, name), 'utf8'));
        if (mail.headers.to?.toLowerCase().includes(to.toLowerCase())) return { file: name, ...mail };
      }
      if (Date.now() > deadline) throw new Error(`no mail to ${to} in ${this.dir} within ${MAIL_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The first link in the newest message to `to` that leads to `origin`. */
  async link(to, origin, since = 0) {
    const mail = await this.latest(to, since);
    const links = (mail.texts.join('\n').match(/https?:\/\/[^\s"'<>]+/g) ?? []).map((l) => l.replace(/[.,;:)]+$/, ''));
    const link = links.find((l) => l.startsWith(origin));
    if (!link) throw new Error(`no link to ${origin} in ${mail.file}:\n${mail.texts.join('\n')}`);
    return link;
  }
}

/** Headers (lower-case names, folded lines joined) and the body. */
function splitEntity(raw) {
  const text = raw.replace(/\r\n/g, '\n');
  const end = text.indexOf('\n\n');
  const head = end === -1 ? text : text.slice(0, end);
  const body = end === -1 ? '' : text.slice(end + 2);
  const headers = {};
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

export function decodeQuotedPrintable(body) {
  const bytes = [];
  const chars = Array.from(body.replace(/=\n/g, ''));
  for (let i = 0; i < chars.length; i++) {
    const hex = chars.slice(i + 1, i + 3).join('');
    if (chars[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(chars[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(headers, body) {
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/** Every text part of a message (plain text first), decoded. */
export function parseMail(raw) {
  const { headers, body } = splitEntity(raw);
  const texts = [];
  const walk = (entityHeaders, entityBody) => {
    const type = entityHeaders['content-type'] ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (type.toLowerCase().startsWith('multipart/') && boundary) {
      const parts = entityBody.split(`--${boundary}`).slice(1);
      for (const part of parts) {
        if (part.startsWith('--')) break;
        // The line break before a boundary belongs to the boundary.
        const inner = splitEntity(part.replace(/^\n/, '').replace(/\n$/, ''));
        walk(inner.headers, inner.body);
      }
    } else if (type.toLowerCase().startsWith('text/')) {
      const decoded = decodeBody(entityHeaders, entityBody);
      if (type.toLowerCase().startsWith('text/plain')) texts.unshift(decoded);
      else texts.push(decoded);
    }
  };
  walk(headers, body.replace(/\r\n/g, '\n'));
  return { headers, texts };
}
