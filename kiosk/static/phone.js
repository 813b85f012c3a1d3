// The optional step after a service is chosen: "Kirim nomor antrean ke WhatsApp". Only on a site whose
// [notify] provider is set. Skipping is the big default (it has the focus); a number typed on the on-screen
// keypad (or a keyboard) goes with the ticket request as "phone" (the server stores it as 62…, or says 422
// invalid_phone). The consent text says what the number is for and how long it is kept.

import { $ } from "/static/js/dom.js";
import { fit } from "/static/js/fit.js";
import { t } from "/static/js/i18n.js";

const MAX_CHARS = 16;
// 08…, +62…, 62…: what the server accepts (queue_app/core/phones.py), roughly, so "send" lights up in time
const LOOKS_LIKE_PHONE = /^(\+?62|0)[1-9][0-9]{6,12}$/;

/** "6281234567890" or "081234567890" as the screen shows a number given: 0812******90. */
export function maskPhone(phone) {
  const digits = String(phone || "").replace(/\D/g, "");
  if (digits.length < 6) return digits;
  return digits.slice(0, 4) + "*".repeat(digits.length - 6) + digits.slice(-2);
}

/**
 * Wire the step. `settings`: the kiosk's (notify, retain_days). `ask(service, done)` opens it for a service;
 * `done(phone)` gets the number typed, or null when skipped. `close()` closes it without a choice.
 */
export function setupPhoneStep({ settings, guide }) {
  const overlay = $("phone");
  if (!settings.notify || !overlay) {
    return { offered: false, ask: (_s, done) => done(null), close: () => {}, open: () => false, relabel: () => {} };
  }
  let onDone = null;
  let returnFocus = null;

  const value = () => $("phone-number").textContent;
  function setValue(v) {
    $("phone-number").textContent = v;
    $("phone-send").disabled = !LOOKS_LIKE_PHONE.test(v);
    $("phone-error").hidden = true;
  }

  function relabel() {
    $("phone-consent-text").textContent = t("phone_consent", { days: settings.retain_days });
  }

  function close() {
    if (overlay.hidden) return;
    overlay.hidden = true;
    setValue("");
    onDone = null;
    if (returnFocus?.isConnected && document.querySelectorAll(".k-overlay:not([hidden])").length === 0) {
      returnFocus.focus({ preventScroll: true });
    }
  }

  function finish(phone) {
    const done = onDone;
    close();
    done?.(phone);
  }

  /** Open the step for service `s` (its name on top); `error`: the server refused the number typed. */
  function ask(s, done, { error = false, typed = "" } = {}) {
    if (overlay.hidden) returnFocus = document.activeElement;
    onDone = done;
    relabel();
    $("phone-service").textContent = s.label || "";
    setValue(typed);
    overlay.hidden = false;
    $("phone-error").hidden = !error;
    $("phone-error").textContent = error ? t("phone_invalid") : "";
    $("phone-skip").focus({ preventScroll: true });
    fit($("phone-card"));
  }

  function press(key) {
    const v = value();
    if (key === "BACK") setValue(v.slice(0, -1));
    else if (key === "+") { if (!v) setValue("+"); } else setValue((v + key).slice(0, MAX_CHARS));
    guide.key(key);
  }

  $("phone-keypad").addEventListener("click", (ev) => {
    const key = ev.target.closest(".k-key")?.dataset.key;
    if (key) press(key);
  });
  $("phone-skip").addEventListener("click", () => finish(null));
  $("phone-send").addEventListener("click", () => { if (LOOKS_LIKE_PHONE.test(value())) finish(value()); });
  window.addEventListener("keydown", (ev) => {
    if (overlay.hidden || ev.ctrlKey || ev.altKey || ev.metaKey) return;
    if (/^[0-9+]$/.test(ev.key)) press(ev.key);
    else if (ev.key === "Backspace") press("BACK");
    else if (ev.key === "Escape") finish(null);
    else return;
    ev.preventDefault();
  });
  return { offered: true, ask, close, open: () => !overlay.hidden, relabel };
}
