// A real OpenID provider (oidc-provider from npm) on loopback for the
// black-box tests. It has no pages: every login and consent completes by
// itself with the user a test set through the control endpoints, so a client
// that only follows redirects and keeps cookies goes through the whole
// authorization code flow.
//
// Configuration: JSON in the environment variable OIDC_TEST_CONFIG:
//   {
//     "port": 0,                       // 0 picks a free port
//     "clients": [{
//       "client_id": "...", "client_secret": "...",
//       "redirect_uris": ["..."], "post_logout_redirect_uris": ["..."],
//       ...                            // any other client metadata, passed on
//     }],
//     "users": [{"sub": "...", ...}],  // optional; the last one logs in first
//     "exit_on_stdin_close": false     // exit when standard input closes
//   }
//
// The first line on standard output is {"issuer": "http://127.0.0.1:PORT",
// "port": PORT}; diagnostics go to standard error.
//
// Control endpoints (JSON):
//   POST /test/user  {"sub", "email", "email_verified", "preferred_username",
//                     "name"}: the user the next authorizations log in (a
//                     request with login_hint=SUB logs in that posted user).
//   POST /test/deny  the next authorization answers error=access_denied.
//   GET  /test/log   the recent token endpoint requests, oldest first.

import * as crypto from 'node:crypto';
import * as http from 'node:http';

import Provider, { interactionPolicy } from 'oidc-provider';

const { Check } = interactionPolicy;

function fail(message) {
  process.stderr.write(`provider.mjs: ${message}\n`);
  process.exit(2);
}

let config;
try {
  config = JSON.parse(process.env.OIDC_TEST_CONFIG ?? '{}');
} catch (err) {
  fail(`OIDC_TEST_CONFIG is not JSON: ${err.message}`);
}
const port = config.port ?? 0;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  fail('"port" must be an integer from 0 to 65535');
}
if (!Array.isArray(config.clients) || config.clients.length === 0) {
  fail('"clients" must list at least one client');
}
for (const client of config.clients) {
  for (const key of ['client_id', 'client_secret']) {
    if (typeof client[key] !== 'string' || client[key] === '') {
      fail(`every client needs a "${key}"`);
    }
  }
  if (!Array.isArray(client.redirect_uris) || client.redirect_uris.length === 0) {
    fail(`client ${client.client_id} needs "redirect_uris"`);
  }
}

const DEFAULT_USER = {
  sub: 'oidc-test-user',
  email: 'oidc.user@example.com',
  email_verified: true,
  preferred_username: 'oidcuser',
  name: 'Oidc Test User',
};
const USER_CLAIMS = ['sub', 'email', 'email_verified', 'preferred_username', 'name'];

// What the control endpoints change.
const users = new Map([[DEFAULT_USER.sub, DEFAULT_USER]]);
let currentSub = DEFAULT_USER.sub;
let denyNext = false;
const tokenLog = [];
const TOKEN_LOG_SIZE = 100;

function addUser(input) {
  if (!input || typeof input.sub !== 'string' || input.sub === '') {
    throw new Error('a user needs a non-empty "sub"');
  }
  const user = {};
  for (const claim of USER_CLAIMS) {
    if (input[claim] !== undefined) {
      user[claim] = input[claim];
    }
  }
  users.set(user.sub, user);
  currentSub = user.sub;
  return user;
}

for (const user of config.users ?? []) {
  try {
    addUser(user);
  } catch (err) {
    fail(`"users": ${err.message}`);
  }
}

// The account an authorization logs in: the posted user named by
// login_hint, else the one set last.
function accountFor(loginHint) {
  if (typeof loginHint === 'string' && users.has(loginHint)) {
    return loginHint;
  }
  return currentSub;
}

// Listen first: the issuer names the port.
const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '127.0.0.1', resolve);
});
const actualPort = server.address().port;
const issuer = `http://127.0.0.1:${actualPort}`;

// A fresh signing key every start.
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: crypto.randomBytes(8).toString('hex'),
  alg: 'RS256',
  use: 'sig',
};

const policy = interactionPolicy.base();
const loginPrompt = policy.get('login');
// Sends the authorization through an interaction, where it is denied.
loginPrompt.checks.add(new Check('test_deny', 'the test denies the next authorization', () => (
  denyNext ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT
)));
// A session of another user than the one the test set logs in again.
loginPrompt.checks.add(new Check('test_user', 'the test set another user', (ctx) => {
  const { oidc } = ctx;
  if (!oidc.session.accountId || oidc.result?.login) {
    return Check.NO_NEED_TO_PROMPT;
  }
  return oidc.session.accountId === accountFor(oidc.params.login_hint)
    ? Check.NO_NEED_TO_PROMPT
    : Check.REQUEST_PROMPT;
}));

const provider = new Provider(issuer, {
  clients: config.clients.map((client) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    post_logout_redirect_uris: [],
    // auth_time in every ID token, not only after prompt=login or max_age.
    require_auth_time: true,
    ...client,
  })),
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'email', 'profile'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  // The scopes' claims go into the ID token itself, as Google's do.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  allowOmittingSingleRegisteredRedirectUri: false,
  responseTypes: ['code'],
  enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
  features: {
    devInteractions: { enabled: false },
    dPoP: { enabled: false },
    revocation: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // Only seen if the automatic confirmation below did not happen.
      async logoutSource(ctx, form) {
        ctx.type = 'html';
        ctx.body = `<!DOCTYPE html><title>Logout</title>${form}`;
      },
      async postLogoutSuccessSource(ctx) {
        ctx.type = 'text';
        ctx.body = 'signed out';
      },
    },
  },
  interactions: {
    policy,
    url: (ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  async findAccount(ctx, sub) {
    const user = users.get(sub);
    if (!user) {
      return undefined;
    }
    return {
      accountId: sub,
      async claims() {
        return { ...user };
      },
    };
  },
  async renderError(ctx, out) {
    ctx.type = 'json';
    ctx.body = out;
  },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 120,
    Grant: 86400,
    IdToken: 3600,
    Interaction: 600,
    RefreshToken: 86400,
    Session: 86400,
  },
});

