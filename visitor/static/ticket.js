// The visitor's live ticket page (/t/<token>): status, people ahead and estimated wait over /ticket;
// when called, the counter in large type, a vibration and the chime. Phones sleep and drop sockets:
// Socket.IO reconnects by itself (and the server sends the ticket again on every connect), and
// coming back to the tab re-reads the ticket over HTTP at once.

import { io } from "/static/vendor/socket.io/socket.io.esm.min.js";

const data = JSON.parse(document.getElementById("ticket-data").textContent);
const S = data.strings;
const $ = (id) => document.getElementById(id);
const root = $("ticket");
let current = data.ticket;
const chime = new Audio("/display/audio/chime.mp3");
chime.preload = "auto";
window.__ticketLog = []; // what the page did, for tests: "vibrate", "chime", "chime-blocked"

const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => values[k]);
const timeFmt = new Intl.DateTimeFormat(data.lang === "en" ? "en-GB" : "id-ID", {
  timeZone: data.timezone, hour: "2-digit", minute: "2-digit", hour12: false,
});

function render(t) {
  root.dataset.status = t.status;
  $("tk-number").textContent = t.number;
  if (t.service_name) $("tk-service").textContent = t.service_name;
  $("tk-status").textContent = S["status_" + t.status] || t.status;
  const waiting = t.status === "waiting";
  const atCounter = (t.status === "called" || t.status === "serving") && t.counter;
  $("tk-wait").hidden = !waiting;
  $("tk-call").hidden = !atCounter;
  if (waiting) {
    $("tk-ahead").textContent = t.ahead === 0 ? S.ahead_none : fill(t.ahead === 1 ? S.ahead_one : S.ahead_other, { n: t.ahead });
    const sec = t.estimated_wait_seconds;
    $("tk-eta").textContent = sec === null || sec === undefined ? "" : sec < 60 ? S.eta_soon : fill(S.eta, { n: Math.round(sec / 60) });
  }
  if (atCounter) {
    $("tk-call-go").textContent = t.status === "serving" ? S.serving_at : S.go_to;
    $("tk-counter").textContent = t.counter.name;
  }
  const ended = ["done", "no_show", "cancelled"].includes(t.status);
  $("tk-end").hidden = !ended;
  $("tk-end").textContent = t.status === "done" ? S.thanks : ended ? S.missed : "";
  if (t.issued_at) $("tk-issued").textContent = fill(S.issued, { t: timeFmt.format(new Date(t.issued_at)) });
}

function alertVisitor() {
  if (navigator.vibrate) {
    navigator.vibrate([400, 200, 400, 200, 600]);
    window.__ticketLog.push("vibrate");
  }
  chime.currentTime = 0;
  chime.play().then(
    () => window.__ticketLog.push("chime"),
    () => window.__ticketLog.push("chime-blocked"),
  );
}

function update(t) {
  const before = current;
  current = { ...current, ...t };
  // a new call, or a recall (last call time moves) while the page is open: alert
  const newlyCalled = t.status === "called" && (before.status !== "called" || t.called_at !== before.called_at);
  render(current);
  if (newlyCalled) alertVisitor();
}

$("tk-sound").addEventListener("click", () => {
  // a tap lets the page play sound later; play the chime quietly once to unlock it
  chime.volume = 0.01;
  chime.play().catch(() => {}).finally(() => {
    chime.pause();
    chime.volume = 1;
  });
  if (navigator.vibrate) navigator.vibrate(50);
  $("tk-sound").textContent = S.sound_on;
  $("tk-sound").classList.add("on");
});

const socket = io("/ticket", {
  auth: { token: data.token },
  transports: ["websocket", "polling"],
  tryAllTransports: true,
  reconnectionDelayMax: 5000,
});
function setLive(live) {
  root.dataset.state = live ? "live" : "offline";
  $("tk-live").textContent = live ? S.live : S.offline;
}
socket.on("connect", () => setLive(true));
socket.on("disconnect", () => setLive(false));
socket.on("connect_error", (err) => {
  setLive(false);
  if (err && err.message === "unknown ticket") location.reload(); // the server shows the friendly 404
});
socket.on("ticket", update);

async function resync() {
  try {
    const r = await fetch(`/api/tickets/${encodeURIComponent(data.token)}`, { cache: "no-store" });
    if (r.ok) update(await r.json());
  } catch {
    /* offline: the socket catches up when it reconnects */
  }
  if (!socket.connected) socket.connect();
}
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") resync();
});
window.addEventListener("pageshow", (e) => {
  if (e.persisted) resync(); // restored from the back/forward cache
});
render(current);
