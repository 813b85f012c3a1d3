// Hall display: the board over Socket.IO /display, a flash and the voice on every live call.
//
// Every connect (first load, reconnect after a network cut or a server restart) gets the whole
// board first, so the screen catches up by itself. `seq` rises by one per call within a zone; a
// jump means we missed something, and we ask for the board again. Only live `called` events are
// announced: the board never is, so a reload does not replay old calls. Live calls go through the
// presenter (presenter.js): each is shown big for at least CALL_HOLD_MS and while its voice plays.

import { Announcer } from "/display/static/audio.js";
import { MediaLoop } from "/display/static/media.js";
import { CallPresenter } from "/display/static/presenter.js";
import { $, el, jsonBlock } from "/static/js/dom.js";
import { fit, keepFitted } from "/static/js/fit.js";
import { t } from "/static/js/i18n.js";
import { connect } from "/static/js/live.js";
import { ServerClock, clockTime, longDate, setTimezone } from "/static/js/time.js";

const page = jsonBlock("display-page");

const RECENT_SHOWN = 5;
const FLASH_MS = 3600;
// how long a call stays in the call area at least (a second call waits for it), and at most how long
// it waits for its voice (sound blocked until someone taps, a lost event)
const CALL_HOLD_MS = 6000;
const VOICE_WAIT_MS = 15000;
const RESYNC_MS = 10 * 60 * 1000; // a safety net (new day, missed board_changed); one cheap read
// below this scale the waiting list's service names are too small to read from the hall: prefixes only
const WAITING_NAMES_MIN_FIT = 0.7;

const state = {
  board: null,
  seq: {}, // zone -> last seq applied
  counters: new Map(), // code -> {code, name, zone, state, current, status}
  services: [], // [{code, name, prefix, waiting}]
  recent: [], // calls shown big already, newest first: {number, counter: {code, name}, zone, at, recall}
};
const clock = new ServerClock(); // a TV's own clock is often wrong

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
// the optional media area ([display] media_dir, notices): it yields to every call
const media = new MediaLoop($("media"), page.media_seconds, $("display"), () => fitLayout());
if (page.media) media.start();
const presenter = new CallPresenter({
  show: (call) => {
    state.recent = [call, ...state.recent.filter((c) => c.number !== call.number)].slice(0, RECENT_SHOWN + 1);
    renderNow(call, { flash: true });
    renderRecent();
  },
  announce: (call) => announcer.enqueue(call.announcement),
  holding: (done) => {
    media.holdWhile(done);
    media.muteWhile(done);
  },
  holdMs: CALL_HOLD_MS,
  voiceMs: VOICE_WAIT_MS,
});
window.__display = { state, announcer, media, presenter }; // for tests and troubleshooting

// --- text that fits: the lists first (they take their share of the height), then the call area ------

function fitWaiting() {
  const list = $("waiting");
  list.classList.remove("compact");
  if (fit(document.querySelector(".dsp-waiting")) < WAITING_NAMES_MIN_FIT) {
    list.classList.add("compact");
    fit(document.querySelector(".dsp-waiting"));
  }
}

function fitLayout() {
  fit(document.querySelector(".dsp-head"));
  fitWaiting();
  fit(document.querySelector(".dsp-counters"));
  fit($("now"));
  fit(document.querySelector(".dsp-recent"));
  const notice = document.querySelector(".dsp-notice");
  if (notice) fit(notice);
}
keepFitted(fitLayout);

// --- rendering -----------------------------------------------------------------------------------

function renderNow(call, { flash = false } = {}) {
  const now = $("now");
  if (!call) {
    $("now-number").textContent = t("idle");
    $("now-go").textContent = t("no_call");
    $("now-counter").textContent = "";
    now.classList.remove("recall");
    fit(now);
    return;
  }
  $("now-number").textContent = call.number;
  $("now-go").textContent = t("go_to");
  $("now-counter").textContent = call.counter.name;
  $("now-label").textContent = call.recall ? t("recall") : t("now_calling");
  now.classList.toggle("recall", Boolean(call.recall));
  now.dataset.number = call.number;
  fit(now);
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
      return el("li", { "data-fit": "" }, el("span", "num", c.number), el("span", "ctr", c.counter.name));
    }),
  );
  fit(document.querySelector(".dsp-recent"));
}

