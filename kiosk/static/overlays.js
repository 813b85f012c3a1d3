// The kiosk's overlays: "working…", a message (a refusal, a closed service and why), and the ticket
// taken with its QR code. Each dialog takes the focus when it opens, so a keyboard or switch user and a
// screen reader land on it, and gives it back when it closes.

import { $ } from "/static/js/dom.js";
import { fit } from "/static/js/fit.js";
import { t } from "/static/js/i18n.js";
import { clockTime, etaMinutes as minutes } from "/static/js/time.js";

let returnFocus = null;
let confirmTimer = null;
let confirmShownAt = 0;

function open(overlay, focus) {
  if (overlay.hidden) returnFocus = document.activeElement;
  overlay.hidden = false;
  focus?.focus({ preventScroll: true });
}

function close(overlay) {
  if (overlay.hidden) return;
  overlay.hidden = true;
  if (returnFocus?.isConnected && document.querySelectorAll(".k-overlay:not([hidden])").length === 0) {
    returnFocus.focus({ preventScroll: true });
  }
}

export function showBusy(text) {
  $("busy-text").textContent = text;
  $("busy").hidden = false;
}

export function hideBusy() {
  $("busy").hidden = true;
}

/** A message with an OK button; `title` (a service's name) and `detail` (why, until when) are optional. */
export function showMessage(text, { title = "", detail = "" } = {}) {
  $("message-title").hidden = !title;
  $("message-title").textContent = title;
  $("message-text").textContent = text;
  $("message-detail").hidden = !detail;
  $("message-detail").textContent = detail;
  open($("message"), $("message-ok"));
  fit($("message-card"));
}

export function hideMessage() {
  close($("message"));
}

export const confirmOpenFor = () => ($("confirm").hidden ? 0 : Date.now() - confirmShownAt);

/**
 * The ticket on screen: number, service, people ahead, QR, whether it printed. `again` is a booking that
 * was checked in before (the same ticket, not printed again). `onTimeout` runs when the countdown ends.
 */
export function showConfirm(ticket, { name, agency }, { settings, again = false, onTimeout }) {
  const confirm = $("confirm");
  $("c-booking").hidden = !ticket.booking && !ticket.arrived;
  $("c-booking").textContent = ticket.booking
    ? t("checkin_booking", { code: ticket.booking, start: ticket.booked_slot?.start || "" })
    : ticket.arrived ? t("checkin_remote", { code: ticket.code || "" }) : "";
  const print = again ? { status: "again", error: null } : ticket.print || { status: "none", error: null };
  confirm.dataset.printStatus = print.status;
  confirm.dataset.printError = print.error || "";
  confirm.dataset.token = ticket.token;
  $("c-number").textContent = ticket.number;
  $("c-prio").hidden = !ticket.priority;
  $("c-service").textContent = name;
  $("c-agency").textContent = ticket.agency_name || agency || "";
  // nobody on duty for the service (no clerk has a counter serving it open): said, never "no wait"
  confirm.dataset.nobodyOnDuty = String(Boolean(ticket.nobody_on_duty));
  const wait = ticket.nobody_on_duty ? t("eta_nobody")
    : ticket.estimated_wait_seconds ? t("eta", { m: minutes(ticket.estimated_wait_seconds) }) : t("eta_now");
  $("c-ahead").textContent = ticket.ahead > 0 ? `${t("ahead", { n: ticket.ahead })} · ${wait}`
    : ticket.nobody_on_duty ? `${t("ahead_none")} · ${wait}` : t("ahead_none");
  $("c-qr").src = `/kiosk/qr/${encodeURIComponent(ticket.token)}.svg`;
  const notice = $("c-notice");
  notice.replaceChildren();
  let seconds = settings.confirm_seconds;
  if (again) {
    // checked in before: the visitor holds that ticket already (or lost it); nothing prints now
    notice.className = "c-notice info";
    notice.textContent = ticket.arrived ? t("checkin_again_remote", { number: ticket.number })
      : t("checkin_again", { t: clockTime(ticket.issued_at), number: ticket.number });
    const hint = document.createElement("small");
    hint.textContent = t("checkin_again_hint");
    notice.append(hint);
    seconds = Math.max(seconds * 3, 30);
  } else if (print.status === "printed") {
    notice.className = "c-notice ok";
    notice.textContent = t("take_ticket");
  } else if (print.status === "none") {
    notice.className = "c-notice info";
    notice.textContent = t("no_printer");
    seconds = Math.max(seconds * 2, 20);
  } else {
    // failed, or queued for a print agent that did not answer in time: the screen is the ticket now
    notice.className = "c-notice bad";
    notice.textContent = t("printer_problem");
    seconds = Math.max(seconds * 3, 30);
  }
  open(confirm, $("c-done"));
  confirmShownAt = Date.now();
  fit($("c-card"));
  let left = seconds;
  const tick = () => {
    $("c-countdown").textContent = t("back_in", { s: left });
    if (left-- <= 0) onTimeout();
  };
  clearInterval(confirmTimer);
  tick();
  confirmTimer = setInterval(tick, 1000);
}

export function closeConfirm() {
  clearInterval(confirmTimer);
  confirmTimer = null;
  close($("confirm"));
  $("c-qr").removeAttribute("src");
}

/** Open or close the booking code keypad (its first key takes the focus). */
export function showCheckin(visible) {
  if (visible) {
    open($("checkin"), document.querySelector("#keypad .k-key"));
    fit($("checkin-card"));
  } else {
    close($("checkin"));
  }
}
