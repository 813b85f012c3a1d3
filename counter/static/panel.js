// Clerk panel: one click or one key per action, never twice by accident.
//
// Every action carries an Idempotency-Key made once per click; a retry after a network error sends
// the same key, so the server answers the first result instead of calling a second ticket.
// While a request is in flight every button is disabled. The panel re-reads its view from
// GET /api/counters/<code>/queue whenever the /counter namespace says something changed.

import { $, el, jsonBlock } from "/static/js/dom.js";
import { HttpError, newKey, request, setUnauthorizedHandler } from "/static/js/http.js";
import { t } from "/static/js/i18n.js";
import { connect as connectLive } from "/static/js/live.js";
import { ServerClock, duration } from "/static/js/time.js";
import { VISIT_ACTIONS, finishNote, pickStep, renderVisit, visitAllows } from "./route.js";

const boot = jsonBlock("boot");
const base = `/api/counters/${encodeURIComponent(boot.counter)}`;

let view = null; // last answer of GET .../queue
const clock = new ServerClock(); // this PC's clock may be minutes off
let busy = false;
let lastInteraction = Date.now();
let lastKeepalive = Date.now();
let msgTimer = null;
let refreshTimer = null;
let refreshing = null;

function sessionExpired() {
  const sep = boot.login_url.includes("?") ? "&" : "?";
  window.location.assign(`${boot.login_url}${sep}expired=1`);
}
setUnauthorizedHandler(sessionExpired);

// --- reading --------------------------------------------------------------------------------

let refreshAgain = false;

export async function refresh() {
  if (refreshing) { // one read at a time; a change seen meanwhile gets one more read after it
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      const data = await request("GET", `${base}/queue`, { background: true });
      clock.sync(data.now);
      view = data;
      render();
    } catch (err) {
      if (err instanceof HttpError && err.status === 403) showMsg(t("err_forbidden"), "err");
    } finally {
      refreshing = null;
      if (refreshAgain) {
        refreshAgain = false;
        refreshSoon(0);
      }
    }
  })();
  return refreshing;
}

function refreshSoon(ms = 150) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, ms);
}

// --- acting ---------------------------------------------------------------------------------

const ACTIONS = {
  "call-next": { path: "call-next", body: () => ({}) },
  "finish-next": { path: "call-next", body: () => ({ finish_current: true }) },
  recall: { path: "recall" },
  start: { path: "start" },
  finish: { path: "finish" },
  "no-show": { path: "no-show" },
  transfer: { path: "transfer" },
  call: { path: "call" },
  pause: { path: "pause" },
  resume: { path: "resume" },
  ...VISIT_ACTIONS, // a visit that crosses services: end it here, or send it to another step (route.js)
};

/** Which actions fit the counter's state now (the server checks again; this keeps the clerk honest). */
export function allowed(action, v = view) {
  if (!v) return false;
  const c = v.counter;
  const cur = c.current;
  const paused = c.state === "paused";
  const open = cur && (cur.status === "called" || cur.status === "serving");
  switch (action) {
    case "call-next": return !paused && !cur;
    case "finish-next": return !paused && !!open;
    case "recall": case "start": case "no-show": return !!cur && cur.status === "called";
    case "finish": return !!open;
    case "transfer": return !!open && v.services.length > 1;
    case "call": return !paused && !cur;
    case "reprint": return !!cur;
    case "pause": case "checkin": return true;
    case "end-visit": case "finish-to": return visitAllows(action, v);
    default: return false;
  }
}

function primaryAction(v = view) {
  if (!v) return null;
  const cur = v.counter.current;
  if (v.counter.state === "paused") return "pause";
  if (!cur) return "call-next";
  if (cur.status === "called") return cur.recalls >= v.recall_warn_after ? "no-show" : "start";
  return "finish-next";
}

