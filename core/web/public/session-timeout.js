// Warns before the session ends for inactivity (GOV.UK's timeout-warning pattern, with a
// countdown) and, if nothing is done, goes to sign in with the "session ended" notice. Any
// page load or htmx request counts as activity, as it does on the server (the session
// renews on use); so does typing, which asks the server to renew through
// POST /session/refresh, at most once a minute, so a long note is not lost to the timeout.
// Notes being written are also kept as drafts in sessionStorage (drafts.js).
import { flushDrafts } from "./drafts.js";

const banner = () => document.getElementById("session-warning");
const countdown = () => document.getElementById("session-countdown");

function ended() {
  flushDrafts();
  const next = encodeURIComponent(location.pathname + location.search);
  location.assign(`/sign-in?next=${next}&expired=1`);
}

function words(seconds) {
  if (seconds >= 60) {
    const minutes = Math.ceil(seconds / 60);
    return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  }
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
}

let warnTimer = null;
let endTimer = null;
let tick = null;
let endsAt = 0;

function showCountdown() {
  const left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
  const box = countdown();
  if (box) box.textContent = words(left);
  // The banner is an alert: a screen reader hears the time every 15 seconds, not each tick.
  const spoken = document.getElementById("session-countdown-spoken");
  const said = words(left >= 60 ? left : Math.ceil(left / 15) * 15);
  if (spoken && spoken.textContent !== said) spoken.textContent = said;
}

function start(idleSeconds, warnSeconds) {
  clearTimeout(warnTimer);
  clearTimeout(endTimer);
  clearInterval(tick);
  if (banner()) banner().hidden = true;
  endsAt = Date.now() + idleSeconds * 1000;
  warnTimer = setTimeout(() => {
    const box = banner();
    if (!box) return;
    showCountdown();
    box.hidden = false;
    box.focus();
    tick = setInterval(showCountdown, 1000);
  }, Math.max(idleSeconds - warnSeconds, 0) * 1000);
  endTimer = setTimeout(ended, idleSeconds * 1000);
}

function csrfToken() {
  // The pages carry the token for htmx on <body hx-headers>; the CSRF cookie is HttpOnly.
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["x-csrftoken"] || "";
  } catch {
    return "";
  }
}

async function refresh() {
  const response = await fetch("/session/refresh", {
    method: "POST",
    credentials: "same-origin",
    headers: { "x-csrftoken": csrfToken(), accept: "application/json" },
  });
  if (!response.ok) return null;
  return (await response.json()).idle_seconds;
}

async function stay(idleSeconds, warnSeconds) {
  const renewed = await refresh().catch(() => null);
  if (renewed) start(renewed, warnSeconds);
  else ended();
}

// Typing renews the session, debounced: the first keystroke after a quiet spell asks the
// server (after a short pause, so a burst is one request), then no more than once a gap.
function watchTyping(idleSeconds, warnSeconds, gapSeconds) {
  let lastRenewed = Date.now();
  let pending = null;
  const onActivity = () => {
    if (pending || Date.now() - lastRenewed < gapSeconds * 1000) return;
    pending = setTimeout(async () => {
      const renewed = await refresh().catch(() => null);
      pending = null;
      if (renewed) {
        lastRenewed = Date.now();
        start(renewed, warnSeconds);
      }
    }, 1000);
  };
  document.addEventListener("input", onActivity);
  document.addEventListener("htmx:afterRequest", () => {
    lastRenewed = Date.now();
  });
}

const idle = Number(document.body.dataset.idleSeconds || 0);
if (idle > 0) {
  const warn = Math.min(120, Math.floor(idle / 4));
  start(idle, warn);
  watchTyping(idle, warn, Math.min(60, Math.max(1, Math.floor(idle / 10))));
  document.body.addEventListener("htmx:afterRequest", () => start(idle, warn));
  document.addEventListener("click", (event) => {
    if (event.target.closest("#session-stay")) stay(idle, warn);
  });
}

// For the browser tests: run the same timers with short durations.
window.throughcareSession = { start, watchTyping };
