// Each <time datetime> is shown in the reader's own time zone, with how long
// ago (or how soon) it is; the UTC value stays in its title. Without this
// script the pages show the UTC value.
(() => {
  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  const local = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  const units = [["year", 31536000], ["month", 2592000], ["week", 604800],
                 ["day", 86400], ["hour", 3600], ["minute", 60]];
  const ago = (seconds) => {
    for (const [unit, size] of units) {
      if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
    }
    return relative.format(0, "second");
  };
  const show = (root) => {
    for (const el of root.querySelectorAll("time[datetime]")) {
      const at = new Date(el.getAttribute("datetime"));
      if (Number.isNaN(at.getTime())) continue;
      el.textContent = `${local.format(at)} (${ago((at.getTime() - Date.now()) / 1000)})`;
    }
  };
  window.portcullisTimes = show;
  show(document);
})();
