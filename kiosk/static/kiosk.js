// Touch kiosk: service tiles grouped by agency, one tap = one ticket, confirmation with the QR code.
// Plain ES module, no build step; texts come from the page's JSON catalog (id default, en toggle).

const $ = (id) => document.getElementById(id);
const settings = JSON.parse($("kiosk-settings").textContent);
const catalogs = JSON.parse($("kiosk-strings").textContent);
let services = JSON.parse($("kiosk-services").textContent);

const state = {
  lang: document.documentElement.lang === "en" ? "en" : "id",
  priority: "none",
  busy: false, // one request at a time: a second tap while the first is in flight does nothing
  pending: null, // {service, priority, key, at}: kept after a network failure so a new tap reuses the key
  lastTouch: Date.now(),
  confirmTimer: null,
  confirmShownAt: 0,
  layoutKey: "",
};

// --- texts ---------------------------------------------------------------------------------------

function t(key, values = {}) {
  const text = catalogs[state.lang]?.[key] ?? catalogs.id?.[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function applyTexts() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  tickClock();
}

function tickClock() {
  const now = new Date();
  const locale = state.lang === "en" ? "en-GB" : "id-ID";
  const day = new Intl.DateTimeFormat(locale, {
    timeZone: settings.timezone, weekday: "long", day: "numeric", month: "long",
  }).format(now);
  const time = new Intl.DateTimeFormat(locale, {
    timeZone: settings.timezone, hour: "2-digit", minute: "2-digit", hour12: false,
  }).format(now);
  $("clock").textContent = `${time}\n${day}`;
}

function minutes(seconds) {
  return Math.max(1, Math.round(seconds / 60));
}

function serviceName(s) {
  return state.lang === "en" && s.name_en ? s.name_en : s.name;
}

// --- layout: agency groups packed into a grid that fills the screen without scrolling ------------

function groupsOf(list) {
  const groups = [];
  const byAgency = new Map();
  for (const s of list) {
    let g = byAgency.get(s.agency);
    if (!g) {
      g = { agency: s.agency, name: s.agency_name, items: [], index: groups.length };
      byAgency.set(s.agency, g);
      groups.push(g);
    }
    g.items.push(s);
  }
  return groups;
}

/** Block size of a group in a grid of `cols` columns: as square as possible when it must wrap. */
function blockOf(n, cols) {
  const rows = Math.ceil(n / Math.min(n, cols));
  return { span: Math.ceil(n / rows), rows };
}

/** Rows needed when the browser packs the groups with `grid-auto-flow: row dense`. */
function rowsNeeded(groups, cols) {
  const taken = [];
  const free = (r, c, w, h) => {
    for (let y = r; y < r + h; y++) for (let x = c; x < c + w; x++) if (taken[y]?.[x]) return false;
    return true;
  };
  let rows = 0;
  for (const g of groups) {
    const { span, rows: h } = blockOf(g.items.length, cols);
    for (let r = 0, placed = false; !placed; r++) {
      for (let c = 0; c + span <= cols && !placed; c++) {
        if (free(r, c, span, h)) {
          for (let y = r; y < r + h; y++) {
            taken[y] = taken[y] || [];
            for (let x = c; x < c + span; x++) taken[y][x] = true;
          }
          rows = Math.max(rows, r + h);
          placed = true;
        }
      }
    }
  }
  return rows;
}

/** Pick the column count that gives the biggest tiles, preferring tiles wider than tall. */
function chooseColumns(groups, width, height) {
  const total = groups.reduce((n, g) => n + g.items.length, 0);
  const header = Math.min(width, height) * 0.035; // the agency line above each group's tiles
  let best = { cols: 1, rows: total, score: -1 };
  for (let cols = 1; cols <= Math.min(8, Math.max(1, total)); cols++) {
    const rows = rowsNeeded(groups, cols);
    const tileW = width / cols;
    const tileH = height / rows - header;
    const score = Math.min(tileW, tileH * 1.6);
    if (score > best.score) best = { cols, rows, score };
  }
  return best;
}

function tileStats(s) {
  const waiting = s.waiting > 0 ? t("waiting", { n: s.waiting }) : t("waiting_none");
  const eta = s.estimated_wait_seconds ? t("eta", { m: minutes(s.estimated_wait_seconds) }) : t("eta_now");
  return { waiting, eta };
}

function closedReason(s) {
  if (s.closed_reason === "outside_hours") {
    return { text: t("outside_hours"), detail: s.hours ? t("outside_hours_window", { hours: s.hours }) : "" };
  }
  if (s.closed_reason === "quota_reached") return { text: t("quota_reached"), detail: "" };
  return { text: t("closed"), detail: s.closed_message || "" };
}

function buildTile(s) {
  const tile = document.createElement("button");
  tile.type = "button";
  tile.className = "tile";
  tile.dataset.service = s.code;
  const name = document.createElement("span");
  name.className = "tile-name";
  const bottom = document.createElement("span");
  bottom.className = "tile-bottom";
  const prefix = document.createElement("span");
  prefix.className = "tile-prefix";
  prefix.textContent = s.prefix;
  prefix.setAttribute("aria-hidden", "true");
  const info = document.createElement("span");
  bottom.append(prefix, info);
  tile.append(name, bottom);
  fillTile(tile, s);
  return tile;
}

function fillTile(tile, s) {
  tile.disabled = !s.open;
  tile.querySelector(".tile-name").textContent = serviceName(s);
  const info = tile.querySelector(".tile-bottom").lastElementChild;
  info.replaceChildren();
  if (s.open) {
    info.className = "tile-stats";
    const { waiting, eta } = tileStats(s);
    const w = document.createElement("span");
    w.className = "tile-waiting";
    w.textContent = waiting;
    const e = document.createElement("span");
    e.className = "tile-eta";
    e.textContent = eta;
    info.append(w, e);
    tile.setAttribute("aria-label", `${serviceName(s)}. ${waiting}. ${eta}`);
  } else {
    info.className = "tile-reason";
    const { text, detail } = closedReason(s);
    info.textContent = text;
    if (detail) {
      const small = document.createElement("small");
      small.textContent = detail;
      info.append(small);
    }
    tile.setAttribute("aria-label", `${serviceName(s)}. ${text}. ${detail}`);
  }
}

function render() {
  const grid = $("grid");
  const groups = groupsOf(services);
  const { cols, rows } = chooseColumns(groups, grid.clientWidth || window.innerWidth,
    grid.clientHeight || window.innerHeight * 0.7);
  grid.style.setProperty("--cols", String(cols));
  grid.style.setProperty("--rows", String(Math.max(1, rows)));
  const sections = groups.map((g) => {
    const { span, rows: h } = blockOf(g.items.length, cols);
    const section = document.createElement("section");
    section.className = `k-group agency-${g.index % 10}`;
    section.dataset.agency = g.agency;
    section.style.setProperty("grid-column", `span ${span}`);
    section.style.setProperty("grid-row", `span ${h}`);
    const head = document.createElement("h2");
    head.className = "k-group-head";
    const code = document.createElement("b");
    code.textContent = g.agency;
    head.append(code, ` · ${g.name}`);
    head.title = g.name;
    const tiles = document.createElement("div");
    tiles.className = "k-group-tiles";
    tiles.style.setProperty("--span", String(span));
    tiles.append(...g.items.map(buildTile));
    section.append(head, tiles);
    return section;
  });
  grid.replaceChildren(...sections);
  state.layoutKey = layoutKey();
}

function layoutKey() {
  return `${state.lang}|${window.innerWidth}x${window.innerHeight}|` +
    services.map((s) => `${s.code}:${s.open}`).join(",");
}

/** New counts: update the tiles in place unless what is shown (open/closed, the set) changed. */
function refreshTiles() {
  if (layoutKey() !== state.layoutKey) {
    render();
    return;
  }
  for (const s of services) {
    const tile = document.querySelector(`.tile[data-service="${CSS.escape(s.code)}"]`);
    if (tile) fillTile(tile, s);
  }
}

async function poll() {
  try {
    const resp = await fetchWithTimeout(`/api/services?kiosk=${encodeURIComponent(settings.code)}`, {}, 8000);
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    services = await resp.json();
    $("offline").hidden = true;
    refreshTiles();
  } catch {
    $("offline").hidden = false;
  }
}

// --- taking a ticket ---------------------------------------------------------------------------

function newKey() {
  // crypto.randomUUID needs a secure context; a kiosk on the hall LAN is plain http
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `kiosk-${settings.code}-` + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function fetchWithTimeout(url, options, ms) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), ms);
  try {
    return await fetch(url, { ...options, signal: ctrl.signal, cache: "no-store" });
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const RETRY_DELAYS = [0, 600, 1500, 3000, 5000];

/** POST the ticket, retrying network failures and 5xx with the SAME Idempotency-Key. */
async function issue(p) {
  for (const [i, delay] of RETRY_DELAYS.entries()) {
    if (i > 0) {
      showBusy(t("retrying"));
      await sleep(delay);
    }
    let resp;
    try {
      resp = await fetchWithTimeout("/api/tickets", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Idempotency-Key": p.key },
        body: JSON.stringify({ service: p.service, priority: p.priority, kiosk: settings.code }),
      }, 10000);
    } catch {
      continue; // no answer: the ticket may or may not exist; the same key makes a retry safe
    }
    if (resp.status >= 500) continue;
    let body = null;
    try {
      body = await resp.json();
    } catch {
      body = null;
    }
    return { status: resp.status, body };
  }
  return { status: 0, body: null };
}