async function act(action, payload) {
  if (busy) return;
  if (action === "pause" && view && view.counter.state === "paused") action = "resume";
  if (action === "transfer" && !payload) return openTransfer();
  if (action === "call" && !payload) return openCall();
  if (action === "reprint") return reprint();
  if (action === "checkin") return openCheckin();
  if (action === "finish-to" && !payload) return pickStep(view, (service) => act("finish-to", { next: service }));
  const spec = ACTIONS[action];
  if (!spec) return;
  const key = newKey("panel"); // one key per click; the retries reuse it
  const body = payload || (spec.body ? spec.body() : undefined);
  await whileBusy(async () => {
    const data = await request("POST", `${base}/${spec.path}`, { body, key, retry: true });
    if (view) view.counter.current = data.ticket;
    if (data.replayed) showMsg(t("msg_replayed"), "info");
    else if ((action === "call-next" || action === "finish-next") && !data.ticket) showMsg(t("msg_nobody"), "info");
    else if (data.ticket && ["call-next", "finish-next", "call"].includes(action)) showMsg(t("msg_called", { number: data.ticket.number }), "ok");
    else if (action === "finish" || action in VISIT_ACTIONS) showMsg(...(finishNote(data) || [t("msg_finished"), "ok"]));
    else clearMsg();
  }, explain);
  await refresh();
}

/** Run one action with every button disabled; `onError` explains a failure to the clerk. */
async function whileBusy(work, onError) {
  busy = true;
  render();
  try {
    await work();
  } catch (err) {
    onError(err);
  } finally {
    busy = false;
    render();
  }
}

function explain(err) {
  if (!(err instanceof HttpError) || err.status === 0) return showMsg(t("err_network"), "err");
  if (err.status === 401) return;
  if (err.status === 403) return showMsg(t("err_forbidden"), "err");
  const known = {
    counter_busy: "err_counter_busy", counter_paused: "err_counter_paused", invalid_state: "err_invalid_state",
    ticket_not_found: "err_ticket_not_found",
  };
  if (known[err.code]) return showMsg(t(known[err.code], { current: err.body?.error?.current || "" }), "err");
  showMsg(t("err_generic", { message: err.message }), "err");
}

async function reprint() {
  const cur = view?.counter.current;
  if (!cur || busy) return;
  const key = newKey("panel");
  await whileBusy(async () => {
    // staff never see a visitor's token: the ticket is named by its number at this counter
    const data = await request("POST", `${base}/reprint`, { body: { number: cur.number }, key, retry: true });
    const status = data?.print?.status;
    if (status === "failed") showMsg(t("err_reprint_failed", { message: data.print.error || "" }), "err");
    else if (status === "none") showMsg(t("err_reprint_none"), "err");
    else if (status === "queued") showMsg(t("msg_reprint_queued", { number: cur.number }), "ok");
    else showMsg(t("msg_reprinted", { number: cur.number }), "ok");
  }, (err) => {
    if (err instanceof HttpError && err.code === "printer_not_found") {
      showMsg(t("err_reprint_none"), "err");
    } else if (err instanceof HttpError && (err.status === 404 || err.status === 405) && err.code !== "ticket_not_found") {
      showMsg(t("err_reprint_missing"), "err");
    } else {
      explain(err);
    }
  });
}

// --- dialogs --------------------------------------------------------------------------------

function openTransfer() {
  const cur = view?.counter.current;
  if (!cur) return;
  $("transfer-title").textContent = t("transfer_title", { number: cur.number });
  const box = $("transfer-services");
  box.replaceChildren();
  view.services.filter((s) => s.code !== cur.service).forEach((s, i) => {
    const b = el("button", { type: "button", class: "svc", "data-service": s.code },
      el("kbd", {}, i < 9 ? String(i + 1) : ""), el("span", "svc-name", s.name), el("span", "svc-prefix", s.prefix));
    b.addEventListener("click", () => {
      $("transfer-dialog").close();
      act("transfer", { service: s.code });
    });
    box.append(b);
  });
  $("transfer-dialog").showModal();
}

function openCall() {
  const input = $("call-input");
  input.value = "";
  const list = $("waiting-numbers");
  list.replaceChildren(...(view?.waiting || []).map((w) => el("option", { value: w.number })));
  $("call-dialog").showModal();
  input.focus();
}

$("call-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const number = $("call-input").value.trim().toUpperCase();
  $("call-dialog").close();
  if (number) act("call", { number });
});
$("call-cancel").addEventListener("click", () => $("call-dialog").close());

