// Touch kiosk: service tiles grouped by agency, one tap = one ticket, confirmation with the QR code.
// Plain ES modules, no build step; texts come from the page's JSON catalog (id default, en toggle).
// tiles.js lays out the tiles, overlays.js the dialogs, checkin.js the booking code, access.js the
// large-text and wheelchair layouts, guide.js the audio guide, phone.js the optional WhatsApp number step.

import { $, jsonBlock } from "/static/js/dom.js";
import { HttpError, getJSON, newKey, postJSON } from "/static/js/http.js";
import { applyTexts as relabel, lang, setLang, t } from "/static/js/i18n.js";
import { clockTime, dayName } from "/static/js/time.js";
import { setupAccess } from "./access.js";
import { setupCheckin } from "./checkin.js";
import { Guide } from "./guide.js";
import { maskPhone, setupPhoneStep } from "./phone.js";
import {
  closeConfirm, confirmOpenFor, hideBusy, hideMessage, showBusy, showConfirm, showMessage,
} from "./overlays.js";
import { closedReason, fitTiles, refreshTiles, renderTiles, serviceName } from "./tiles.js";

const settings = jsonBlock("kiosk-settings");
let services = jsonBlock("kiosk-services");
const ARM_MS = 10_000; // with the guide on, a second touch within this takes the number

const state = {
  priority: "none",
  busy: false, // one request at a time: a second tap while the first is in flight does nothing
  pending: null, // {service, priority, phone, key, at}: kept after a network failure so a new tap reuses the key
  lastTouch: Date.now(),
  armed: null, // {code, at}: the tile the guide described; touching it again takes the number
  pointerAt: 0, // the last touch on the tiles (a touch also focuses the tile it lands on)
};
const guide = new Guide(settings.guide);
const serviceOf = (code) => services.find((s) => s.code === code) || null;

// --- texts and layout ----------------------------------------------------------------------------

function applyTexts() {
  relabel();
  phoneStep?.relabel();
  tickClock();
}

function tickClock() {
  const now = new Date();
  $("clock").textContent = `${clockTime(now)}\n${dayName(now)}`;
}

const access = setupAccess((mode, on) => {
  if (mode === "guide") {
    guide.setOn(on);
    disarm();
    showHint(on ? t("guide_on") : "");
  } else {
    renderTiles(services); // the grid's room changed
  }
});

async function poll() {
  try {
    services = await getJSON(`/api/services?kiosk=${encodeURIComponent(settings.code)}`, { timeout: 8000 });
    $("offline").hidden = true;
    refreshTiles(services);
  } catch {
    $("offline").hidden = false;
  }
}

// --- taking a ticket -----------------------------------------------------------------------------

/** POST the ticket; network failures and 5xx are retried with the SAME Idempotency-Key (http.js). */
async function issue(p) {
  try {
    const request = { service: p.service, priority: p.priority, kiosk: settings.code };
    if (p.phone) request.phone = p.phone;
    const body = await postJSON("/api/tickets", request,
      { key: p.key, retry: true, onRetry: () => showBusy(t("retrying")) });
    return { status: 201, body };
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    // status 0 or 5xx after the retries: the ticket may or may not exist; the next tap reuses the key
    return { status: err.transient ? 0 : err.status, body: err.body, code: err.code };
  }
}

/** A closed service, touched: its name, why it is closed and until when (the admin's own words). */
function showClosed(s) {
  const { text, detail } = closedReason(s);
  showMessage(text, { title: serviceName(s), detail });
}

function showTicket(ticket, s, { again = false, phone = null } = {}) {
  showConfirm(ticket, { name: serviceName(s), agency: s.agency_name }, { settings, again, onTimeout: resetToStart });
  const sent = $("c-phone");
  if (sent) {
    sent.hidden = !phone;
    sent.textContent = phone ? t("phone_sent_to", { phone: maskPhone(phone) }) : "";
  }
  guide.ticket(ticket);
}

/** A service chosen: the optional phone step first (when the site sends notices), then the ticket. */
function choose(code) {
  const s = serviceOf(code);
  if (!s || !s.open || state.busy) return;
  // a retry after a network failure: the same request with its key and its number, never asked again (the
  // first one may have made the ticket; a different number would make a second)
  const p = state.pending;
  if (p && p.service === code && p.priority === (state.priority !== "none") && Date.now() - p.at <= 5 * 60 * 1000) {
    take(code, p.phone);
    return;
  }
  phoneStep.ask({ label: serviceName(s) }, (phone) => take(code, phone));
}

