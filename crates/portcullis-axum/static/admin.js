// The administration pages' script. Without it every form still works: the
// same forms post normally, and the server asks for confirmation where it
// must (deleting a role that has members).
//
// - A form with data-confirm asks first; with data-confirmed-field it then
//   sets that field to "yes", so the server does not ask again.
// - A form with data-row-action updates its table row in place: the server
//   answers with the new row, whose data-notice is announced above the table.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.dataset.confirm;
  if (question !== undefined) {
    if (!window.confirm(question)) {
      event.preventDefault();
      return;
    }
    const field = form.dataset.confirmedField && form.elements.namedItem(form.dataset.confirmedField);
    if (field) field.value = "yes";
  }
  if (!form.matches("form[data-row-action]")) return;
  event.preventDefault();
  const row = form.closest("tr");
  try {
    const response = await fetch(form.action, {
      method: "POST",
      headers: { "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(response.status);
    const template = document.createElement("template");
    template.innerHTML = (await response.text()).trim();
    const fresh = template.content.querySelector("tr");
    if (!fresh) throw new Error("no row");
    row.replaceWith(fresh);
    if (window.portcullisTimes) window.portcullisTimes(fresh);
    announce(fresh.dataset.notice);
    delete fresh.dataset.notice;
  } catch (_) {
    // The page way: post the form again without the script, which answers
    // with the whole page and its message.
    delete form.dataset.confirm;
    HTMLFormElement.prototype.submit.call(form);
  }
});

function announce(message) {
  const notice = document.querySelector(".notice");
  if (!notice || !message) return;
  notice.textContent = message;
  notice.hidden = false;
}