// a booked visitor at the desk: check the booking in by its code; the ticket joins the queue like a kiosk's
function openCheckin() {
  $("checkin-input").value = "";
  $("checkin-dialog").showModal();
  $("checkin-input").focus();
}

$("checkin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const code = $("checkin-input").value.trim().toUpperCase().replace(/[^A-Z0-9]/g, "");
  $("checkin-dialog").close();
  if (!code) return;
  await whileBusy(async () => {
    const data = await request("POST", `/api/bookings/${encodeURIComponent(code)}/check-in`,
      { body: {}, key: newKey("panel"), retry: true });
    showMsg(t("msg_checked_in", { code: data.booking, number: data.number }), "ok");
  }, (err) => {
    const known = { booking_not_found: "err_booking_not_found", not_today: "err_not_today", too_early: "err_too_early",
                    too_late: "err_too_late", booking_closed: "err_booking_closed" };
    if (err instanceof HttpError && known[err.code]) showMsg(t(known[err.code]), "err");
    else explain(err);
  });
  await refresh();
});
$("checkin-cancel").addEventListener("click", () => $("checkin-dialog").close());
$("transfer-dialog").addEventListener("keydown", (e) => {
  if (/^[1-9]$/.test(e.key)) {
    const b = $("transfer-services").querySelectorAll("button")[Number(e.key) - 1];
    if (b) { e.preventDefault(); b.click(); }
  }
});

// --- drawing --------------------------------------------------------------------------------

function serviceName(code) {
  return view?.services.find((s) => s.code === code)?.name || code;
}

function serverNow() {
  return clock.now();
}

function render() {
  const panel = $("panel");
  if (!view) return;
  const c = view.counter;
  const cur = c.current;
  panel.dataset.state = c.state === "paused" ? "paused" : cur ? cur.status : "idle";
  $("paused-banner").hidden = c.state !== "paused";
  $("now-number").textContent = cur ? cur.number : "—";
  $("now-service").textContent = cur ? serviceName(cur.service) : t("no_current_hint");
  $("now-state").textContent = cur ? t(cur.status === "serving" ? "state_serving" : "state_called") : t("no_current");
  $("now-state").dataset.status = cur ? cur.status : "none";
  $("now-recalls").textContent = cur && cur.recalls ? t("recalls", { n: cur.recalls }) : "";
  const warn = cur && cur.status === "called" && cur.recalls >= view.recall_warn_after;
  $("recall-warn").hidden = !warn;
  if (warn) $("recall-warn").textContent = t("recall_warn", { n: cur.recalls + 1 });
  $("pause-label").textContent = t(c.state === "paused" ? "resume" : "pause");
  renderVisit(view);
  tick();

  const primary = primaryAction();
  for (const b of document.querySelectorAll("#actions .act")) {
    const a = b.dataset.action;
    b.disabled = busy || !allowed(a);
    b.classList.toggle("primary", a === primary && !b.disabled);
  }
  panel.classList.toggle("busy", busy);

  const tally = view.tally;
  $("tally-served").textContent = tally.served;
  $("tally-noshow").textContent = tally.no_show;
  $("tally-avg").textContent = tally.avg_service_seconds == null ? "—" : duration(tally.avg_service_seconds);

  $("waiting-count").textContent = view.waiting_total;
  $("queue-empty").hidden = view.waiting.length > 0;
  const canCall = !busy && allowed("call");
  const list = $("queue-list");
  list.replaceChildren(...view.waiting.map((w) => {
    const btn = el("button", { type: "button", class: "qi-call", disabled: !canCall }, t("call_this"));
    btn.addEventListener("click", () => act("call", { number: w.number }));
    return el("li", { class: "qi" + (w.priority ? " qi-priority" : "") + (w.booked_slot ? " qi-booked" : "")
                        + (w.away ? " qi-away" : ""),
                      "data-number": w.number, "data-issued": w.issued_at, "data-away": String(Boolean(w.away)) },
      el("span", "qi-number", w.number),
      el("span", "qi-service", w.priority ? el("span", "badge", t("priority")) : null,
        // a booked visitor: the clerk sees the slot it holds ("reservasi 09:30")
        w.booked_slot ? el("span", "badge badge-booked", `${t("booked")} ${w.booked_slot}`) : null,
        // joined from afar: not in the building yet (call-next passes it over), or checked in
        w.remote ? el("span", w.away ? "badge badge-away" : "badge badge-booked", t(w.away ? "away" : "remote")) : null,
        w.service_name + (w.transferred ? ` · ${t("transferred")}` : "")
          + (w.came_from ? ` · ${t("visit_came_from", { service: w.came_from })}` : "")),
      el("span", "qi-wait"), btn);
  }));
  tickWaits();
}

