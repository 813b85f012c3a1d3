// A visit that crosses services (docs/visits.md) on the visitor's page: one number from the first desk to
// the last. The steps of its route, each done / now / next; where to go next with that step's estimated
// wait; and, when the service of the step the visitor waits for (or goes to next) is closed, that the number
// stays valid and when it opens again. Drawn from the `route` of the ticket's view on every update.

import { $, el } from "/static/js/dom.js";
import { lang, t } from "/static/js/i18n.js";

const minutes = (sec) => (sec < 60 ? t("route_wait_soon") : t("route_wait", { n: Math.round(sec / 60) }));

/** When a closed step opens again, in the page's language ("Buka kembali pukul 13.00"), or "". */
function reopens(step) {
  return step.reopens_label ? step.reopens_label[lang()] || step.reopens_label.id : "";
}

/** The sentence under the steps: the closed step the visitor waits for, else what comes next. */
export function routeNote(tk) {
  const route = tk.route || [];
  const current = route.find((s) => s.state === "current");
  const next = route.find((s) => s.state === "next");
  if (tk.status === "done") return t("route_all_done");
  if (current && current.open === false && tk.status === "waiting") {
    return [t("route_closed_now", { service: current.service_name }), reopens(current), t("route_keep_number")]
      .filter(Boolean).join(" ");
  }
  if (!next) return t("route_last_step");
  if (next.open === false) {
    return [t("route_next_closed", { service: next.service_name }), reopens(next)].filter(Boolean).join(" ");
  }
  const wait = next.estimated_wait_seconds;
  return t("route_go_next", { service: next.service_name }) + (wait === null || wait === undefined ? "" : ` · ${minutes(wait)}`);
}

/** Whether `tk` waits at a step whose service is closed now. */
export function waitsClosed(tk) {
  return tk.status === "waiting" && (tk.route || []).some((s) => s.state === "current" && s.open === false);
}

let recheck = null;

/** Draw the route of `tk` (the `GET /api/tickets/<token>` body); hidden for a visit of one service.
 * While it waits at a closed step, `resync()` is called when that step opens by its hours (and every minute
 * meanwhile: an admin's closure lifted also moves its line, which the page hears at once). */
export function renderRoute(tk, resync) {
  clearTimeout(recheck);
  const box = $("tk-route");
  if (!box) return;
  const route = tk.route || [];
  box.hidden = route.length < 2;
  if (box.hidden) return;
  if (resync && waitsClosed(tk)) {
    const at = Date.parse(route.find((s) => s.state === "current").reopens_at || "");
    const wait = Number.isNaN(at) ? 60000 : Math.min(60000, Math.max(1000, at - Date.now() + 1000));
    recheck = setTimeout(resync, wait);
  }
  $("tk-route-steps").replaceChildren(...route.map((s, i) => el("li",
    { class: `rt-step rt-${s.state}`, "data-state": s.state, "data-service": s.service,
      "aria-current": s.state === "current" ? "step" : "false" },
    el("span", { class: "rt-mark", "aria-hidden": "true" }, s.state === "done" ? "✓" : String(i + 1)),
    el("span", "rt-name", s.service_name),
    el("span", "rt-state", t(`route_${s.state}`)))));
  const note = $("tk-route-note");
  note.textContent = routeNote(tk);
  note.dataset.closed = waitsClosed(tk) ? "1" : "0";
  // no "any moment now" while the desk is closed: the wait box says when it opens instead
  if (waitsClosed(tk) && $("tk-eta")) {
    const current = route.find((s) => s.state === "current");
    $("tk-eta").textContent = [t("route_closed_short"), reopens(current)].filter(Boolean).join(" · ");
  }
}
