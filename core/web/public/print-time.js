// A page can be printed long after it was loaded: just before printing, the "Printed by ...
// on ..." line is moved on by the time the page has been open. It counts from the server's
// time (the partnership clock, which a demo can move), never the device's own clock, and is
// written in UK time the way the server writes it ("4 December 2026 at 1:08pm").

const line = document.querySelector(".app-printed-by[data-printed-at]");

const format = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/London",
  day: "numeric",
  month: "long",
  year: "numeric",
  hour: "numeric",
  minute: "2-digit",
  hour12: true,
});

function ukDateTime(moment) {
  const part = {};
  for (const { type, value } of format.formatToParts(moment)) part[type] = value;
  const period = (part.dayPeriod || "").toLowerCase().replace(/\./g, "");
  return `${part.day} ${part.month} ${part.year} at ${part.hour}:${part.minute}${period}`;
}

if (line) {
  const served = Date.parse(line.dataset.printedAt);
  const loaded = performance.now();
  const time = line.querySelector("time");
  const refresh = () => {
    if (Number.isNaN(served) || !time) return;
    const now = new Date(served + (performance.now() - loaded));
    time.textContent = ukDateTime(now);
    time.dateTime = now.toISOString();
  };
  window.addEventListener("beforeprint", refresh);
  // Emulated print media (and some browsers' print preview) change the media query instead.
  window.matchMedia("print").addEventListener("change", (event) => {
    if (event.matches) refresh();
  });
}
