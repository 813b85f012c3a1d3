// The visitor's live ticket page (/t/<token>): status, people ahead and estimated wait over /ticket;
// when called, the counter in large type, a vibration and the chime. Phones sleep and drop sockets:
// Socket.IO reconnects by itself (and the server sends the ticket again on every connect), and
// coming back to the tab re-reads the ticket over HTTP at once (live.js).

import { $, jsonBlock } from "/static/js/dom.js";
import { getJSON, request } from "/static/js/http.js";
import { t } from "/static/js/i18n.js";
import { connect } from "/static/js/live.js";
import { clockTime } from "/static/js/time.js";
import { renderRoute, waitsClosed } from "./route.js";
import { phoneSurvey } from "./survey.js";

const data = jsonBlock("ticket-data");
const root = $("ticket");
let current = data.ticket;
const chime = new Audio("/display/audio/chime.mp3");
chime.preload = "auto";
window.__ticketLog = []; // what the page did, for tests: "vibrate", "chime", "chime-blocked", "counted"
const survey = phoneSurvey(data.token, root); // a finished visit turns the page into the survey

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
    // nobody on duty for the service: said plainly, never "any moment now"
    $("tk-eta").textContent = tk.nobody_on_duty ? t("eta_nobody")
      : sec === null || sec === undefined ? "" : sec < 60 ? t("eta_soon") : t("eta", { n: Math.round(sec / 60) });
    root.dataset.nobodyOnDuty = String(Boolean(tk.nobody_on_duty));
  }
  if (atCounter) {
    $("tk-call-go").textContent = tk.status === "serving" ? t("serving_at") : t("go_to");
    $("tk-counter").textContent = tk.counter.name;
  }
  const ended = ["done", "no_show", "cancelled"].includes(tk.status);
  $("tk-end").hidden = !ended;
  $("tk-sound").hidden = ended; // nothing left to be alerted of
  $("tk-end").textContent = tk.status === "done" ? t("thanks") : tk.status === "cancelled" ? t("left")
    : ended ? t("missed") : "";
  $("tk-leave").hidden = !waiting;
  renderRemote(tk, waiting);
  if (tk.issued_at) $("tk-issued").textContent = t("issued", { t: clockTime(tk.issued_at) });
  renderRoute(tk, sync); // a visit that crosses services: its steps and what comes next
  survey.update(tk);
}

// --- joined from afar: the check-in code, "come now" once fewer than arrive_ahead are ahead -------------

function renderRemote(tk, waiting) {
  $("tk-remote").hidden = !tk.code;
  if (!tk.code) return;
  const away = waiting && !tk.arrived;
  // counted here too: the page keeps its own place from the line's moves between views
  const comeNow = away && tk.ahead < Math.max(1, tk.arrive_ahead ?? 0);
  root.dataset.comeNow = String(comeNow);
  $("tk-come").hidden = !comeNow || Boolean(tk.hold_until);
  $("tk-hold").hidden = !(away && tk.hold_until);
  if (away && tk.hold_until) $("tk-hold").textContent = t("hold", { t: clockTime(tk.hold_until) });
  $("tk-checkin").hidden = !away;
  $("tk-arrived").hidden = !(waiting && tk.arrived);
  if (comeNow && !window.__ticketLog.includes("come-now")) {
    window.__ticketLog.push("come-now");
    if (navigator.vibrate) navigator.vibrate([300, 150, 300]);
  }
}

// --- leaving the line: asked in a modal dialog first ------------------------------------------------------

const leaveDialog = $("tk-leave-dialog");

function leaveError(text) {
  $("tk-leave-error").hidden = !text;
  $("tk-leave-error").textContent = text || "";
}

$("tk-leave").addEventListener("click", () => {
  leaveError("");
  $("tk-leave-yes").disabled = false;
  leaveDialog.showModal(); // focus goes to "keep my place" (autofocus): the safe answer
});
$("tk-leave-no").addEventListener("click", () => leaveDialog.close());
leaveDialog.addEventListener("close", () => {
  // back where the visitor was; once the ticket is cancelled that button is gone: the status says it
  if (!$("tk-leave").hidden) $("tk-leave").focus();
  else $("tk-status").focus();
});
$("tk-leave-yes").addEventListener("click", async () => {
  $("tk-leave-yes").disabled = true;
  try {
    const tk = await request("DELETE", `/api/tickets/${encodeURIComponent(data.token)}`);
    update(tk);
    window.__ticketLog.push("left");
    leaveDialog.close();
  } catch (err) {
    $("tk-leave-yes").disabled = false;
    leaveError(t("leave_failed", { reason: err.message }));
    if (err.code === "not_waiting") sync(); // called meanwhile: the page shows where to go
  }
});

