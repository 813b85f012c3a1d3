// The complaints inbox: each complaint's answer form posts to the API, then the page reloads with that complaint
// open (its figures and overdue marks are the server's).

import { $ } from "/static/js/dom.js";
import { HttpError, postJSON } from "/static/js/http.js";
import { t } from "/static/js/i18n.js";
import { wireAgencyPicker } from "./common.js";

async function answer(ev) {
  ev.preventDefault();
  const form = ev.target;
  const reference = form.dataset.reference;
  const error = form.querySelector(".cmp-error");
  const button = form.querySelector("button[type=submit]");
  const body = { text: form.elements.text.value.trim() };
  if (form.elements.status.value) body.status = form.elements.status.value;
  if (form.elements.lapor.value.trim()) body.lapor = form.elements.lapor.value.trim();
  button.disabled = true;
  button.textContent = t("c_sending");
  error.hidden = true;
  try {
    await postJSON(`/api/complaints/${encodeURIComponent(reference)}/responses`, body);
    const url = new URL(window.location.href);
    url.hash = `cmp-${reference}`;
    window.location.replace(url.toString());
    window.location.reload();
  } catch (err) {
    error.textContent = t("c_error", { message: err instanceof HttpError ? err.message : String(err) });
    error.hidden = false;
    button.disabled = false;
    button.textContent = t("c_send");
  }
}

for (const form of document.querySelectorAll("form.cmp-answer")) form.addEventListener("submit", answer);
// the complaint just answered (or linked to) opens by itself
const opened = window.location.hash ? $(decodeURIComponent(window.location.hash.slice(1))) : null;
if (opened && opened.tagName === "DETAILS") {
  opened.open = true;
  opened.scrollIntoView({ block: "start" });
}
wireAgencyPicker();
document.body.dataset.ready = "1";