function renderCounters() {
  const list = $("counters");
  list.replaceChildren(
    ...[...state.counters.values()].map((c) => {
      // no clerk's panel open at it (and nothing left at it): closed, not waiting for someone to call
      const closed = c.presence === "closed" && !c.current;
      const num = c.state === "paused" ? t("paused") : c.current || (closed ? t("counter_closed") : t("idle"));
      const kind = c.state === "paused" || closed ? "paused" : c.status === "called" ? "called" : "";
      return el("li", { class: kind, "data-code": c.code, "data-presence": c.presence || "" },
        el("span", { class: "name", "data-fit": "" }, c.name), el("span", { class: "num", "data-fit": "" }, num));
    }),
  );
  fit(document.querySelector(".dsp-counters"));
}

function renderWaiting() {
  $("waiting").replaceChildren(
    ...state.services.map((s) => {
      return el("li", { "data-code": s.code, "data-fit": "" },
        el("span", "svc", s.prefix, el("span", "svc-name", ` · ${s.name}`)), el("span", "count", String(s.waiting)));
    }),
  );
  fitWaiting();
}

function renderTicker(text) {
  $("running-text").textContent = text || "";
}

/** The whole building is closed today (a holiday or an admin's closure): say so over the board. */
function renderClosed(name) {
  const banner = $("closed-banner");
  banner.hidden = !name;
  banner.textContent = name ? t("closed_today", { name }) : "";
}

// --- the board and its updates -------------------------------------------------------------------

function applyBoard(board) {
  if (!board || board.error) return;
  state.board = board;
  state.seq = { ...board.seq };
  state.counters = new Map(board.counters.map((c) => [c.code, { ...c }]));
  state.services = board.services.map((s) => ({ ...s }));
  // calls still waiting for the call area are not "last calls" yet; the one shown big stays shown
  const ahead = new Set(presenter.waiting.map((c) => c.number));
  const shown = presenter.busy ? presenter.current : null;
  state.recent = board.recent.filter((c) => !ahead.has(c.number) && c.number !== shown?.number);
  if (shown) state.recent.unshift(shown);
  setTimezone(board.timezone);
  if (board.now) clock.sync(board.now);
  $("site-name").textContent = board.site;
  renderCounters();
  renderWaiting();
  if (!shown) renderNow(state.recent[0] || null);
  renderRecent();
  renderTicker(board.running_text);
  renderClosed(board.closed);
  media.setNotices(board.notices);
  tick();
  fitLayout();
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
  const call = { number: ev.number, counter: ev.counter, zone: ev.zone, at: ev.at, recall: ev.recall,
    announcement: ev.announcement };
  const counter = state.counters.get(ev.counter.code);
  if (counter) Object.assign(counter, { current: ev.number, status: "called", state: "open" });
  renderCounters(); // the counter's own tile changes at once; the call area shows calls in turn
  presenter.add(call);
  if (gap) resync(); // we missed calls: the board tells what happened, without announcing them
}

function onBoardChanged(update) {
  for (const s of state.services) {
    if (update.services && s.code in update.services) s.waiting = update.services[s.code];
  }
  for (const c of update.counters || []) {
    const known = state.counters.get(c.code);
    if (known) Object.assign(known, { state: c.state, presence: c.presence, current: c.current, status: c.status });
  }
  renderCounters();
  renderWaiting();
}

function resync() {
  socket.timeout(5000).emit("board", { zone: page.zone }, (err, board) => {
    if (!err) applyBoard(board);
  });
}

// --- clock in the site's time zone, by the server's clock -----------------------------------------

function tick() {
  const now = new Date(clock.now());
  $("clock-time").textContent = clockTime(now);
  $("clock-date").textContent = longDate(now);
}
tick();
setInterval(tick, 1000);

// --- the socket ----------------------------------------------------------------------------------

function setLive(live) {
  $("offline").hidden = live;
  $("display").dataset.state = live ? "live" : "offline";
}

// the server sends the whole board on every connect; coming back to the page asks for it again
const socket = connect("/display", {
  auth: page.zone ? { zone: page.zone } : {},
  on: {
    board: applyBoard,
    called: onCalled,
    board_changed: onBoardChanged,
    settings_changed: (s) => {
      if ("running_text" in s) renderTicker(s.running_text);
      if (s.kind === "closure") renderClosed(s.closed);
      if (s.kind === "notices") media.setNotices(s.notices);
    },
    // staff's notice to everyone waiting for a service served in this zone: in the media area for a while
    service_notice: (n) => media.addTimed(n),
  },
  onStatus: setLive,
  onResync: (reason) => {
    if (reason === "visible" && socket.connected) resync();
  },
});
setInterval(() => {
  if (socket.connected) resync();
}, RESYNC_MS);
