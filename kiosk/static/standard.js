// The service standard on the kiosk: an info button on each tile whose service publishes a standard, opening a
// large view of its six public components (requirements, procedure, time, cost, product, complaints). Reading
// it takes no ticket; it closes with its button, Escape, or by itself when the kiosk is left idle.
//
// A module of its own, hooked to kiosk.js's tiles from the outside: it watches the grid and puts each tile with
// a standard in a wrapper next to its info button, so the tile's own tap (take a ticket) never sees the info tap.

import { $, el, jsonBlock } from "/static/js/dom.js";
import { getJSON } from "/static/js/http.js";
import { lang, t } from "/static/js/i18n.js";
import { fitTiles } from "./tiles.js";

const data = jsonBlock("kiosk-standards", { names: {}, services: {} });
const settings = jsonBlock("kiosk-settings", { idle_seconds: 60 });
const state = { open: null, opener: null, lastTouch: Date.now() };
window.__kioskStandard = state; // for tests and troubleshooting

const nameOf = (c) => (lang() === "en" ? data.names[c.key]?.en || c.name : data.names[c.key]?.id || c.name);

function tileName(tile) {
  return tile.querySelector(".tile-name")?.textContent || tile.dataset.service;
}

/** Give every tile with a standard its info button (kiosk.js rebuilds tiles on a resize or a language switch). */
function decorate() {
  let lowered = false;
  for (const tile of document.querySelectorAll("#grid .tile[data-service]")) {
    const code = tile.dataset.service;
    if (!data.services[code] || tile.parentElement.classList.contains("tile-wrap")) continue;
    const wrap = el("div", { class: "tile-wrap", "data-service": code });
    tile.replaceWith(wrap);
    // the "i" of information, the same in both languages; its label says what it opens
    const info = el("button", { type: "button", class: "tile-info", "data-standard": code }, "i");
    info.setAttribute("aria-label", t("standard_info_label", { service: tileName(tile) }));
    info.addEventListener("click", (ev) => {
      ev.stopPropagation();
      open(code, info);
    });
    wrap.append(tile, info);
    lowered = place(wrap) || lowered;
  }
  // a button moved down beside the letter takes room from the counts: fit the grid's text again around it
  if (lowered) fitTiles();
}

/**
 * The button sits in the tile's top-right corner, the name's first line flowing around it; a name that would then
 * not fit its tile keeps its whole room, and the button moves down beside the tile's letter instead.
 */
function place(wrap) {
  const tile = wrap.querySelector(".tile");
  const name = tile.querySelector(".tile-name");
  const prefix = tile.querySelector(".tile-prefix");
  wrap.classList.remove("info-low");
  if (tile.disabled || !name || name.scrollHeight <= name.clientHeight + 1 || !prefix?.offsetWidth) return false;
  const left = prefix.getBoundingClientRect().right - wrap.getBoundingClientRect().left;
  wrap.style.setProperty("--info-left", `${Math.round(left)}px`);
  wrap.classList.add("info-low");
  return true;
}

function renderValue(value) {
  if (Array.isArray(value)) return el("ul", {}, ...value.map((line) => el("li", {}, line)));
  return el("p", {}, value);
}

function render() {
  const code = state.open;
  if (!code) return;
  const tile = document.querySelector(`.tile[data-service="${CSS.escape(code)}"]`);
  const group = tile?.closest(".k-group");
  $("k-standard-kicker").textContent = t("standard_title");
  $("k-standard-name").textContent = tile ? tileName(tile) : code;
  $("k-standard-agency").textContent = group?.querySelector(".k-group-head")?.title || "";
  const list = el("dl", { class: "k-standard-list", id: "k-standard-list" });
  for (const c of data.services[code] || []) {
    // a <div> per component (allowed in a <dl>): a wide screen sets them in two columns, never split
    list.append(el("div", "k-std-item", el("dt", { "data-key": c.key }, nameOf(c)), el("dd", {}, renderValue(c.value))));
  }
  $("k-standard-list").replaceWith(list);
  $("k-standard-note").textContent = t("standard_note");
  $("k-standard-close").textContent = t("standard_close");
  $("k-standard-take").textContent = t("standard_take");
  $("k-standard-take").hidden = !tile || tile.disabled;
}

function open(code, opener) {
  state.open = code;
  state.opener = opener;
  state.lastTouch = Date.now();
  render();
  $("k-standard").hidden = false;
  $("k-standard-body").scrollTop = 0;
  $("k-standard-close").focus();
  refresh(code);
}

/** The standard as the server has it now (an admin may have changed it since the page loaded). */
async function refresh(code) {
  try {
    const fresh = await getJSON(`/api/services/${encodeURIComponent(code)}/standard`, { timeout: 4000 });
    const publicKeys = new Set(Object.keys(data.names).filter((k) => data.names[k].public));
    data.services[code] = fresh.components.filter((c) => publicKeys.has(c.key));
    if (state.open === code) render();
  } catch {
    /* offline or removed meanwhile: what the page brought stays */
  }
}

function close() {
  if (!state.open) return;
  state.open = null;
  $("k-standard").hidden = true;
  if (state.opener?.isConnected) state.opener.focus();
  state.opener = null;
}

function take() {
  const code = state.open;
  close();
  document.querySelector(`.tile[data-service="${CSS.escape(code)}"]`)?.click(); // kiosk.js takes the ticket
}

function build() {
  const overlay = el("div", { class: "k-overlay k-standard", id: "k-standard", role: "dialog", hidden: true,
    "aria-modal": "true", "aria-labelledby": "k-standard-name" },
  el("div", "k-standard-card",
    el("div", "k-standard-head",
      el("p", { class: "k-standard-kicker", id: "k-standard-kicker" }),
      el("h2", { class: "k-standard-name", id: "k-standard-name" }),
      el("p", { class: "k-standard-agency", id: "k-standard-agency" })),
    el("div", { class: "k-standard-body", id: "k-standard-body" },
      el("dl", { class: "k-standard-list", id: "k-standard-list" }),
      el("p", { class: "k-standard-note", id: "k-standard-note" })),
    el("div", "k-standard-foot",
      el("button", { type: "button", class: "k-big-btn k-secondary", id: "k-standard-close" }),
      el("button", { type: "button", class: "k-big-btn", id: "k-standard-take" }))));
  document.body.append(overlay);
  $("k-standard-close").addEventListener("click", close);
  $("k-standard-take").addEventListener("click", take);
  overlay.addEventListener("click", (ev) => {
    if (ev.target === overlay) close(); // a tap beside the card
  });
}

build();
decorate();
new MutationObserver(decorate).observe($("grid"), { childList: true, subtree: true });
// a name's room is known once the fonts are in: place the buttons again then
const placeAll = () => {
  const lowered = [...document.querySelectorAll(".tile-wrap")].map(place).some(Boolean);
  if (lowered) fitTiles();
};
document.fonts?.ready.then(placeAll);
window.addEventListener("load", placeAll);
window.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape") close();
});
for (const type of ["pointerdown", "keydown", "touchstart"]) {
  window.addEventListener(type, () => { state.lastTouch = Date.now(); }, { passive: true });
}
$("lang-toggle")?.addEventListener("click", () => setTimeout(() => {
  decorate();
  for (const info of document.querySelectorAll(".tile-info")) {
    const tile = info.parentElement.querySelector(".tile");
    if (tile) info.setAttribute("aria-label", t("standard_info_label", { service: tileName(tile) }));
  }
  render();
}, 0));
setInterval(() => {
  if (state.open && Date.now() - state.lastTouch > settings.idle_seconds * 1000) close();
}, 1000);