for (const event of ['server_error', 'authorization.error', 'grant.error', 'end_session.error',
  'userinfo.error', 'revocation.error']) {
  provider.on(event, (ctx, err) => {
    const detail = err?.error_description ? `: ${err.error_description}` : '';
    process.stderr.write(`${event} ${ctx?.method} ${ctx?.path}: ${err?.message ?? err}${detail}\n`);
  });
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) {
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.trim() === '' ? {} : JSON.parse(text);
}

async function controlEndpoint(ctx) {
  const route = `${ctx.method} ${ctx.path}`;
  switch (route) {
    case 'POST /test/user': {
      let body;
      try {
        body = await readJson(ctx.req);
        ctx.body = addUser(body);
      } catch (err) {
        ctx.status = 400;
        ctx.body = { error: err.message };
      }
      return;
    }
    case 'POST /test/deny':
      denyNext = true;
      ctx.status = 204;
      return;
    case 'GET /test/log':
      ctx.body = { token_requests: tokenLog };
      return;
    default:
      ctx.status = 404;
      ctx.body = { error: `no control endpoint ${route}` };
  }
}

// Login and consent without a page: each step answers with a redirect back
// into the authorization.
async function interaction(ctx) {
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params, session } = details;
  let result;
  if (denyNext) {
    denyNext = false;
    result = { error: 'access_denied', error_description: 'the test denied this authorization' };
  } else if (prompt.name === 'login') {
    result = { login: { accountId: accountFor(params.login_hint), amr: ['pwd'] } };
  } else if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) {
      grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    }
    if (missing.missingOIDCClaims) {
      grant.addOIDCClaims(missing.missingOIDCClaims);
    }
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    result = { consent: { grantId: await grant.save() } };
  } else {
    result = { error: 'interaction_required', error_description: `no automatic ${prompt.name}` };
  }
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: true,
  });
  ctx.status = 303;
  ctx.redirect(returnTo);
}

function cookieHeader(ctx) {
  const jar = new Map();
  for (const part of (ctx.get('cookie') || '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) {
      jar.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
  }
  let setCookie = ctx.response.get('set-cookie') || [];
  if (typeof setCookie === 'string') {
    setCookie = [setCookie];
  }
  for (const cookie of setCookie) {
    const [pair] = cookie.split(';');
    const eq = pair.indexOf('=');
    if (eq > 0) {
      jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
}

// Logout without the confirmation page. The provider answers with a form
// for its /session/end/confirm both for RP-initiated logout and when another
// user logs in over an existing session; the form is submitted here on the
// browser's behalf, with its cookies, and the provider's answer (a redirect to
// the post_logout_redirect_uri, or back into the authorization) passed on.
const LOGOUT_CONFIRM = new URL('/session/end/confirm', issuer).href;
async function confirmLogout(ctx) {
  if (typeof ctx.body !== 'string' || !ctx.body.includes(`action="${LOGOUT_CONFIRM}"`)) {
    return;
  }
  const xsrf = ctx.body.match(/name="xsrf" value="([^"]+)"/);
  if (!xsrf) {
    return;
  }
  const answer = await fetch(LOGOUT_CONFIRM, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: cookieHeader(ctx),
    },
    body: new URLSearchParams({ xsrf: xsrf[1], logout: 'yes' }),
  });
  const setCookie = [
    ...[ctx.response.get('set-cookie') || []].flat(),
    ...answer.headers.getSetCookie(),
  ];
  const location = answer.headers.get('location');
  const text = await answer.text();
  ctx.remove('content-type');
  ctx.set('set-cookie', setCookie);
  if (location) {
    ctx.status = answer.status;
    ctx.redirect(location);
  } else {
    ctx.status = answer.status;
    ctx.type = answer.headers.get('content-type') || 'text';
    ctx.body = text;
  }
}

provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/test/')) {
    await controlEndpoint(ctx);
    return;
  }
  if (ctx.method === 'GET' && /^\/interaction\/[^/]+$/.test(ctx.path)) {
    await interaction(ctx);
    return;
  }
  await next();
  if (ctx.method === 'GET' && ctx.status === 200) {
    await confirmLogout(ctx);
  }
  if (ctx.method === 'POST' && ctx.path === '/token') {
    const params = ctx.oidc?.params ?? {};
    const body = typeof ctx.body === 'object' && ctx.body !== null ? ctx.body : {};
    tokenLog.push({
      at: new Date().toISOString(),
      grant_type: params.grant_type,
      client_id: ctx.oidc?.client?.clientId,
      code_verifier: typeof params.code_verifier === 'string',
      status: ctx.status,
      ...(body.error ? { error: body.error, error_description: body.error_description } : {}),
    });
    if (tokenLog.length > TOKEN_LOG_SIZE) {
      tokenLog.shift();
    }
  }
});

server.on('request', provider.callback());

process.stdout.write(`{"issuer": ${JSON.stringify(issuer)}, "port": ${actualPort}}\n`);

if (config.exit_on_stdin_close) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