/** The current ticket's timer: since it was (last) called, or since service started. */
function tick() {
  const cur = view?.counter.current;
  if (!cur) {
    $("now-timer").textContent = "";
    $("now-timer-label").textContent = "";
    return;
  }
  const serving = cur.status === "serving" && cur.started_at;
  const since = Date.parse(serving ? cur.started_at : (cur.last_called_at || cur.called_at));
  $("now-timer").textContent = duration((serverNow() - since) / 1000);
  $("now-timer-label").textContent = t(serving ? "since_started" : "since_called");
}

function tickWaits() {
  const now = serverNow();
  for (const li of document.querySelectorAll("#queue-list .qi")) {
    const minutes = Math.max(0, Math.floor((now - Date.parse(li.dataset.issued)) / 60000));
    const wait = li.querySelector(".qi-wait");
    wait.textContent = t("minutes", { m: minutes });
    wait.classList.toggle("long", minutes >= 15);
  }
}

function showMsg(text, kind = "info") {
  const box = $("msg");
  box.textContent = text;
  box.dataset.kind = kind;
  clearTimeout(msgTimer);
  msgTimer = setTimeout(clearMsg, kind === "err" ? 9000 : 5000);
}

function clearMsg() {
  $("msg").textContent = "";
  delete $("msg").dataset.kind;
}

function setConn(state) {
  $("conn").dataset.state = state;
  $("conn-text").textContent = state === "live" ? t("live") : t("offline");
}

// --- input ----------------------------------------------------------------------------------

for (const b of document.querySelectorAll("#actions .act")) {
  b.addEventListener("click", () => act(b.dataset.action));
}

document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.altKey || e.metaKey || e.repeat) return; // a held key must not act twice
  if (document.querySelector("dialog[open]")) return;
  const tag = e.target?.tagName;
  if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
  const b = document.querySelector(`#actions .act[data-key="${CSS.escape(e.key.toLowerCase())}"]`);
  if (!b) return;
  e.preventDefault();
  if (!b.disabled) b.click();
});

function noteInteraction() {
  lastInteraction = Date.now();
  // someone is at the desk: keep the session alive even while serving one visitor for long
  if (Date.now() - lastKeepalive > 120000) {
    lastKeepalive = Date.now();
    request("GET", "/api/me").catch(() => {});
  }
}
document.addEventListener("keydown", noteInteraction, true);
document.addEventListener("pointerdown", noteInteraction, true);

// an unattended panel locks itself: after the idle time, the next background read is refused
setInterval(() => {
  if (Date.now() - lastInteraction > boot.idle_minutes * 60000) {
    request("GET", "/api/me", { background: true }).catch(() => {});
  }
}, 30000);

setInterval(() => { tick(); tickWaits(); }, 1000);
setInterval(refresh, 30000); // a safety net if an event was missed

// --- live updates ---------------------------------------------------------------------------

function connect() {
  setConn("connecting");
  const socket = connectLive("/counter", {
    auth: { counter: boot.counter },
    on: {
      queue_changed: () => refreshSoon(),
      counter_changed: () => refreshSoon(),
      // signed out elsewhere, disabled, password reset: the server closes this socket; show the sign-in page
      access_ended: () => location.assign(`/login?next=${encodeURIComponent(location.pathname)}`),
    },
    onStatus: (live, err) => {
      setConn(live ? "live" : "offline");
      // a refused connect may be an expired session: this read sends the clerk to the login page
      if (err) request("GET", "/api/me", { background: true }).catch(() => {});
    },
    onResync: () => refreshSoon(0), // (re)connected or back on screen: re-read what may have changed
  });
  window.counterSocket = socket; // tests and the curious can look at it
}

refresh();
connect();
