// The kiosk's service tiles: grouped by agency, packed into a grid that fills its area without scrolling,
// their text shrunk (fit.js) until the longest name of the site shows whole. A closed tile stays
// touchable (aria-disabled): touching it explains why it is closed and when it opens.

import { $, el } from "/static/js/dom.js";
import { fit, overflows } from "/static/js/fit.js";
import { lang, t } from "/static/js/i18n.js";
import { clockTime, dayName, etaMinutes as minutes, siteDay } from "/static/js/time.js";

let layoutKey = "";

export function serviceName(s) {
  return lang() === "en" && s.name_en ? s.name_en : s.name;
}

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
  // the agency's name above each group's tiles: up to two lines, one (its code) in the wheelchair layout
  const lines = document.body.classList.contains("low") ? 1 : 2;
  const header = Math.min(width, height) * 0.025 * lines * (document.body.classList.contains("big") ? 1.35 : 1);
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
  // nobody on duty for it: no clerk has a counter serving it open, so no wait can be promised
  const eta = s.nobody_on_duty ? t("eta_nobody")
    : s.estimated_wait_seconds ? t("eta", { m: minutes(s.estimated_wait_seconds) }) : t("eta_now");
  return { waiting, eta };
}

/** When a closed service opens again, in the screen's language and the screens' time format. */
function reopens(s) {
  if (!s.reopens_at) return "";
  const at = new Date(s.reopens_at);
  return siteDay(at) === siteDay() ? t("reopens_today", { t: clockTime(at) })
    : t("reopens_day", { day: dayName(at), t: clockTime(at) });
}

/** Why a service is closed: `text` (short, on its tile), `detail` (when it opens, the admin's reason). */
export function closedReason(s) {
  if (s.closed_reason === "holiday") return { text: t("holiday_named", { name: s.holiday || "" }), detail: reopens(s) };
  if (s.closed_reason === "outside_hours") {
    return { text: t("outside_hours"), detail: reopens(s) || (s.hours ? t("outside_hours_window", { hours: s.hours }) : "") };
  }
  if (s.closed_reason === "quota_reached") return { text: t("quota_reached"), detail: reopens(s) };
  return { text: t("closed"), detail: s.closed_message || reopens(s) };
}

function buildTile(s) {
  const tile = el("button", { type: "button", class: "tile", "data-service": s.code },
    el("span", "tile-name"),
    el("span", "tile-bottom", el("span", "tile-prefix", s.prefix), el("span")));
  fillTile(tile, s);
  return tile;
}

function fillTile(tile, s) {
  tile.classList.toggle("closed", !s.open);
  if (s.open) tile.removeAttribute("aria-disabled");
  else tile.setAttribute("aria-disabled", "true");
  tile.querySelector(".tile-name").textContent = serviceName(s);
  const info = tile.querySelector(".tile-bottom").lastElementChild;
  info.replaceChildren();
  if (s.open) {
    info.className = "tile-stats";
    const { waiting, eta } = tileStats(s);
    info.append(el("span", "tile-waiting", waiting), el("span", s.nobody_on_duty ? "tile-eta nobody" : "tile-eta", eta));
  } else {
    info.className = "tile-reason";
    const { text, detail } = closedReason(s);
    info.append(el("span", "tile-reason-text", text));
    if (detail) info.append(el("small", {}, detail));
  }
}

const HEAD_MIN_FIT = 0.75; // an agency's name smaller than this gives way to its code alone

/** Fit the grid's text: the agencies' names, then the tiles (what is too long for its place gives way:
 * an agency's name to its code, a closed tile's detail to "touch for details"). */
export function fitTiles() {
  const grid = $("grid");
  grid.style.setProperty("--fit", "1");
  grid.style.setProperty("--head-fit", String(HEAD_MIN_FIT));
  for (const head of grid.querySelectorAll(".k-group-head")) {
    head.classList.remove("code-only");
    if (overflows(head)) head.classList.add("code-only");
  }
  for (const tile of grid.querySelectorAll(".tile.closed")) {
    const detail = tile.querySelector(".tile-reason small");
    if (detail && overflows(tile)) detail.textContent = t("closed_touch"); // the whole reason is in the dialog
  }
  fit(grid, { prop: "--head-fit", items: ".k-group-head", min: HEAD_MIN_FIT });
  fit(grid, { items: ".tile, .tile-name, .tile-reason, .tile-eta" });
}

function keyOf(services) {
  return `${lang()}|${window.innerWidth}x${window.innerHeight}|${document.body.className}|`
    + services.map((s) => `${s.code}:${s.open}`).join(",");
}

/** Lay the tiles out anew (a new language, size or layout, a service opened or closed). */
export function renderTiles(services) {
  const grid = $("grid");
  const groups = groupsOf(services);
  grid.style.setProperty("--fit", "1");
  const { cols, rows } = chooseColumns(groups, grid.clientWidth || window.innerWidth,
    grid.clientHeight || window.innerHeight * 0.7);
  grid.style.setProperty("--cols", String(cols));
  grid.style.setProperty("--rows", String(Math.max(1, rows)));
  const sections = groups.map((g) => {
    const { span, rows: h } = blockOf(g.items.length, cols);
    const section = el("section", { class: `k-group agency-${g.index % 10}`, "data-agency": g.agency },
      el("h2", "k-group-head", el("b", {}, g.agency), el("span", "k-agency-name", ` · ${g.name}`)));
    section.style.setProperty("grid-column", `span ${span}`);
    section.style.setProperty("grid-row", `span ${h}`);
    const tiles = el("div", "k-group-tiles", ...g.items.map(buildTile));
    tiles.style.setProperty("--span", String(span));
    section.append(tiles);
    return section;
  });
  grid.replaceChildren(...sections);
  layoutKey = keyOf(services);
  fitTiles();
}

/** New counts: update the tiles in place unless what is shown (open/closed, the set) changed. */
export function refreshTiles(services) {
  if (keyOf(services) !== layoutKey) {
    renderTiles(services);
    return;
  }
  for (const s of services) {
    const tile = document.querySelector(`.tile[data-service="${CSS.escape(s.code)}"]`);
    if (tile) fillTile(tile, s);
  }
  fitTiles();
}
