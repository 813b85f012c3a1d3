// The phone page's complaint form: during or after a visit, a complaint linked to this ticket. The answer gives
// its number and the link to follow it; this phone keeps both (localStorage, per ticket) so the link is still
// here when the page is opened again.

import { $, el } from "/static/js/dom.js";
import { HttpError, postJSON } from "/static/js/http.js";
import { lang, t } from "/static/js/i18n.js";
import { calendarDay } from "/static/js/time.js";

const root = $("tk-complaint");
const ticketToken = root?.dataset.token || "";
const storeKey = `mppq:complaints:${ticketToken}`;

function mine() {
  try {
    return JSON.parse(localStorage.getItem(storeKey) || "[]");
  } catch {
    return [];
  }
}

function remember(done) {
  const list = mine().filter((c) => c.token !== done.token);
  list.push({ reference: done.reference, token: done.token, respond_by: done.respond_by });
  try {
    localStorage.setItem(storeKey, JSON.stringify(list.slice(-10)));
  } catch {
    /* private mode: the link is still on the screen now */
  }
}

function followLink(c) {
  const suffix = lang() === "en" ? "?lang=en" : "";
  return el("a", { href: `/pengaduan/${encodeURIComponent(c.token)}${suffix}`, class: "tk-complaint-link" },
    t("complaint_follow", { reference: c.reference }));
}

function renderMine(justSent = null) {
  const list = mine();
  if (justSent && !list.some((c) => c.token === justSent.token)) list.push(justSent);
  $("tk-complaint-mine").replaceChildren(...list.map((c) => el("li", { "data-reference": c.reference },
    c === justSent || c.token === justSent?.token
      ? el("p", { class: "tk-complaint-sent", role: "status" },
        t("complaint_sent", { reference: c.reference, date: calendarDay(c.respond_by) }))
      : null,
    followLink(c))));
}

function field(id, labelKey, input) {
  input.id = id;
  return [el("label", { htmlFor: id }, t(labelKey)), input];
}

function buildForm() {
  const form = el("form", { class: "tk-complaint-form", id: "tk-complaint-form", noValidate: true, hidden: true },
    el("h2", {}, t("complaint_title")),
    ...field("tkc-text", "complaint_text", el("textarea", { rows: 5, maxLength: 4000, placeholder: t("complaint_hint") })),
    el("fieldset", {},
      el("legend", {}, t("complaint_contact")),
      ...field("tkc-name", "complaint_name", el("input", { maxLength: 100, autocomplete: "name" })),
      ...field("tkc-phone", "complaint_phone", el("input", { type: "tel", inputMode: "tel", maxLength: 32, autocomplete: "tel" })),
      ...field("tkc-email", "complaint_email", el("input", { type: "email", maxLength: 254, autocomplete: "email" })),
      el("p", { class: "tk-complaint-note" }, t("complaint_privacy"), " ",
        el("a", { href: "/privacy" }, t("complaint_privacy_link")))),
    el("p", { class: "tk-complaint-error", id: "tkc-error", role: "alert", hidden: true }),
    el("div", { class: "tk-complaint-actions" },
      el("button", { type: "button", class: "tk-complaint-cancel", id: "tkc-cancel" }, t("complaint_cancel")),
      el("button", { type: "submit", class: "tk-complaint-send", id: "tkc-send" }, t("complaint_send"))));
  form.addEventListener("submit", send);
  return form;
}

function showError(key) {
  $("tkc-error").hidden = !key;
  $("tkc-error").textContent = key ? t(key) : "";
}

const FIELD_ERRORS = { phone: "complaint_error_phone", email: "complaint_error_email", text: "complaint_error_empty" };

async function send(ev) {
  ev.preventDefault();
  const text = $("tkc-text").value.trim();
  if (!text) {
    showError("complaint_error_empty");
    return;
  }
  const body = { text, ticket: ticketToken };
  for (const [key, id] of [["name", "tkc-name"], ["phone", "tkc-phone"], ["email", "tkc-email"]]) {
    const value = $(id).value.trim();
    if (value) body[key] = value;
  }
  showError("");
  $("tkc-send").disabled = true;
  $("tkc-send").textContent = t("complaint_sending");
  try {
    const done = await postJSON(`/api/complaints?lang=${lang()}`, body);
    remember(done);
    $("tk-complaint-form").reset();
    $("tk-complaint-form").hidden = true;
    $("tk-complaint-open").hidden = false;
    renderMine(done);
  } catch (err) {
    if (!(err instanceof HttpError) || err.transient) showError("complaint_error");
    else if (err.code === "rate_limited") showError("complaint_error_busy");
    else if (err.code === "invalid_phone") showError("complaint_error_phone");
    else showError(FIELD_ERRORS[err.body?.error?.field] || "complaint_error");
  } finally {
    $("tkc-send").disabled = false;
    $("tkc-send").textContent = t("complaint_send");
  }
}

if (root) {
  const opener = el("button", { type: "button", class: "tk-complaint-open", id: "tk-complaint-open" }, t("complaint_open"));
  root.append(el("ul", { class: "tk-complaint-mine", id: "tk-complaint-mine" }), opener, buildForm());
  opener.addEventListener("click", () => {
    opener.hidden = true;
    $("tk-complaint-form").hidden = false;
    $("tkc-text").focus();
  });
  $("tkc-cancel").addEventListener("click", () => {
    $("tk-complaint-form").hidden = true;
    opener.hidden = false;
    showError("");
  });
  renderMine();
  root.dataset.ready = "1";
}