async function take(code) {
  if (state.busy) return;
  const s = services.find((x) => x.code === code);
  if (!s || !s.open) return;
  state.busy = true;
  const priority = state.priority !== "none";
  const p = state.pending;
  if (!p || p.service !== code || p.priority !== priority || Date.now() - p.at > 5 * 60 * 1000) {
    state.pending = { service: code, priority, key: newKey(), at: Date.now() };
  }
  showBusy(t("connecting"));
  try {
    const { status, body } = await issue(state.pending);
    hideBusy();
    if (status === 200 || status === 201) {
      state.pending = null;
      showConfirm(body, s);
      poll();
    } else if (status === 0) {
      showMessage(t("error_network")); // keep state.pending: the next tap on this tile reuses its key
    } else {
      state.pending = null;
      if (status === 409) {
        showMessage(body?.error?.message && state.lang === "en" ? body.error.message : t("error_closed"));
        poll();
      } else if (status === 429) {
        showMessage(t("error_busy"));
      } else if (status === 401) {
        showMessage(t("not_enrolled")); // this browser holds no (or an ended) kiosk key: an admin enrols it
      } else {
        showMessage(t("error_generic"));
      }
    }
  } finally {
    state.busy = false;
  }
}

// --- overlays ------------------------------------------------------------------------------------

