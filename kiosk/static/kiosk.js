// Touch kiosk: service tiles grouped by agency, one tap = one ticket, confirmation with the QR code.
// Plain ES module, no build step; texts come from the page's JSON catalog (id default, en toggle).

import { $, el, jsonBlock } from "/static/js/dom.js";
import { HttpError, getJSON, newKey, postJSON } from "/static/js/http.js";
import { applyTexts as relabel, lang, setLang, t } from "/static/js/i18n.js";
import { clockTime, dayName, etaMinutes as minutes } from "/static/js/time.js";

const settings = jsonBlock("kiosk-settings");
let services = jsonBlock("kiosk-services");

const state = {
  priority: "none",
  busy: false, // one request at a time: a second tap while the first is in flight does nothing
  pending: null, // {service, priority, key, at}: kept after a network failure so a new tap reuses the key
  lastTouch: Date.now(),
  confirmTimer: null,
  confirmShownAt: 0,
  layoutKey: "",
};

// --- texts ---------------------------------------------------------------------------------------

function applyTexts() {
  relabel();
  tickClock();
}

function tickClock() {
  const now = new Date();
  $("clock").textContent = `${clockTime(now)}\n${dayName(now)}`;
}

function serviceName(s) {
  return lang() === "en" && s.name_en ? s.name_en : s.name;
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
  // when it opens again, in the screen's language ("Buka kembali pukul 13.00", "Buka Senin 08.00")
  const reopens = s.reopens_label ? s.reopens_label[lang()] || s.reopens_label.id : "";
  if (s.closed_reason === "holiday") {
    return { text: t("holiday_named", { name: s.holiday || "" }), detail: reopens };
  }
  if (s.closed_reason === "outside_hours") {
    return { text: t("outside_hours"),
      detail: reopens || (s.hours ? t("outside_hours_window", { hours: s.hours }) : "") };
  }
  if (s.closed_reason === "quota_reached") return { text: t("quota_reached"), detail: "" };
  return { text: t("closed"), detail: s.closed_message || "" };
}

function buildTile(s) {
  const tile = el("button", { type: "button", class: "tile", "data-service": s.code },
    el("span", "tile-name"),
    el("span", "tile-bottom", el("span", { class: "tile-prefix", "aria-hidden": "true" }, s.prefix), el("span")));
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
    info.append(el("span", "tile-waiting", waiting), el("span", "tile-eta", eta));
    tile.setAttribute("aria-label", `${serviceName(s)}. ${waiting}. ${eta}`);
  } else {
    info.className = "tile-reason";
    const { text, detail } = closedReason(s);
    info.textContent = text;
    if (detail) info.append(el("small", {}, detail));
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
    const section = el("section", { class: `k-group agency-${g.index % 10}`, "data-agency": g.agency },
      el("h2", { class: "k-group-head", title: g.name }, el("b", {}, g.agency), ` · ${g.name}`));
    section.style.setProperty("grid-column", `span ${span}`);
    section.style.setProperty("grid-row", `span ${h}`);
    const tiles = el("div", "k-group-tiles", ...g.items.map(buildTile));
    tiles.style.setProperty("--span", String(span));
    section.append(tiles);
    return section;
  });
  grid.replaceChildren(...sections);
  state.layoutKey = layoutKey();
}

function layoutKey() {
  return `${lang()}|${window.innerWidth}x${window.innerHeight}|` +
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
    services = await getJSON(`/api/services?kiosk=${encodeURIComponent(settings.code)}`, { timeout: 8000 });
    $("offline").hidden = true;
    refreshTiles();
  } catch {
    $("offline").hidden = false;
  }
}

// --- taking a ticket ---------------------------------------------------------------------------

/** POST the ticket; network failures and 5xx are retried with the SAME Idempotency-Key (http.js). */
async function issue(p) {
  try {
    const body = await postJSON("/api/tickets", { service: p.service, priority: p.priority, kiosk: settings.code },
      { key: p.key, retry: true, onRetry: () => showBusy(t("retrying")) });
    return { status: 201, body };
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    // status 0 or 5xx after the retries: the ticket may or may not exist; the next tap reuses the key
    return { status: err.transient ? 0 : err.status, body: err.body };
  }
}

