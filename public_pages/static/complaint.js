// The complaint form (/pengaduan): send, then show the complaint's number and the link to follow it.
// Sent once per tap (no automatic retry: a complaint has no Idempotency-Key, a retry could file it twice).

import { $ } from "/static/js/dom.js";
import { HttpError, postJSON } from "/static/js/http.js";
import { lang, t } from "/static/js/i18n.js";
import { calendarDay } from "/static/js/time.js";

const ERRORS = { invalid_phone: "error_phone", rate_limited: "error_busy" };

function showError(key) {
  $("c-error").hidden = !key;
  $("c-error").textContent = key ? t(key) : "";
}

function errorKey(err) {
  if (!(err instanceof HttpError) || err.transient) return "error";
  if (ERRORS[err.code]) return ERRORS[err.code];
  const field = err.body?.error?.field;
  if (field === "phone") return "error_phone";
  if (field === "email") return "error_email";
  if (field === "text") return "error_empty";
  return "error";
}

async function send(ev) {
  ev.preventDefault();
  const text = $("c-text").value.trim();
  if (!text) {
    showError("error_empty");
    $("c-text").focus();
    return;
  }
  const body = { text };
  for (const [field, id] of [["service", "c-service"], ["name", "c-name"], ["phone", "c-phone"], ["email", "c-email"]]) {
    const value = $(id).value.trim();
    if (value) body[field] = value;
  }
  showError("");
  $("c-send").disabled = true;
  $("c-send").textContent = t("sending");
  try {
    const done = await postJSON(`/api/complaints?lang=${lang()}`, body);
    $("complaint-form").hidden = true;
    $("c-reference").textContent = done.reference;
    $("c-note").textContent = t("sent_note", { date: calendarDay(done.respond_by) });
    $("c-follow").href = `/pengaduan/${encodeURIComponent(done.token)}${lang() === "en" ? "?lang=en" : ""}`;
    $("complaint-sent").hidden = false;
    $("c-reference").scrollIntoView({ block: "center" });
  } catch (err) {
    showError(errorKey(err));
  } finally {
    $("c-send").disabled = false;
    $("c-send").textContent = t("send");
  }
}

$("complaint-form").addEventListener("submit", send);
document.body.dataset.ready = "1";