function alertVisitor(tk, recall) {
  // a screen reader says it at once, wherever the reader is on the page (emptied first: a second recall's
  // same words are a change too)
  const said = t(recall ? "recalled_announce" : "called_announce", { number: tk.number, counter: tk.counter?.name || "" });
  $("tk-announce").textContent = "";
  setTimeout(() => { $("tk-announce").textContent = said; }, 100);
  window.__ticketLog.push(`announce:${said}`);
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

// --- counting my own place from the line's moves (queue_app/queue/moves.py) -----------------------
// A call sends one `queue_moved` per service, not a view per phone: the keys of the tickets that left
// or joined the line, and the estimate by place. My key tells which of them were before me; the
// version tells which message my last view already holds. A gap (a lost message) re-reads the view.

/** Is queue key `a` called before key `b`? Keys are [priority 1/0, queue time µs, id]. */
export function calledBefore(a, b) {
  if (a[0] !== b[0]) return a[0] > b[0];
  return a[1] !== b[1] ? a[1] < b[1] : a[2] < b[2];
}

/** The estimate at `ahead` from the message's [place, seconds] pairs, straight between two places. */
export function etaAt(table, ahead) {
  if (!table.length) return null;
  let lo = table[0];
  for (const hi of table) {
    if (hi[0] === ahead) return hi[1];
    if (hi[0] > ahead) return Math.round(lo[1] + ((hi[1] - lo[1]) * (ahead - lo[0])) / Math.max(1, hi[0] - lo[0]));
    lo = hi;
  }
  return lo[1];
}

function moved(m) {
  if (m.service === current.service && waitsClosed(current)) return sync(); // its step may have opened again
  const place = current.queue;
  if (current.status !== "waiting" || !place || m.service !== current.service) return;
  let ahead = current.ahead;
  if (m.version !== null && m.version > place.version) {
    if (m.version !== place.version + 1) {
      sync(); // a message went missing (or two servers' crossed): my view says where I am
      return;
    }
    const mine = place.key;
    const counts = (keys) => keys.filter((k) => k[2] !== mine[2] && calledBefore(k, mine)).length;
    ahead = Math.max(0, ahead + counts(m.joined) - counts(m.left));
    current = { ...current, ahead, queue: { key: mine, version: m.version } };
    window.__ticketLog.push("counted");
  }
  current = m.nobody_on_duty
    ? { ...current, estimated_wait_seconds: null, nobody_on_duty: true }
    : { ...current, estimated_wait_seconds: etaAt(m.eta, ahead) ?? current.estimated_wait_seconds, nobody_on_duty: false };
  render(current);
}

function update(tk) {
  const before = current;
  current = { ...current, ...tk };
  if (tk.service && tk.service !== before.service) sync(); // transferred: the server moves me to my new line's room
  // a new call, or a recall while the page is open (the count of recalls and the last call time move;
  // the first call time does not): alert again, by voice, vibration and chime
  const recalled = before.status === "called" && tk.status === "called"
    && ((tk.recalls ?? 0) > (before.recalls ?? 0) || (tk.last_called_at && tk.last_called_at !== before.last_called_at));
  const newlyCalled = tk.status === "called" && (before.status !== "called" || tk.called_at !== before.called_at || recalled);
  render(current);
  if (newlyCalled) alertVisitor(current, before.status === "called");
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

// large text and high contrast, remembered on this phone (like its own text size setting)
function setBig(on) {
  document.body.classList.toggle("big", on);
  $("tk-big").setAttribute("aria-pressed", String(on));
  try {
    if (on) localStorage.setItem("ticket-big", "1");
    else localStorage.removeItem("ticket-big");
  } catch {
    /* storage refused: applied to this page only */
  }
}
$("tk-big").addEventListener("click", () => setBig(!document.body.classList.contains("big")));
try {
  if (localStorage.getItem("ticket-big") === "1") setBig(true);
} catch {
  /* storage refused */
}

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

function sync() {
  if (socket.connected) socket.emit("sync", null, (v) => (v && !v.error ? update(v) : resync("gap")));
  else resync("gap");
}

// `moves`: this page counts its own place from `queue_moved` (one message per line, not one per phone)
const socket = connect("/ticket", {
  auth: { token: data.token, moves: true },
  on: { ticket: update, queue_moved: moved },
  onStatus: setLive,
  onResync: resync,
});
// now and then the whole view again, so nothing can drift however long the wait
setInterval(() => current.status === "waiting" && sync(), 5 * 60 * 1000);
render(current);