async function take(code) {
  if (state.busy) return;
  const s = services.find((x) => x.code === code);
  if (!s || !s.open) return;
  state.busy = true;
  const priority = state.priority !== "none";
  const p = state.pending;
  if (!p || p.service !== code || p.priority !== priority || Date.now() - p.at > 5 * 60 * 1000) {
    state.pending = { service: code, priority, key: newKey(`kiosk-${settings.code}`), at: Date.now() };
  }
  showBusy(t("connecting"));
  try {
    const { status, body } = await issue(state.pending);
    hideBusy();
    if (status === 201) {
      state.pending = null;
      showConfirm(body, s);
      poll();
    } else if (status === 0) {
      showMessage(t("error_network")); // keep state.pending: the next tap on this tile reuses its key
    } else {
      state.pending = null;
      if (status === 409) {
        showMessage(body?.error?.message && lang() === "en" ? body.error.message : t("error_closed"));
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
  $("c-booking").hidden = !ticket.booking;
  $("c-booking").textContent = ticket.booking
    ? t("checkin_booking", { code: ticket.booking, start: ticket.booked_slot?.start || "" }) : "";
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
  closeCheckin();
  $("message").hidden = true;
  setPriority("none");
  if (lang() !== settings.locale) {
    setLang(settings.locale);
    applyTexts();
    render();
  }
  state.lastTouch = Date.now();
}

// --- check-in of a booking: keypad, or a USB scanner typing the QR's code and Enter ----------------

const CODE_CHARS = /^[A-Z2-9]$/;
const scan = { buffer: "", at: 0 };

function openCheckin() {
  if (state.busy) return;
  setCode("");
  $("checkin").hidden = false;
}

function closeCheckin() {
  $("checkin").hidden = true;
  setCode("");
}

function setCode(code) {
  $("checkin-code").textContent = code;
  $("checkin-go").disabled = code.length < 6;
}

const CHECKIN_ERRORS = {
  booking_not_found: "checkin_not_found", not_today: "checkin_not_today", too_early: "checkin_too_early",
  too_late: "checkin_too_late", booking_closed: "checkin_closed", rate_limited: "error_busy",
};

async function checkIn(raw) {
  const code = raw.toUpperCase().replace(/[^A-Z0-9]/g, "");
  if (state.busy || code.length < 6) return;
  state.busy = true;
  closeCheckin();
  showBusy(t("connecting"));
  try {
    // a repeat (a double scan, or a retry after a network failure) answers the same ticket: no key needed
    const body = await postJSON(`/api/bookings/${encodeURIComponent(code)}/check-in`, { kiosk: settings.code },
      { retry: true, key: newKey(`checkin-${settings.code}`), onRetry: () => showBusy(t("retrying")) });
    hideBusy();
    const s = services.find((x) => x.code === body.service)
      || { name: body.service_name, name_en: "", agency_name: body.agency_name };
    showConfirm(body, s);
    poll();
  } catch (err) {
    hideBusy();
    if (!(err instanceof HttpError) || err.transient) {
      showMessage(t("error_network"));
    } else {
      const key = CHECKIN_ERRORS[err.code] || (err.status === 404 ? "checkin_not_found" : "error_generic");
      const opens = err.body?.error?.opens_at;
      showMessage(t(key, { t: opens ? clockTime(opens) : "" }));
    }
  } finally {
    state.busy = false;
  }
}

/** A scanner is a keyboard that types fast: collect code characters, Enter checks in (no tap needed). */
function onKey(ev) {
  if (ev.ctrlKey || ev.altKey || ev.metaKey) return;
  const now = Date.now();
  if (now - scan.at > 1000) scan.buffer = "";
  scan.at = now;
  const typing = !$("checkin").hidden;
  if (ev.key === "Enter") {
    const code = typing && !scan.buffer ? $("checkin-code").textContent : scan.buffer;
    scan.buffer = "";
    if (code.length >= 6 && $("confirm").hidden) {
      ev.preventDefault();
      checkIn(code);
    }
    return;
  }
  if (ev.key === "Backspace" && typing) {
    setCode($("checkin-code").textContent.slice(0, -1));
    return;
  }
  const ch = ev.key.length === 1 ? ev.key.toUpperCase() : "";
  if (!CODE_CHARS.test(ch) && ch !== "-") return;
  if (ch !== "-") scan.buffer += ch;
  if (typing && ch !== "-") setCode(($("checkin-code").textContent + ch).slice(0, 16));
}

// --- wiring --------------------------------------------------------------------------------------

$("checkin-open").addEventListener("click", openCheckin);
$("checkin-cancel").addEventListener("click", closeCheckin);
$("checkin-go").addEventListener("click", () => checkIn($("checkin-code").textContent));
$("keypad").addEventListener("click", (ev) => {
  const key = ev.target.closest(".k-key")?.dataset.key;
  if (!key) return;
  const code = $("checkin-code").textContent;
  setCode(key === "BACK" ? code.slice(0, -1) : (code + key).slice(0, 16));
});
window.addEventListener("keydown", onKey);

$("grid").addEventListener("click", (ev) => {
  const tile = ev.target.closest(".tile");
  if (tile && !tile.disabled) take(tile.dataset.service);
});
for (const b of document.querySelectorAll(".prio")) {
  b.addEventListener("click", () => setPriority(b.dataset.priority));
}
$("lang-toggle").addEventListener("click", () => {
  setLang(lang() === "id" ? "en" : "id");
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
      && (state.priority !== "none" || lang() !== settings.locale || !$("message").hidden || !$("checkin").hidden)) {
    resetToStart();
  }
}, 1000);
setInterval(poll, settings.poll_seconds * 1000);

applyTexts();
render();
document.body.dataset.ready = "1";
