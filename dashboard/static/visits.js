// Visits that cross services on the live dashboard (docs/visits.md): today's visits done, how long a whole
// visit took (first ticket to last finish), and the same per route. Hidden until a route's visit is done.
import { $, el } from "/static/js/dom.js";
import { duration } from "/static/js/time.js";

const time = (seconds) => (seconds === null || seconds === undefined ? "—" : duration(seconds));

/** Draw the snapshot's `today_visits`. */
export function renderVisits(visits) {
  const card = $("visits-card");
  if (!card || !visits) return;
  card.hidden = visits.routes.length === 0;
  $("visits-done").textContent = String(visits.done);
  $("visits-avg").textContent = time(visits.avg_visit_seconds);
  $("visits-p90").textContent = time(visits.p90_visit_seconds);
  document.querySelector("#visits tbody").replaceChildren(...visits.routes.map((r) =>
    el("tr", { "data-route": r.route.join(" ") }, el("td", {}, r.route.join(" → ")),
       el("td", { class: "num" }, String(r.done)), el("td", { class: "num" }, time(r.avg_visit_seconds)),
       el("td", { class: "num" }, time(r.p90_visit_seconds)))));
}
