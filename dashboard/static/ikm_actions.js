// The SKM follow-up beside the IKM (/dashboard/ikm): plan an action on an element, move it on with its evidence.
// Each change goes through the API (the same rules as any client: a manager only for their agency), then the page
// reloads to show it where the server puts it.

import { $ } from "/static/js/dom.js";
import { HttpError, postJSON, request } from "/static/js/http.js";
import { t } from "/static/js/i18n.js";
import { wireAgencyPicker } from "./common.js";

function fail(err, where) {
  const box = where || $("ikm-action-error");
  box.textContent = t("a_error", { message: err instanceof HttpError ? err.message : String(err) });
  box.hidden = false;
}

function reloadAt(id) {
  window.location.hash = id;
  window.location.reload();
}

$("ikm-action-form")?.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target.elements;
  const body = { period: f.period.value, unsur: f.unsur.value, action: f.action.value.trim(), owner: f.owner.value.trim(),
    due: f.due.value };
  if (f.agency && f.agency.value) body.agency = f.agency.value;
  try {
    await postJSON("/api/stats/ikm/actions", body);
    reloadAt("ikm-actions");
  } catch (err) {
    fail(err);
  }
});

for (const form of document.querySelectorAll("form.act-move")) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const status = ev.submitter?.value || "done";
    const evidence = form.elements.evidence.value.trim();
    const body = evidence ? { status, evidence } : { status };
    try {
      await request("PATCH", `/api/stats/ikm/actions/${form.dataset.action}`, { body });
      reloadAt("ikm-actions");
    } catch (err) {
      fail(err);
    }
  });
}
wireAgencyPicker();
document.body.dataset.ready = "1";
