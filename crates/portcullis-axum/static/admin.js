// Row actions in the admin tables update the row in place. Without this
// script the same forms post normally and the page reloads.
document.addEventListener("submit", async (event) => {
  const form = event.target;
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
    row.replaceWith(template.content.firstElementChild);
  } catch (_) {
    form.submit();
  }
});
