// Hall display: the board over Socket.IO /display, a flash and the voice on every live call.
//
// Every connect (first load, reconnect after a network cut or a server restart) gets the whole
// board first, so the screen catches up by itself. `seq` rises by one per call within a zone; a
// jump means we missed something, and we ask for the board again. Only live `called` events are
// announced: the board never is, so a reload does not replay old calls.

import { io } from "/static/vendor/socket.io/socket.io.esm.min.js";
import { Announcer } from "/display/static/audio.js";

const page = JSON.parse(document.getElementById("display-page").textContent);
const catalog = JSON.parse(document.getElementById("display-strings").textContent);
const T = { ...catalog.id, ...(catalog[page.lang] || {}) };
const $ = (id) => document.getElementById(id);

const RECENT_SHOWN = 5;
const FLASH_MS = 3600;
const RESYNC_MS = 10 * 60 * 1000; // a safety net (new day, missed board_changed); one cheap read

const state = {
  board: null,
  seq: {}, // zone -> last seq applied
  counters: new Map(), // code -> {code, name, zone, state, current, status}
  services: [], // [{code, name, prefix, waiting}]
  recent: [], // newest first: {number, counter: {code, name}, zone, at, recall}
  clockOffset: 0, // server time - local time, ms (a TV's own clock is often wrong)
  timezone: page.timezone,
};

// --- sound ---------------------------------------------------------------------------------------

const announcer = new Announcer({ voice: page.voice, lang: "id-ID" });
const overlay = $("sound-overlay");
announcer.onblocked(() => {
  overlay.hidden = false;
});
announcer.onunblocked(() => {
  overlay.hidden = true;
});
function unlockSound() {
  announcer.unlock().then((ok) => {
    if (ok) overlay.hidden = true;
  });
}
overlay.addEventListener("click", unlockSound);
document.addEventListener("keydown", unlockSound);
announcer.preload(["chime"]);
window.__display = { state, announcer }; // for tests and troubleshooting

// --- rendering -----------------------------------------------------------------------------------

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function renderNow(call, { flash = false } = {}) {
  const now = $("now");
  if (!call) {
    $("now-number").textContent = T.idle;
    $("now-go").textContent = T.no_call;
    $("now-counter").textContent = "";
    now.classList.remove("recall");
    return;
  }
  $("now-number").textContent = call.number;
  $("now-go").textContent = T.go_to;
  $("now-counter").textContent = call.counter.name;
  $("now-label").textContent = call.recall ? T.recall : T.now_calling;
  now.classList.toggle("recall", Boolean(call.recall));
  now.dataset.number = call.number;
  if (flash) {
    now.classList.remove("flash");
    void now.offsetWidth; // restart the animation on back-to-back calls
    now.classList.add("flash");
    clearTimeout(renderNow.timer);
    renderNow.timer = setTimeout(() => now.classList.remove("flash"), FLASH_MS);
  }
}

function renderRecent() {
  const list = $("recent");
  list.replaceChildren(
    ...state.recent.slice(1, RECENT_SHOWN + 1).map((c) => {
      const li = el("li");
      li.append(el("span", "num", c.number), el("span", "ctr", c.counter.name));
      return li;
    }),
  );
}

function renderCounters() {
  const list = $("counters");
  list.replaceChildren(
    ...[...state.counters.values()].map((c) => {
      const li = el("li", c.state === "paused" ? "paused" : c.status === "called" ? "called" : "");
      li.dataset.code = c.code;
      const num = c.state === "paused" ? T.paused : c.current || T.idle;
      li.append(el("span", "name", c.name), el("span", "num", num));
      return li;
    }),
  );
}

function renderWaiting() {
  $("waiting").replaceChildren(
    ...state.services.map((s) => {
      const li = el("li");
      li.dataset.code = s.code;
      li.append(el("span", "svc", `${s.prefix} · ${s.name}`), el("span", "count", String(s.waiting)));
      return li;
    }),
  );
}

function renderTicker(text) {
  $("running-text").textContent = text || "";
}

