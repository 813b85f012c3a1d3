// Clerk panel: one click or one key per action, never twice by accident.
//
// Every action carries an Idempotency-Key made once per click; a retry after a network error sends
// the same key, so the server answers the first result instead of calling a second ticket.
// While a request is in flight every button is disabled. The panel re-reads its view from
// GET /api/counters/<code>/queue whenever the /counter namespace says something changed.

const boot = JSON.parse(document.getElementById("boot").textContent);
const catalogs = JSON.parse(document.getElementById("strings").textContent);
const strings = { ...catalogs.id, ...(catalogs[boot.lang] || {}) };
const $ = (id) => document.getElementById(id);
const base = `/api/counters/${encodeURIComponent(boot.counter)}`;

let view = null; // last answer of GET .../queue
let skewMs = 0; // server clock minus this PC's clock
let busy = false;
let lastInteraction = Date.now();
let lastKeepalive = Date.now();
let msgTimer = null;
let refreshTimer = null;
let refreshing = null;

export function t(key, values = {}) {
  const text = strings[key] || key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
}

/** A fresh key per click; crypto.randomUUID needs a secure context, a LAN http:// page is not one. */
export function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "panel-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

class HttpError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.code = body?.error?.code || "";
  }
}

async function request(method, path, { body, key, background = false } = {}) {
  const headers = { Accept: "application/json", "X-CSRFToken": boot.csrf };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  // background reads must not count as the clerk being at the desk (idle sessions expire)
  if (background) headers["X-Background"] = "1";
  const resp = await fetch(path, {
    method, headers, credentials: "same-origin", cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await resp.json(); } catch { data = null; }
  if (resp.status === 401) { sessionExpired(); throw new HttpError(401, data); }
  if (!resp.ok) throw new HttpError(resp.status, data);
  return data;
}

function sessionExpired() {
  const sep = boot.login_url.includes("?") ? "&" : "?";
  window.location.assign(`${boot.login_url}${sep}expired=1`);
}

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
      skewMs = Date.parse(data.now) - Date.now();
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
    case "reprint": return !!cur && !!cur.token;
    case "pause": return true;
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
  const spec = ACTIONS[action];
  if (!spec) return;
  const key = newKey(); // one key per click; the retries below reuse it
  const body = payload || (spec.body ? spec.body() : undefined);
  busy = true;
  render();
  try {
    const data = await withRetries(() => request("POST", `${base}/${spec.path}`, { body, key }));
    if (view) view.counter.current = data.ticket;
    if (data.replayed) showMsg(t("msg_replayed"), "info");
    else if ((action === "call-next" || action === "finish-next") && !data.ticket) showMsg(t("msg_nobody"), "info");
    else if (data.ticket && ["call-next", "finish-next", "call"].includes(action)) showMsg(t("msg_called", { number: data.ticket.number }), "ok");
    else if (action === "finish") showMsg(t("msg_finished"), "ok");
    else clearMsg();
  } catch (err) {
    explain(err);
  } finally {
    busy = false;
    render();
    await refresh();
  }
}

/** Retry a request after a network failure or a gateway error, with the same Idempotency-Key. */
async function withRetries(send, delays = [400, 1200, 2500]) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      const transient = !(err instanceof HttpError) || [502, 503, 504].includes(err.status);
      if (!transient || attempt >= delays.length) throw err;
      await new Promise((r) => setTimeout(r, delays[attempt]));
    }
  }
}

function explain(err) {
  if (!(err instanceof HttpError)) return showMsg(t("err_network"), "err");
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
  if (!cur || !cur.token || busy) return;
  const key = newKey();
  busy = true;
  render();
  try {
    const data = await withRetries(() => request("POST", `/api/tickets/${encodeURIComponent(cur.token)}/reprint`,
      { body: {}, key }));
    const status = data?.print?.status;
    if (status === "failed") showMsg(t("err_reprint_failed", { message: data.print.error || "" }), "err");
    else if (status === "none") showMsg(t("err_reprint_none"), "err");
    else if (status === "queued") showMsg(t("msg_reprint_queued", { number: cur.number }), "ok");
    else showMsg(t("msg_reprinted", { number: cur.number }), "ok");
  } catch (err) {
    if (err instanceof HttpError && err.code === "printer_not_found") {
      showMsg(t("err_reprint_none"), "err");
    } else if (err instanceof HttpError && (err.status === 404 || err.status === 405) && err.code !== "ticket_not_found") {
      showMsg(t("err_reprint_missing"), "err");
    } else {
      explain(err);
    }
  } finally {
    busy = false;
    render();
  }
}

