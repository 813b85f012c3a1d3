// The clerk's view of a visit that crosses services (docs/visits.md): the current ticket's route, the step
// "Selesai" sends it on to (and whether that service is open now), where the visitor came from, and two more
// actions: end the whole visit here (`end_visit`), or send it on to another step its route names (`next`).
// panel.js draws it with the rest of the panel (renderVisit), acts through its own act(), and reads
// finishNote() for what a finish did.

import { $, el } from "/static/js/dom.js";
import { lang, t } from "/static/js/i18n.js";

/** The panel's actions for a visit: the finish endpoint with a body (`finish-to` asks which step first). */
export const VISIT_ACTIONS = {
  "end-visit": { path: "finish", body: () => ({ end_visit: true }) },
  "finish-to": { path: "finish" },
};

function actionButton(action, key, label) {
  return el("button", { class: "act act-visit", "data-action": action, "data-key": key, disabled: true, hidden: true },
    el("span", {}, t(label)), el("kbd", {}, key.toUpperCase()));
}

// built when the module loads, before panel.js wires the buttons of #actions (it imports this module)
const box = el("section", { class: "visit", id: "visit", hidden: true, "aria-label": t("visit_title") },
  el("div", "visit-row", el("span", "visit-title", t("visit_title")), el("ol", { class: "visit-route", id: "visit-route" })),
  el("div", "visit-row", el("p", { class: "visit-next", id: "visit-next" }), el("span", { class: "visit-from", id: "visit-from" })));
$("now-card")?.after(box);
$("actions")?.append(actionButton("end-visit", "e", "visit_end"), actionButton("finish-to", "g", "visit_go_to"));
const dialog = el("dialog", { class: "dlg", id: "visit-dialog" },
  el("form", { method: "dialog" }, el("h2", { id: "visit-dialog-title" }),
    el("div", { class: "svc-list", id: "visit-steps" }),
    el("div", "dlg-buttons", el("button", { type: "submit", value: "cancel", class: "btn" }, t("cancel"), " ", el("kbd", {}, "Esc")))));
document.body.append(dialog);
dialog.addEventListener("keydown", (e) => {
  if (/^[1-9]$/.test(e.key)) {
    const b = $("visit-steps").querySelectorAll("button")[Number(e.key) - 1];
    if (b) { e.preventDefault(); b.click(); }
  }
});

const reopens = (step) => (step?.reopens_label ? step.reopens_label[lang()] || step.reopens_label.id : "");

/** Whether a visit action fits the panel's view now (the server checks again). */
export function visitAllows(action, view) {
  const cur = view?.counter.current;
  const open = cur && (cur.status === "called" || cur.status === "serving");
  const visit = view?.visit;
  if (!open || !visit || !visit.next) return false;
  return action === "end-visit" || (action === "finish-to" && visit.may_go_to.length > 1);
}

/** Draw the current ticket's visit (hidden for a visit of one service). */
export function renderVisit(view) {
  const visit = view?.visit;
  const cur = view?.counter.current;
  box.hidden = !visit || !cur || visit.number !== cur.number;
  $("panel")?.classList.toggle("has-visit", !box.hidden); // a smaller number leaves room for the route
  for (const b of document.querySelectorAll("#actions .act-visit")) b.hidden = box.hidden || !visit.next;
  if (box.hidden) return;
  $("visit-route").replaceChildren(...visit.route.map((s, i) => el("li",
    { class: `visit-step visit-${s.state}`, "data-state": s.state, "data-service": s.service, title: s.service_name },
    el("span", "visit-mark", s.state === "done" ? "✓" : String(i + 1)), el("span", "visit-name", s.service_name))));
  const from = visit.came_from;
  $("visit-from").textContent = from ? t("visit_from", { service: from.service_name, counter: from.counter || "" }) : "";
  const next = visit.next;
  const line = $("visit-next");
  line.dataset.closed = next && !next.open ? "1" : "0";
  if (!next) line.textContent = t("visit_last");
  else if (next.open) line.textContent = t("visit_then", { service: next.service_name });
  else line.textContent = [t("visit_then_closed", { service: next.service_name }), reopens(next)].filter(Boolean).join(" · ");
}

/** What a finish did to the visit, for the panel's message: `[text, kind]`, or null when it simply ended. */
export function finishNote(data) {
  const moved = data?.next_step;
  if (!moved) return null;
  if (moved.open) return [t("visit_moved", { number: moved.number, service: moved.service_name }), "ok"];
  return [[t("visit_moved_closed", { number: moved.number, service: moved.service_name }), reopens(moved)]
    .filter(Boolean).join(" · "), "err"];
}

/** Ask which step of the route to send the current ticket to; `choose(code)` acts. */
export function pickStep(view, choose) {
  const visit = view?.visit;
  if (!visit) return;
  $("visit-dialog-title").textContent = t("visit_go_to_title", { number: visit.number });
  $("visit-steps").replaceChildren(...visit.may_go_to.map((s, i) => {
    const b = el("button", { type: "button", class: "svc", "data-service": s.service },
      el("kbd", {}, i < 9 ? String(i + 1) : ""), el("span", "svc-name", s.service_name), el("span", "svc-prefix", s.service));
    b.addEventListener("click", () => {
      dialog.close();
      choose(s.service);
    });
    return b;
  }));
  dialog.showModal();
}