// --- the board and its updates -------------------------------------------------------------------

function applyBoard(board) {
  if (!board || board.error) return;
  state.board = board;
  state.seq = { ...board.seq };
  state.counters = new Map(board.counters.map((c) => [c.code, { ...c }]));
  state.services = board.services.map((s) => ({ ...s }));
  state.recent = board.recent.slice();
  state.timezone = board.timezone || state.timezone;
  if (board.now) state.clockOffset = Date.parse(board.now) - Date.now();
  $("site-name").textContent = board.site;
  renderNow(state.recent[0] || null);
  renderRecent();
  renderCounters();
  renderWaiting();
  renderTicker(board.running_text);
  tick();
}

function mine(zone) {
  return !page.zone || zone === page.zone;
}

function onCalled(ev) {
  if (!mine(ev.zone)) return;
  const last = state.seq[ev.zone];
  if (last !== undefined && ev.seq <= last) return; // seen already (e.g. delivered twice around a reconnect)
  const gap = last !== undefined && ev.seq > last + 1;
  state.seq[ev.zone] = ev.seq;
  const call = { number: ev.number, counter: ev.counter, zone: ev.zone, at: ev.at, recall: ev.recall };
  state.recent = [call, ...state.recent.filter((c) => c.number !== ev.number)].slice(0, RECENT_SHOWN + 1);
  const counter = state.counters.get(ev.counter.code);
  if (counter) Object.assign(counter, { current: ev.number, status: "called", state: "open" });
  renderNow(call, { flash: true });
  renderRecent();
  renderCounters();
  announcer.enqueue(ev.announcement);
  if (gap) resync(); // we missed calls: the board tells what happened, without announcing them
}

function onBoardChanged(update) {
  for (const s of state.services) {
    if (update.services && s.code in update.services) s.waiting = update.services[s.code];
  }
  for (const c of update.counters || []) {
    const known = state.counters.get(c.code);
    if (known) Object.assign(known, { state: c.state, current: c.current, status: c.status });
  }
  renderCounters();
  renderWaiting();
}

function resync() {
  socket.timeout(5000).emit("board", { zone: page.zone }, (err, board) => {
    if (!err) applyBoard(board);
  });
}

// --- clock in the site's time zone ---------------------------------------------------------------

const locale = page.lang === "en" ? "en-GB" : "id-ID";
let timeFmt;
let dateFmt;
let fmtZone;
function tick() {
  if (fmtZone !== state.timezone) {
    fmtZone = state.timezone;
    timeFmt = new Intl.DateTimeFormat(locale, { timeZone: fmtZone, hour: "2-digit", minute: "2-digit", hour12: false });
    dateFmt = new Intl.DateTimeFormat(locale, {
      timeZone: fmtZone, weekday: "long", day: "numeric", month: "long", year: "numeric",
    });
  }
  const now = new Date(Date.now() + state.clockOffset);
  $("clock-time").textContent = timeFmt.format(now).replace(".", ":");
  $("clock-date").textContent = dateFmt.format(now);
}
tick();
setInterval(tick, 1000);

// --- the socket ----------------------------------------------------------------------------------

const socket = io("/display", {
  auth: page.zone ? { zone: page.zone } : {},
  transports: ["websocket", "polling"],
  tryAllTransports: true,
  reconnectionDelayMax: 5000,
});
socket.on("connect", () => {
  $("offline").hidden = true;
  $("display").dataset.state = "live";
});
socket.on("disconnect", () => {
  $("offline").hidden = false;
  $("display").dataset.state = "offline";
});
socket.on("connect_error", () => {
  $("offline").hidden = false;
  $("display").dataset.state = "offline";
});
socket.on("board", applyBoard);
socket.on("called", onCalled);
socket.on("board_changed", onBoardChanged);
socket.on("settings_changed", (s) => {
  if ("running_text" in s) renderTicker(s.running_text);
});
setInterval(() => {
  if (socket.connected) resync();
}, RESYNC_MS);