// --- dialogs --------------------------------------------------------------------------------

function openTransfer() {
  const cur = view?.counter.current;
  if (!cur) return;
  $("transfer-title").textContent = t("transfer_title", { number: cur.number });
  const box = $("transfer-services");
  box.replaceChildren();
  view.services.filter((s) => s.code !== cur.service).forEach((s, i) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "svc";
    b.dataset.service = s.code;
    b.innerHTML = "<kbd></kbd><span class='svc-name'></span><span class='svc-prefix'></span>";
    b.querySelector("kbd").textContent = i < 9 ? String(i + 1) : "";
    b.querySelector(".svc-name").textContent = s.name;
    b.querySelector(".svc-prefix").textContent = s.prefix;
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
  list.replaceChildren(...(view?.waiting || []).map((w) => {
    const o = document.createElement("option");
    o.value = w.number;
    return o;
  }));
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

export function fmtDuration(seconds) {
  if (seconds == null || Number.isNaN(seconds)) return "—";
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

function serverNow() {
  return Date.now() + skewMs;
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
  $("tally-avg").textContent = tally.avg_service_seconds == null ? "—" : fmtDuration(tally.avg_service_seconds);

  $("waiting-count").textContent = view.waiting_total;
  $("queue-empty").hidden = view.waiting.length > 0;
  const canCall = !busy && allowed("call");
  const list = $("queue-list");
  list.replaceChildren(...view.waiting.map((w) => {
    const li = document.createElement("li");
    li.className = "qi" + (w.priority ? " qi-priority" : "") + (w.booked_slot ? " qi-booked" : "");
    li.dataset.number = w.number;
    li.dataset.issued = w.issued_at;
    li.innerHTML = "<span class='qi-number'></span><span class='qi-service'></span>" +
      "<span class='qi-wait'></span><button type='button' class='qi-call'></button>";
    li.querySelector(".qi-number").textContent = w.number;
    const svc = li.querySelector(".qi-service");
    svc.textContent = w.service_name + (w.transferred ? ` · ${t("transferred")}` : "");
    if (w.priority) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = t("priority");
      svc.prepend(badge);
    }
    if (w.booked_slot) {
      // a booked visitor: the clerk sees the slot it holds ("reservasi 09:30")
      const badge = document.createElement("span");
      badge.className = "badge badge-booked";
      badge.textContent = `${t("booked")} ${w.booked_slot}`;
      svc.prepend(badge);
    }
    const btn = li.querySelector(".qi-call");
    btn.textContent = t("call_this");
    btn.disabled = !canCall;
    btn.addEventListener("click", () => act("call", { number: w.number }));
    return li;
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
  $("now-timer").textContent = fmtDuration((serverNow() - since) / 1000);
  $("now-timer-label").textContent = t(serving ? "since_started" : "since_called");
}

function tickWaits() {
  const now = serverNow();
  for (const li of document.querySelectorAll("#queue-list .qi")) {
    const minutes = Math.max(0, Math.floor((now - Date.parse(li.dataset.issued)) / 60000));
    const el = li.querySelector(".qi-wait");
    el.textContent = t("minutes", { m: minutes });
    el.classList.toggle("long", minutes >= 15);
  }
}

function showMsg(text, kind = "info") {
  const el = $("msg");
  el.textContent = text;
  el.dataset.kind = kind;
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
document.addEventListener("visibilitychange", () => { if (!document.hidden) refreshSoon(0); });

// --- live updates ---------------------------------------------------------------------------

async function connect() {
  setConn("connecting");
  let io;
  try {
    ({ io } = await import("/static/vendor/socket.io/socket.io.esm.min.js"));
  } catch {
    setConn("offline");
    return;
  }
  const socket = io("/counter", { auth: { counter: boot.counter } });
  socket.on("connect", () => { setConn("live"); refreshSoon(0); });
  socket.on("disconnect", () => setConn("offline"));
  socket.on("connect_error", () => {
    setConn("offline");
    request("GET", "/api/me", { background: true }).catch(() => {});
  });
  socket.on("queue_changed", () => refreshSoon());
  socket.on("counter_changed", () => refreshSoon());
  window.counterSocket = socket; // tests and the curious can look at it
}

refresh();
connect();
