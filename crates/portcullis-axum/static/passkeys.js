// Passkeys in the browser: the pages' only use of navigator.credentials.
// The server sends WebAuthn options in their JSON encoding (binary fields
// as base64url) and takes the answer the same way; this script converts
// between that and the ArrayBuffers the browser API wants, and nothing else.
//
// - form#passkey-register: registers a passkey (account page).
// - button[data-passkey-login]: signs in without a username (login page);
//   where the browser offers passkeys in the username field's autofill
//   (conditional mediation), the page asks for that too.
// - button[data-passkey-second-factor]: the second step of a login.
// Each shows what went wrong in the [data-passkey-status] next to it, and
// says so plainly when the browser has no passkey support.
(() => {
  "use strict";

  const supported = typeof window.PublicKeyCredential === "function" && !!navigator.credentials;

  const toBytes = (b64url) => {
    const b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(b64 + "===".slice((b64.length + 3) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0)).buffer;
  };
  const toB64url = (buffer) => {
    let raw = "";
    for (const byte of new Uint8Array(buffer)) raw += String.fromCharCode(byte);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const withIds = (list) => (list || []).map((c) => ({ ...c, id: toBytes(c.id) }));

  const creationOptions = (o) => ({
    ...o,
    challenge: toBytes(o.challenge),
    user: { ...o.user, id: toBytes(o.user.id) },
    excludeCredentials: withIds(o.excludeCredentials),
  });
  const requestOptions = (o) => ({
    ...o,
    challenge: toBytes(o.challenge),
    allowCredentials: withIds(o.allowCredentials),
  });

  // PublicKeyCredential.toJSON() where the browser has it; the same by hand.
  const answer = (credential) => {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    const r = credential.response;
    const response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      if (typeof r.getTransports === "function") response.transports = r.getTransports();
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      if (r.userHandle) response.userHandle = toB64url(r.userHandle);
    }
    return {
      id: credential.id,
      rawId: toB64url(credential.rawId),
      type: credential.type,
      response,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
    };
  };

  const post = async (path, csrf, body) => {
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (csrf) headers["X-CSRF-Token"] = csrf;
    const response = await fetch(path, {
      method: "POST",
      headers,
      credentials: "same-origin",
      body: JSON.stringify(body || {}),
    });
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
    if (!response.ok) {
      const error = new Error((json && json.error && json.error.message) || "The server refused the passkey.");
      error.code = json && json.error && json.error.code;
      throw error;
    }
    return json;
  };

  // What a refused or cancelled browser prompt means, in words.
  const explain = (error) => {
    if (error && error.name === "NotAllowedError") return "The passkey prompt was closed or timed out. Try again when you are ready.";
    if (error && error.name === "InvalidStateError") return "This device holds a passkey for your account already.";
    if (error && error.name === "SecurityError") return "This browser refused passkeys for this address.";
    return (error && error.message) || "Something went wrong with the passkey.";
  };

  const statusOf = (element) => {
    const scope = element.closest("form, .passkey") || document;
    return scope.querySelector("[data-passkey-status]");
  };
  const show = (element, message) => {
    const status = statusOf(element);
    if (!status) return;
    status.textContent = message;
    status.hidden = !message;
  };
  const unsupported = "This browser does not support passkeys. Use a current browser, or sign in another way.";

  const goTo = (next) => {
    const target = next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
    window.location.assign(target);
  };

  // Registering, on the account page.
  const register = document.getElementById("passkey-register");
  if (register) {
    if (!supported) {
      register.querySelector("button[type=submit]").disabled = true;
      show(register, unsupported);
    }
    register.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!supported) return;
      const csrf = register.dataset.csrf;
      const name = register.elements.namedItem("name").value.trim();
      show(register, "");
      try {
        const begun = await post("/api/passkeys/register/begin", csrf);
        const credential = await navigator.credentials.create({ publicKey: creationOptions(begun.publicKey) });
        await post("/api/passkeys/register/finish", csrf, { name, credential: answer(credential) });
        window.location.assign("/account/passkeys?added=1");
      } catch (error) {
        if (error.code === "reauthentication_required") {
          window.location.assign("/auth/reauthenticate?next=%2Faccount%2Fpasskeys");
          return;
        }
        show(register, explain(error));
      }
    });
  }

  // Signing in without a username, on the login page.
  const login = document.querySelector("button[data-passkey-login]");
  let autofill = null;
  const remembered = () => {
    const box = document.querySelector("input[name=remember]");
    return !!(box && box.checked);
  };
  const signIn = async (mediation, signal) => {
    const begun = await post("/api/login/passkey/begin");
    const options = { publicKey: requestOptions(begun.publicKey) };
    if (mediation) options.mediation = mediation;
    if (signal) options.signal = signal;
    const credential = await navigator.credentials.get(options);
    await post("/api/login/passkey/finish", null, { credential: answer(credential), remember: remembered() });
    goTo(login.dataset.next);
  };
  if (login) {
    if (!supported) {
      login.disabled = true;
      show(login, unsupported);
    } else {
      login.addEventListener("click", async () => {
        if (autofill) autofill.abort();
        show(login, "");
        try {
          await signIn(null, null);
        } catch (error) {
          show(login, explain(error));
        }
      });
      const offerAutofill = window.PublicKeyCredential.isConditionalMediationAvailable;
      if (typeof offerAutofill === "function" && document.querySelector("input[autocomplete~=webauthn]")) {
        offerAutofill.call(window.PublicKeyCredential).then((available) => {
          if (!available) return;
          autofill = new AbortController();
          // Nobody asked for this one: its failures (a dismissed autofill,
          // a page reached by another address) are not shown as errors.
          signIn("conditional", autofill.signal).catch(() => {});
        });
      }
    }
  }

  // The second step of a login.
  const second = document.querySelector("button[data-passkey-second-factor]");
  if (second) {
    if (!supported) {
      second.disabled = true;
      show(second, unsupported);
    } else {
      second.addEventListener("click", async () => {
        const csrf = second.dataset.csrf;
        show(second, "");
        try {
          const begun = await post("/api/login/2fa/passkey/begin", csrf);
          const credential = await navigator.credentials.get({ publicKey: requestOptions(begun.publicKey) });
          await post("/api/login/2fa/passkey/finish", csrf, { credential: answer(credential) });
          goTo(second.dataset.next);
        } catch (error) {
          if (error.code === "login_again") {
            window.location.assign("/auth/login");
            return;
          }
          show(second, explain(error));
        }
      });
    }
  }
})();
