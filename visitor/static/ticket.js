// The visitor's live ticket page (/t/<token>): status, people ahead and estimated wait over /ticket;
// when called, the counter in large type, a vibration and the chime. Phones sleep and drop sockets:
// Socket.IO reconnects by itself (and the server sends the ticket again on every connect), and
// coming back to the tab re-reads the ticket over HTTP at once (live.js).

import { $, jsonBlock } from "/static/js/dom.js";
import { getJSON } from "/static/js/http.js";
import { t } from "/static/js/i18n.js";
import { connect } from "/static/js/live.js";
import { clockTime } from "/static/js/time.js";

const data = jsonBlock("ticket-data");
const root = $("ticket");
let current = data.ticket;
const chime = new Audio("/display/audio/chime.mp3");
chime.preload = "auto";
window.__ticketLog = []; // what the page did, for tests: "vibrate", "chime", "chime-blocked"

function render(tk) {
  root.dataset.status = tk.status;
  $("tk-number").textContent = tk.number;
  if (tk.service_name) $("tk-service").textContent = tk.service_name;
  $("tk-status").textContent = t(`status_${tk.status}`);
  const waiting = tk.status === "waiting";
  const atCounter = (tk.status === "called" || tk.status === "serving") && tk.counter;
  $("tk-wait").hidden = !waiting;
  $("tk-call").hidden = !atCounter;
  if (waiting) {
    $("tk-ahead").textContent = tk.ahead === 0 ? t("ahead_none") : t(tk.ahead === 1 ? "ahead_one" : "ahead_other", { n: tk.ahead });
    const sec = tk.estimated_wait_seconds;
    $("tk-eta").textContent = sec === null || sec === undefined ? "" : sec < 60 ? t("eta_soon") : t("eta", { n: Math.round(sec / 60) });
  }
  if (atCounter) {
    $("tk-call-go").textContent = tk.status === "serving" ? t("serving_at") : t("go_to");
    $("tk-counter").textContent = tk.counter.name;
  }
  const ended = ["done", "no_show", "cancelled"].includes(tk.status);
  $("tk-end").hidden = !ended;
  $("tk-end").textContent = tk.status === "done" ? t("thanks") : ended ? t("missed") : "";
  if (tk.issued_at) $("tk-issued").textContent = t("issued", { t: clockTime(tk.issued_at) });
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

function update(tk) {
  const before = current;
  current = { ...current, ...tk };
  // a new call, or a recall (last call time moves) while the page is open: alert
  const newlyCalled = tk.status === "called" && (before.status !== "called" || tk.called_at !== before.called_at);
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
  $("tk-sound").textContent = t("sound_on");
  $("tk-sound").classList.add("on");
});

function setLive(live, err) {
  root.dataset.state = live ? "live" : "offline";
  $("tk-live").textContent = live ? t("live") : t("offline");
  if (err && err.message === "unknown ticket") location.reload(); // the server shows the friendly 404
}

async function resync(reason) {
  if (reason === "connect") return; // the server sends the ticket itself on every connect
  try {
    update(await getJSON(`/api/tickets/${encodeURIComponent(data.token)}`));
  } catch {
    /* offline: the socket catches up when it reconnects */
  }
}

connect("/ticket", { auth: { token: data.token }, on: { ticket: update }, onStatus: setLive, onResync: resync });
render(current);
