// Warns before the session ends for inactivity (GOV.UK's timeout-warning pattern) and,
// if nothing is done, goes to sign in with the "session ended" notice. Any page load or
// htmx request counts as activity, as it does on the server (the session renews on use).
const banner = () => document.getElementById("session-warning");

function ended() {
  const next = encodeURIComponent(location.pathname + location.search);
  location.assign(`/sign-in?next=${next}&expired=1`);
}

let warnTimer = null;
let endTimer = null;

function start(idleSeconds, warnSeconds) {
  clearTimeout(warnTimer);
  clearTimeout(endTimer);
  if (banner()) banner().hidden = true;
  warnTimer = setTimeout(() => {
    const box = banner();
    if (!box) return;
    box.hidden = false;
    box.focus();
  }, Math.max(idleSeconds - warnSeconds, 0) * 1000);
  endTimer = setTimeout(ended, idleSeconds * 1000);
}

async function stay(idleSeconds, warnSeconds) {
  const response = await fetch("/keep-alive", { credentials: "same-origin" });
  if (response.ok) start(idleSeconds, warnSeconds);
  else ended();
}

const idle = Number(document.body.dataset.idleSeconds || 0);
if (idle > 0) {
  const warn = Math.min(120, Math.floor(idle / 4));
  start(idle, warn);
  document.body.addEventListener("htmx:afterRequest", () => start(idle, warn));
  document.addEventListener("click", (event) => {
    if (event.target.closest("#session-stay")) stay(idle, warn);
  });
}

// For the browser tests: run the same timers with short durations.
window.throughcareSession = { start };