function showBusy(text) {
  $("busy-text").textContent = text;
  $("busy").hidden = false;
}

function hideBusy() {
  $("busy").hidden = true;
}

function showMessage(text) {
  $("message-text").textContent = text;
  $("message").hidden = false;
}

function showConfirm(ticket, s) {
  const confirm = $("confirm");
  const print = ticket.print || { status: "none", error: null };
  confirm.dataset.printStatus = print.status;
  confirm.dataset.printError = print.error || "";
  confirm.dataset.token = ticket.token;
  $("c-number").textContent = ticket.number;
  $("c-prio").hidden = !ticket.priority;
  $("c-service").textContent = serviceName(s);
  $("c-agency").textContent = ticket.agency_name || s.agency_name || "";
  $("c-ahead").textContent = ticket.ahead > 0
    ? `${t("ahead", { n: ticket.ahead })} · ${ticket.estimated_wait_seconds
      ? t("eta", { m: minutes(ticket.estimated_wait_seconds) }) : t("eta_now")}`
    : t("ahead_none");
  $("c-qr").src = `/kiosk/qr/${encodeURIComponent(ticket.token)}.svg`;
  const notice = $("c-notice");
  notice.replaceChildren();
  let seconds = settings.confirm_seconds;
  if (print.status === "printed") {
    notice.className = "c-notice ok";
    notice.textContent = t("take_ticket");
  } else if (print.status === "none") {
    notice.className = "c-notice info";
    notice.textContent = t("no_printer");
    seconds = Math.max(seconds * 2, 20);
  } else {
    // failed, or queued for a print agent that did not answer in time: the screen is the ticket now
    notice.className = "c-notice bad";
    notice.textContent = t("printer_problem");
    seconds = Math.max(seconds * 3, 30);
  }
  confirm.hidden = false;
  state.confirmShownAt = Date.now();
  let left = seconds;
  const tick = () => {
    $("c-countdown").textContent = t("back_in", { s: left });
    if (left-- <= 0) resetToStart();
  };
  clearInterval(state.confirmTimer);
  tick();
  state.confirmTimer = setInterval(tick, 1000);
}

function closeConfirm() {
  clearInterval(state.confirmTimer);
  state.confirmTimer = null;
  $("confirm").hidden = true;
  $("c-qr").removeAttribute("src");
}

function setPriority(choice) {
  state.priority = choice;
  for (const b of document.querySelectorAll(".prio")) {
    b.setAttribute("aria-checked", String(b.dataset.priority === choice));
  }
}

function resetToStart() {
  closeConfirm();
  $("message").hidden = true;
  setPriority("none");
  if (state.lang !== settings.locale) {
    state.lang = settings.locale;
    applyTexts();
    render();
  }
  state.lastTouch = Date.now();
}

// --- wiring --------------------------------------------------------------------------------------

$("grid").addEventListener("click", (ev) => {
  const tile = ev.target.closest(".tile");
  if (tile && !tile.disabled) take(tile.dataset.service);
});
for (const b of document.querySelectorAll(".prio")) {
  b.addEventListener("click", () => setPriority(b.dataset.priority));
}
$("lang-toggle").addEventListener("click", () => {
  state.lang = state.lang === "id" ? "en" : "id";
  applyTexts();
  render();
});
$("c-done").addEventListener("click", () => {
  // the second tap of a slow double tap must not close the number the visitor has not read yet
  if (Date.now() - state.confirmShownAt > 1500) resetToStart();
});
$("message-ok").addEventListener("click", () => { $("message").hidden = true; });
for (const type of ["pointerdown", "keydown", "touchstart"]) {
  window.addEventListener(type, () => { state.lastTouch = Date.now(); }, { passive: true });
}
// a kiosk has no right click or text selection
window.addEventListener("contextmenu", (ev) => ev.preventDefault());

let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(render, 150);
});

setInterval(() => {
  tickClock();
  const idle = Date.now() - state.lastTouch > settings.idle_seconds * 1000;
  if (idle && $("confirm").hidden && !state.busy
      && (state.priority !== "none" || state.lang !== settings.locale || !$("message").hidden)) {
    resetToStart();
  }
}, 1000);
setInterval(poll, settings.poll_seconds * 1000);

applyTexts();
render();
document.body.dataset.ready = "1";
