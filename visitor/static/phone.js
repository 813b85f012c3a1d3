// The phone page's number for this visit's notices (WhatsApp/SMS): give one (PUT /api/tickets/<token>/phone)
// with the consent text beside it, or withdraw it (DELETE: no more messages, the number erased). Shown only on
// a site that sends notices; hidden once the visit is over.

import { $, jsonBlock } from "/static/js/dom.js";
import { HttpError, request } from "/static/js/http.js";
import { lang, t } from "/static/js/i18n.js";

const data = jsonBlock("ticket-data");
const url = `/api/tickets/${encodeURIComponent(data.token)}/phone`;
const ENDED = ["done", "no_show", "cancelled"];

function show(view, message = "") {
  const set = Boolean(view.phone);
  $("tk-phone").dataset.state = set ? "set" : "none";
  $("tk-phone-now").hidden = !set;
  $("tk-phone-now").textContent = set ? t("phone_set", { phone: view.phone }) : "";
  $("tk-phone-remove").hidden = !set;
  $("tk-phone-form").hidden = set;
  $("tk-phone-msg").textContent = message;
}

async function save(ev) {
  ev.preventDefault();
  const phone = $("tk-phone-input").value.trim();
  const input = $("tk-phone-input");
  if (!phone) {
    input.setAttribute("aria-invalid", "true");
    $("tk-phone-msg").textContent = t("phone_invalid");
    input.focus();
    return;
  }
  $("tk-phone-save").disabled = true;
  $("tk-phone-msg").textContent = t("phone_saving");
  try {
    const view = await request("PUT", url, { body: { phone, lang: lang() } });
    input.value = "";
    input.removeAttribute("aria-invalid");
    show(view);
    $("tk-phone-remove").focus();
  } catch (err) {
    const invalid = err instanceof HttpError && (err.code === "invalid_phone" || err.status === 422);
    if (invalid) input.setAttribute("aria-invalid", "true");
    $("tk-phone-msg").textContent = invalid ? t("phone_invalid")
      : err instanceof HttpError && err.status === 409 ? t("phone_finished") : t("phone_error");
    if (invalid) input.focus();
  } finally {
    $("tk-phone-save").disabled = false;
  }
}

async function remove() {
  $("tk-phone-remove").disabled = true;
  try {
    show(await request("DELETE", url), t("phone_removed"));
    $("tk-phone-input").focus();
  } catch {
    $("tk-phone-msg").textContent = t("phone_error");
  } finally {
    $("tk-phone-remove").disabled = false;
  }
}

$("tk-phone-form").addEventListener("submit", save);
$("tk-phone-remove").addEventListener("click", remove);
document.addEventListener("ticket-rendered", (ev) => {
  $("tk-phone").hidden = ENDED.includes(ev.detail.status);
});
if (data.phone) show(data.phone);
