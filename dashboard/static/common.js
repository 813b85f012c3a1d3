// Shared parts of the two dashboard pages: the agency picker, percentages and the Chart.js charts.
// (Texts, times and HTTP come from /static/js/ like on every screen.)

import { $ } from "/static/js/dom.js";
import { percent, t } from "/static/js/i18n.js";

/** A share in percent as the page's language writes it: "83,3%" (id), "83.3%" (en). */
export const pct = (value) => percent(value, 1);

const COLORS = { today: "#0b5cad", calls: "#1e7d3a", avg: "#b26a00", callsAvg: "#7a4fb3", bar: "#0b5cad" };

function chartDefaults() {
  const C = window.Chart;
  C.defaults.font.family = getComputedStyle(document.body).fontFamily;
  C.defaults.animation = false;
  C.defaults.maintainAspectRatio = false;
}

/** Bars for today's arrivals and calls per hour, lines for the same weekday's averages. */
export function hourlyChart(canvas, hourly) {
  chartDefaults();
  const hours = visibleHours(hourly);
  const pick = (arr) => hours.map((h) => arr[h]);
  return new window.Chart(canvas, {
    data: {
      labels: hours.map((h) => `${String(h).padStart(2, "0")}:00`),
      datasets: [
        { type: "bar", label: t("arrivals_today"), data: pick(hourly.arrivals), backgroundColor: COLORS.today },
        { type: "bar", label: t("calls_today"), data: pick(hourly.calls), backgroundColor: COLORS.calls },
        { type: "line", label: t("arrivals_avg"), data: pick(hourly.arrivals_avg), borderColor: COLORS.avg,
          backgroundColor: COLORS.avg, borderDash: [6, 4], tension: 0.25, pointRadius: 2 },
        { type: "line", label: t("calls_avg"), data: pick(hourly.calls_avg), borderColor: COLORS.callsAvg,
          backgroundColor: COLORS.callsAvg, borderDash: [2, 3], tension: 0.25, pointRadius: 2 },
      ],
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
               plugins: { legend: { position: "bottom", labels: { boxWidth: 14 } } } },
  });
}

/** Office hours plus any hour that had activity today or on average. */
function visibleHours(h) {
  const active = h.hours.filter((i) => h.arrivals[i] || h.calls[i] || h.arrivals_avg[i] || h.calls_avg[i]);
  const lo = Math.min(7, ...active), hi = Math.max(16, ...active);
  return h.hours.filter((i) => i >= lo && i <= hi);
}

export function updateHourly(chart, hourly) {
  const hours = visibleHours(hourly);
  chart.data.labels = hours.map((h) => `${String(h).padStart(2, "0")}:00`);
  ["arrivals", "calls", "arrivals_avg", "calls_avg"].forEach((k, i) => {
    chart.data.datasets[i].data = hours.map((h) => hourly[k][h]);
  });
  chart.update();
}

function bucketLabel(b) {
  return b.to === null ? `≥ ${b.from}` : `${b.from}–${b.to}`;
}

/** Called tickets per wait bucket (minutes). */
export function histogramChart(canvas, buckets) {
  chartDefaults();
  return new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: buckets.map(bucketLabel),
      datasets: [{ label: t("tickets"), data: buckets.map((b) => b.count),
                   backgroundColor: COLORS.bar }],
    },
    options: {
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } },
                x: { title: { display: true, text: t("minutes") } } },
      plugins: { legend: { display: false } },
    },
  });
}

export function updateHistogram(chart, buckets) {
  chart.data.labels = buckets.map(bucketLabel);
  chart.data.datasets[0].data = buckets.map((b) => b.count);
  chart.update();
}

/** Changing the agency reloads the page for it (the server decides what a manager may see). */
export function wireAgencyPicker() {
  $("agency-select")?.addEventListener("change", () => $("agency-form").submit());
}
