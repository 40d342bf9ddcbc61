// Adds a "Show" button after every password field, which switches the
// field between hidden and plain text. Without this script the fields
// work as usual; the button exists only where the script runs.
"use strict";
document.querySelectorAll('input[type="password"]').forEach(function (input) {
  var button = document.createElement("button");
  button.type = "button";
  button.className = "reveal";
  button.textContent = "Show";
  button.setAttribute("aria-controls", input.id);
  button.setAttribute("aria-pressed", "false");
  button.setAttribute("aria-label", "Show password");
  button.addEventListener("click", function () {
    var shown = input.type === "text";
    input.type = shown ? "password" : "text";
    button.textContent = shown ? "Show" : "Hide";
    button.setAttribute("aria-pressed", shown ? "false" : "true");
    button.setAttribute("aria-label", shown ? "Show password" : "Hide password");
    input.focus();
  });
  // Hidden again before the form is sent, so the browser's password
  // manager sees a password field.
  if (input.form) {
    input.form.addEventListener("submit", function () { input.type = "password"; });
  }
  var wrap = document.createElement("span");
  wrap.className = "password-field";
  input.parentNode.insertBefore(wrap, input);
  wrap.appendChild(input);
  wrap.appendChild(button);
});
