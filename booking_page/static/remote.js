// Joining a line from afar (/antre), phone first: today's services that take it, each with its wait and its
// places from afar left (read again every 30 s), an optional phone number, then the live ticket page
// (/t/<token>), which shows the check-in code and says when to come.

import { $, el, jsonBlock } from "/static/js/dom.js";
import { HttpError, getJSON, newKey, postJSON } from "/static/js/http.js";
import { lang, t } from "/static/js/i18n.js";

const data = jsonBlock("remote-data", { services: [] });
let services = data.services;
let chosen = null;

function showError(text) {
  $("rm-error").hidden = !text;
  $("rm-error").textContent = text || "";
}

const takes = (s) => s.open && s.remote && s.remote.left_today > 0;

function waitText(s) {
  if (s.nobody_on_duty) return t("eta_nobody");
  const sec = s.estimated_wait_seconds;
  return !sec || sec < 60 ? t("eta_soon") : t("eta", { n: Math.round(sec / 60) });
}

function render() {
  if (chosen && !services.some((s) => s.code === chosen && takes(s))) chosen = null;
  $("rm-services").replaceChildren(...services.map((s) => {
    const name = lang() === "en" && s.name_en ? s.name_en : s.name;
    const left = !s.open ? t("closed") : s.remote.left_today > 0 ? t("places_left", { n: s.remote.left_today }) : t("full");
    const input = el("input", { type: "radio", name: "service", value: s.code, class: "rm-radio",
                                checked: chosen === s.code, disabled: !takes(s) });
    input.addEventListener("change", () => { chosen = s.code; showError(""); refresh(); });
    return el("label", { class: "rm-service" + (takes(s) ? "" : " off"), "data-service": s.code },
      input,
      el("span", "rm-service-text",
        el("span", "rm-name", name),
        el("span", "rm-agency", s.agency_name),
        el("span", "rm-figures", `${t("waiting", { n: s.waiting })} · ${waitText(s)} · `, el("strong", "rm-left", left))));
  }));
  refresh();
}

function refresh() {
  $("rm-submit").disabled = !chosen;
}

async function reload() {
  try {
    const all = await getJSON("/api/services", { background: true });
    services = all.filter((s) => s.remote);
    render();
  } catch {
    /* offline: the next round tries again */
  }
}

$("rm-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!chosen) return;
  showError("");
  $("rm-submit").disabled = true;
  $("rm-submit").textContent = t("joining");
  const phone = $("rm-phone").value.trim();
  try {
    const body = { service: chosen, remote: true };
    if (phone) body.phone = phone;
    const ticket = await postJSON("/api/tickets", body, { key: newKey("remote") });
    window.location.assign(`/t/${encodeURIComponent(ticket.token)}?lang=${lang()}`);
  } catch (err) {
    $("rm-submit").textContent = t("join");
    refresh();
    if (!(err instanceof HttpError) || err.transient) showError(t("offline"));
    else {
      const known = `err_${err.code}`;
      const text = t(known);
      showError(text && text !== known ? text : t("error", { message: err.message }));
      if (err.code === "invalid_phone") $("rm-phone").focus();
      reload();
    }
  }
});

render();
setInterval(reload, 30000);
