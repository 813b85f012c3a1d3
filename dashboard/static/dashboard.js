// The live dashboard: renders the snapshot, re-reads it when the hub says a queue or counter changed
// (debounced), and ticks the timers every second between snapshots. No page reloads.
import { io } from "/static/vendor/socket.io/socket.io.esm.min.js";
import { t, duration, pct, hourlyChart, updateHourly, histogramChart, updateHistogram } from "./common.js";

const snapEl = document.getElementById("snapshot");
const agency = snapEl.dataset.agency || "";
const API = "/api/stats/dashboard" + (agency ? `?agency=${encodeURIComponent(agency)}` : "");
const DEBOUNCE_MS = 300;
const FALLBACK_REFRESH_MS = 30000;

let snapshot = JSON.parse(snapEl.textContent);
let skewMs = 0; // server clock minus browser clock, so timers follow the server's time
let receivedAt = Date.now();
let charts = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return node;
}

function serverNow() {
  return Date.now() + skewMs;
}

function level(longest, target, amberFrom) {
  if (!longest) return "green";
  if (longest > target) return "red";
  return longest >= amberFrom * target ? "amber" : "green";
}

function renderKpis(today) {
  for (const [key, value] of Object.entries(today)) {
    const node = document.getElementById(`kpi-${key}`);
    if (!node) continue;
    if (key.endsWith("_seconds")) node.textContent = duration(value);
    else if (key === "within_target_pct") node.textContent = pct(value);
    else node.textContent = String(value);
  }
}

function renderServices(services) {
  const body = document.querySelector("#services tbody");
  const elapsed = (Date.now() - receivedAt) / 1000;
  body.replaceChildren(...services.map((s) => {
    const longest = s.longest_wait_seconds === null ? null : s.longest_wait_seconds + elapsed;
    const lvl = level(longest, s.target_wait_seconds, snapshot.amber_from);
    return el("tr", { "data-service": s.code, class: `lvl-${lvl}` },
      el("td", {}, el("span", { class: "prefix" }, s.prefix), " ", s.name, el("span", { class: "muted small" }, ` ${s.agency}`)),
      el("td", { class: "num waiting" }, String(s.waiting)),
      el("td", {}, el("span", { class: `badge ${lvl}`, "data-longest": "" },
                      longest === null ? t("nobody_waiting") : duration(longest)),
         el("span", { class: "muted" }, ` / ${duration(s.target_wait_seconds)}`)),
      el("td", { class: "num" }, `${s.open_counters} / ${s.counters}`));
  }));
}

function renderCounters(counters) {
  const box = document.getElementById("counters");
  box.replaceChildren(...counters.map((c) => {
    const card = el("div", { class: `ctr ${c.state}${c.current ? " busy" : ""}`, "data-counter": c.code },
      el("div", { class: "ctr-head" }, el("strong", {}, c.name),
         el("span", { class: `state ${c.state}` }, t(`state_${c.state}`))));
    if (c.current) {
      const cur = c.current;
      card.append(
        el("div", { class: "ctr-number" }, cur.number, cur.priority ? el("span", { class: "prio" }, t("priority")) : ""),
        el("div", { class: "ctr-detail" }, `${t(`status_${cur.status}`)} ${t("for")} `,
           el("span", { class: "timer", "data-since": cur.since || "" }, duration(cur.seconds))),
        el("div", { class: "muted small" }, `${t("clerk")}: ${cur.clerk ?? "—"} · ${cur.service}`));
    } else {
      card.append(el("div", { class: "ctr-idle muted" }, c.state === "paused" ? t("state_paused") : t("idle")));
    }
    return card;
  }));
}

function renderCharts(snap) {
  const note = document.getElementById("hourly-note");
  note.textContent = t("hourly_note", { weeks: 8, days: snap.hourly.baseline_days });
  if (!window.Chart) return;
  if (!charts) {
    charts = {
      hourly: hourlyChart(document.getElementById("hourly-chart"), snap.hourly),
      histogram: histogramChart(document.getElementById("histogram-chart"), snap.wait_histogram),
    };
  } else {
    updateHourly(charts.hourly, snap.hourly);
    updateHistogram(charts.histogram, snap.wait_histogram);
  }
}

function render(snap) {
  snapshot = snap;
  receivedAt = Date.now();
  skewMs = Date.parse(snap.at) - receivedAt;
  document.getElementById("day").textContent = new Date(snap.day + "T12:00:00").toLocaleDateString(
    document.documentElement.lang === "en" ? "en-GB" : "id-ID", { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  document.getElementById("updated").textContent = new Date(serverNow()).toLocaleTimeString("id-ID");
  renderKpis(snap.today);
  renderServices(snap.services);
  renderCounters(snap.counters);
  renderCharts(snap);
  document.body.dataset.version = String((Number(document.body.dataset.version) || 0) + 1);
}

// Timers tick locally; the figures only change when a snapshot arrives.
function tick() {
  const now = serverNow();
  for (const node of document.querySelectorAll(".timer[data-since]")) {
    const since = Date.parse(node.dataset.since);
    if (!Number.isNaN(since)) node.textContent = duration((now - since) / 1000);
  }
  renderServices(snapshot.services);
}

let pending = null;
let inFlight = false;
let again = false;

async function refresh() {
  if (inFlight) { again = true; return; }
  inFlight = true;
  try {
    const resp = await fetch(API, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (resp.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); return; }
    if (resp.ok) render(await resp.json());
  } catch (err) {
    console.warn("dashboard refresh failed", err);
  } finally {
    inFlight = false;
    if (again) { again = false; schedule(); }
  }
}

function schedule() {
  clearTimeout(pending);
  pending = setTimeout(refresh, DEBOUNCE_MS);
}

function connect() {
  const conn = document.getElementById("conn");
  const socket = io("/dashboard", { transports: ["websocket", "polling"] });
  socket.on("connect", () => {
    conn.textContent = t("connected");
    conn.className = "conn on";
    schedule(); // catch up on whatever happened while disconnected
  });
  socket.on("disconnect", () => { conn.textContent = t("disconnected"); conn.className = "conn off"; });
  socket.on("connect_error", () => { conn.textContent = t("disconnected"); conn.className = "conn off"; });
  socket.on("queue_changed", schedule);
  socket.on("counter_changed", schedule);
  // signed out elsewhere, disabled, password reset: the server closes this socket; show the sign-in page
  socket.on("access_ended", () => location.assign(`/login?next=${encodeURIComponent(location.pathname)}`));
}

const agencySelect = document.getElementById("agency-select");
agencySelect?.addEventListener("change", () => document.getElementById("agency-form").submit());

render(snapshot);
setInterval(tick, 1000);
setInterval(refresh, FALLBACK_REFRESH_MS);
connect();
