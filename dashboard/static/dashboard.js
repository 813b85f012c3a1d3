// The live dashboard: renders the snapshot, re-reads it when the hub says a queue or counter changed
// (debounced), and ticks the timers every second between snapshots. No page reloads.
import { $, el } from "/static/js/dom.js";
import { getJSON, setUnauthorizedHandler } from "/static/js/http.js";
import { t } from "/static/js/i18n.js";
import { connect } from "/static/js/live.js";
import { ServerClock, calendarDay, clockTime, duration } from "/static/js/time.js";
import { hourlyChart, histogramChart, pct, updateHistogram, updateHourly, wireAgencyPicker } from "./common.js";
import { renderVisits } from "./visits.js";

const snapEl = $("snapshot");
const agency = snapEl.dataset.agency || "";
const API = "/api/stats/dashboard" + (agency ? `?agency=${encodeURIComponent(agency)}` : "");
const DEBOUNCE_MS = 300;
const FALLBACK_REFRESH_MS = 30000;

let snapshot = JSON.parse(snapEl.textContent);
const clock = new ServerClock(); // timers follow the server's time, not this PC's
let receivedAt = Date.now();
let charts = null;

function level(longest, target, amberFrom) {
  if (!longest) return "green";
  if (longest > target) return "red";
  return longest >= amberFrom * target ? "amber" : "green";
}

function renderKpis(today) {
  for (const [key, value] of Object.entries(today)) {
    const node = $(`kpi-${key}`);
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
                      longest === null ? t("nobody_waiting") : duration(longest))),
      // the target is a length of time, never a clock time: "15 menit", not "15:00"
      el("td", { class: "num target" }, t("target_minutes", { m: Math.round(s.target_wait_seconds / 60) })),
      el("td", { class: "num" }, `${s.open_counters} / ${s.counters}`));
  }));
}

function renderCounters(counters) {
  const box = $("counters");
  box.replaceChildren(...counters.map((c) => {
    // staffed (a clerk has it open), paused, or closed (no clerk's panel connected): only a staffed
    // counter calls, and only it counts in the visitors' estimates
    const card = el("div", { class: `ctr ${c.presence}${c.current ? " busy" : ""}`, "data-counter": c.code,
                             "data-presence": c.presence },
      el("div", { class: "ctr-head" }, el("strong", {}, c.name),
         el("span", { class: `state ${c.presence}` }, t(`presence_${c.presence}`))));
    if (c.current) {
      const cur = c.current;
      card.append(
        el("div", { class: "ctr-number" }, cur.number, cur.priority ? el("span", { class: "prio" }, t("priority")) : ""),
        el("div", { class: "ctr-detail" }, `${t(`status_${cur.status}`)} ${t("for")} `,
           el("span", { class: "timer", "data-since": cur.since || "" }, duration(cur.seconds))),
        el("div", { class: "muted small" }, `${t("clerk")}: ${cur.clerk ?? "—"} · ${cur.service}`));
    } else {
      card.append(el("div", { class: "ctr-idle muted" },
                     c.presence === "closed" ? t("nobody_there") : c.presence === "paused" ? t("presence_paused") : t("idle")));
    }
    return card;
  }));
}

function renderCharts(snap) {
  const note = $("hourly-note");
  note.textContent = t("hourly_note", { weeks: 8, days: snap.hourly.baseline_days });
  if (!window.Chart) return;
  if (!charts) {
    charts = {
      hourly: hourlyChart($("hourly-chart"), snap.hourly),
      histogram: histogramChart($("histogram-chart"), snap.wait_histogram),
    };
  } else {
    updateHourly(charts.hourly, snap.hourly);
    updateHistogram(charts.histogram, snap.wait_histogram);
  }
}

/** Today's online bookings per service (a card of its own, hidden while nobody booked today). */
async function renderBookings(day) {
  let figures;
  try {
    figures = await getJSON(`/api/stats/bookings?from=${day}&to=${day}${agency ? `&agency=${encodeURIComponent(agency)}` : ""}`,
                            { background: true });
  } catch {
    return; // the figures above stay; the next refresh tries again
  }
  $("bookings-card").hidden = figures.days.length === 0;
  document.querySelector("#bookings tbody").replaceChildren(...figures.days.map((d) =>
    el("tr", { "data-service": d.service }, el("td", {}, d.service),
       ...[d.made, d.checked_in, d.open, d.expired, d.cancelled].map((n) => el("td", { class: "num" }, String(n))),
       el("td", { class: "num" }, d.no_show_rate === null ? "—" : pct(d.no_show_rate * 100)))));
}

function render(snap) {
  snapshot = snap;
  receivedAt = Date.now();
  clock.sync(snap.at);
  $("day").textContent = calendarDay(snap.day);
  $("updated").textContent = clockTime(clock.now(), { seconds: true });
  renderKpis(snap.today);
  renderServices(snap.services);
  renderCounters(snap.counters);
  renderCharts(snap);
  renderBookings(snap.day);
  renderVisits(snap.today_visits); // visits that crossed services, per route
  document.body.dataset.version = String((Number(document.body.dataset.version) || 0) + 1);
}

// Timers tick locally; the figures only change when a snapshot arrives.
function tick() {
  const now = clock.now();
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
    render(await getJSON(API));
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

function setLive(live) {
  const conn = $("conn");
  conn.textContent = live ? t("connected") : t("disconnected");
  conn.className = live ? "conn on" : "conn off";
}

setUnauthorizedHandler(() => {
  location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
});
wireAgencyPicker();
render(snapshot);
setInterval(tick, 1000);
setInterval(refresh, FALLBACK_REFRESH_MS);
// on every (re)connect and when the tab is back: catch up on whatever happened meanwhile
connect("/dashboard", {
  on: {
    queue_changed: schedule,
    counter_changed: schedule,
    // signed out elsewhere, disabled, password reset: the server closes this socket; show the sign-in page
    access_ended: () => location.assign(`/login?next=${encodeURIComponent(location.pathname)}`),
  },
  onStatus: setLive,
  onResync: schedule,
});