async function take(code, phone = null) {
  if (state.busy) return;
  const s = serviceOf(code);
  if (!s || !s.open) return;
  state.busy = true;
  const priority = state.priority !== "none";
  const p = state.pending;
  if (!p || p.service !== code || p.priority !== priority || p.phone !== phone || Date.now() - p.at > 5 * 60 * 1000) {
    state.pending = { service: code, priority, phone, key: newKey(`kiosk-${settings.code}`), at: Date.now() };
  }
  showBusy(t("connecting"));
  try {
    const { status, body, code: error } = await issue(state.pending);
    hideBusy();
    if (status === 201) {
      state.pending = null;
      showTicket(body, s, { phone });
      poll();
    } else if (status === 422 && error === "invalid_phone" && phone) {
      state.pending = null; // the number was refused: ask again, what was typed still there
      phoneStep.ask({ label: serviceName(s) }, (again) => take(code, again), { error: true, typed: phone });
    } else if (status === 0) {
      showMessage(t("error_network")); // keep state.pending: the next tap on this tile reuses its key
    } else {
      state.pending = null;
      if (status === 409) {
        await poll(); // closed meanwhile: the tiles learn it, the visitor learns why
        const now = serviceOf(code);
        if (now && !now.open) showClosed(now);
        else showMessage(t("error_closed"), { title: serviceName(s) });
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

// --- the audio guide's two touches ----------------------------------------------------------------

function showHint(text) {
  $("guide-hint").hidden = !text;
  $("guide-hint").textContent = text;
}

function disarm() {
  state.armed = null;
  for (const tile of document.querySelectorAll(".tile.armed")) tile.classList.remove("armed");
}

function arm(s) {
  disarm();
  state.armed = { code: s.code, at: Date.now() };
  document.querySelector(`.tile[data-service="${CSS.escape(s.code)}"]`)?.classList.add("armed");
  showHint(s.open ? t("guide_again", { name: serviceName(s) }) : "");
}

function onTile(code) {
  const s = serviceOf(code);
  if (!s) return;
  const armed = state.armed && state.armed.code === code && Date.now() - state.armed.at < ARM_MS;
  if (guide.on && !armed) {
    guide.tile(s);
    arm(s);
    if (!s.open) showClosed(s);
    return;
  }
  disarm();
  showHint("");
  if (s.open) choose(code);
  else showClosed(s);
}

// --- back to the start -----------------------------------------------------------------------------

function setPriority(choice) {
  state.priority = choice;
  for (const b of document.querySelectorAll(".prio")) {
    b.setAttribute("aria-checked", String(b.dataset.priority === choice));
  }
}

function resetToStart() {
  closeConfirm();
  checkin.closeCheckin();
  phoneStep.close();
  // the next visitor must never inherit a number typed by the one before (a request kept after a network
  // failure is kept only without one)
  if (state.pending?.phone) state.pending = null;
  hideMessage();
  setPriority("none");
  access.reset();
  disarm();
  showHint("");
  if (lang() !== settings.locale) {
    setLang(settings.locale);
    applyTexts();
    renderTiles(services);
  }
  state.lastTouch = Date.now();
}

// --- wiring --------------------------------------------------------------------------------------

const checkin = setupCheckin({ settings, state, serviceOf, showTicket, poll, guide });
const phoneStep = setupPhoneStep({ settings, guide });

$("grid").addEventListener("click", (ev) => {
  const tile = ev.target.closest(".tile");
  if (tile) onTile(tile.dataset.service);
});
$("grid").addEventListener("pointerdown", () => { state.pointerAt = Date.now(); });
$("grid").addEventListener("focusin", (ev) => {
  // a keyboard or switch user moves to a tile: say it (Enter then takes it, as a second touch would);
  // a touch focuses the tile too, but its click does the saying
  const tile = ev.target.closest(".tile");
  const s = tile && serviceOf(tile.dataset.service);
  if (guide.on && s && Date.now() - (state.pointerAt || 0) > 800) {
    guide.tile(s);
    arm(s);
  }
});
for (const b of document.querySelectorAll(".prio")) {
  b.addEventListener("click", () => {
    setPriority(b.dataset.priority);
    guide.priority(b.dataset.priority, b.textContent);
  });
}
$("lang-toggle").addEventListener("click", () => {
  setLang(lang() === "id" ? "en" : "id");
  applyTexts();
  renderTiles(services);
});
$("c-done").addEventListener("click", () => {
  // the second tap of a slow double tap must not close the number the visitor has not read yet
  if (confirmOpenFor() > 1500) resetToStart();
});
$("message-ok").addEventListener("click", hideMessage);
for (const type of ["pointerdown", "keydown", "touchstart"]) {
  window.addEventListener(type, () => { state.lastTouch = Date.now(); }, { passive: true });
}
// a kiosk has no right click or text selection
window.addEventListener("contextmenu", (ev) => ev.preventDefault());

let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => renderTiles(services), 150);
});
document.fonts?.ready.then(fitTiles);

setInterval(() => {
  tickClock();
  const idle = Date.now() - state.lastTouch > settings.idle_seconds * 1000;
  if (idle && $("confirm").hidden && !state.busy
      && (state.priority !== "none" || lang() !== settings.locale || !$("message").hidden || !$("checkin").hidden || phoneStep.open()
          || guide.on || state.armed)) {
    resetToStart();
  }
}, 1000);
setInterval(poll, settings.poll_seconds * 1000);

applyTexts();
renderTiles(services);
document.body.dataset.ready = "1";
