// The harness's own parsing, without a browser or a server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contrastRatio, parseColor } from '../lib/contrast.js';
import { decodeQuotedPrintable, parseMail } from '../lib/mail.js';

test('quoted-printable links are joined across soft line breaks and unescaped', () => {
  const body = 'Open http://127.0.0.1:4000/auth/confirm/abc=\r\ndef?x=3D1 now. Caf=C3=A9\r\n'.replace(/\r\n/g, '\n');
  assert.equal(decodeQuotedPrintable(body), 'Open http://127.0.0.1:4000/auth/confirm/abcdef?x=1 now. Café\n');
});

test('a multipart message gives its plain text first, each part decoded by its own encoding', () => {
  const raw = [
    'To: ana@example.com',
    'Content-Type: multipart/alternative;',
    ' boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('<a href="http://h/x">x</a>').toString('base64'),
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Link: http://h/a=',
    'b',
    '--b1--',
    '',
  ].join('\r\n');
  const mail = parseMail(raw);
  assert.equal(mail.headers.to, 'ana@example.com');
  assert.deepEqual(mail.texts, ['Link: http://h/ab', '<a href="http://h/x">x</a>']);
});

test('a single-part message in 7bit is read as it is', () => {
  const mail = parseMail('To: bob@example.com\r\nContent-Type: text/plain\r\n\r\nhttp://h/link\r\n');
  assert.deepEqual(mail.texts, ['http://h/link\n']);
});

test('contrast ratios follow WCAG 2', () => {
  assert.equal(contrastRatio([0, 0, 0], [255, 255, 255]), 21);
  assert.equal(contrastRatio([255, 255, 255], [255, 255, 255]), 1);
  assert.ok(Math.abs(contrastRatio(parseColor('rgb(118, 118, 118)'), parseColor('rgb(255, 255, 255)')) - 4.54) < 0.01);
  assert.deepEqual(parseColor('rgba(1, 2, 3, 0.5)'), [1, 2, 3, 0.5]);
});
