// Check-in of a booking at the kiosk: the on-screen keypad, or a USB scanner typing the QR's code and
// Enter. A booking checked in before gets its ticket again (the API answers 200 instead of 201): the
// kiosk says so, with the number and QR, instead of "take your ticket" for a slip that never prints.
// The same keypad takes the code of a ticket joined from afar (docs/remote.md): a code that is no booking
// is tried as one (POST /api/tickets/<code>/arrive), which prints the slip on the first arrival.

import { $ } from "/static/js/dom.js";
import { HttpError, newKey, postJSON } from "/static/js/http.js";
import { t } from "/static/js/i18n.js";
import { clockTime } from "/static/js/time.js";
import { hideBusy, showBusy, showCheckin, showMessage } from "./overlays.js";

const CODE_CHARS = /^[A-Z2-9]$/;
const CHECKIN_ERRORS = {
  booking_not_found: "checkin_not_found", not_today: "checkin_not_today", too_early: "checkin_too_early",
  too_late: "checkin_too_late", booking_closed: "checkin_closed", rate_limited: "error_busy",
};

/**
 * Wire the keypad and the scanner. `kiosk`: {settings, state (its `busy` flag is shared with the
 * tiles), serviceOf(code), showTicket(ticket, service, {again}), poll(), guide}.
 */
export function setupCheckin(kiosk) {
  const { settings, state } = kiosk;
  const scan = { buffer: "", at: 0 };

  function setCode(code) {
    $("checkin-code").textContent = code;
    $("checkin-go").disabled = code.length < 6;
  }

  function openCheckin() {
    if (state.busy) return;
    setCode("");
    showCheckin(true);
  }

  function closeCheckin() {
    showCheckin(false);
    setCode("");
  }

  async function checkIn(raw) {
    const code = raw.toUpperCase().replace(/[^A-Z0-9]/g, "");
    if (state.busy || code.length < 6) return;
    state.busy = true;
    closeCheckin();
    showBusy(t("connecting"));
    try {
      // a repeat (a double scan, or a retry after a network failure) answers the same ticket
      const { body, again } = await checkInEither(code, settings.code,
        { retry: true, key: newKey(`checkin-${settings.code}`), onRetry: () => showBusy(t("retrying")) });
      hideBusy();
      const s = kiosk.serviceOf(body.service) || { name: body.service_name, name_en: "", agency_name: body.agency_name };
      kiosk.showTicket(body, s, { again });
      kiosk.poll();
    } catch (err) {
      hideBusy();
      if (!(err instanceof HttpError) || err.transient) {
        showMessage(t("error_network"));
      } else {
        const key = CHECKIN_ERRORS[err.code] || (err.status === 404 ? "checkin_not_found" : "error_generic");
        const opens = err.body?.error?.opens_at;
        showMessage(t(key, { t: opens ? clockTime(opens) : "" }));
      }
    } finally {
      state.busy = false;
    }
  }

  /** A scanner is a keyboard that types fast: collect code characters, Enter checks in (no tap needed). */
  function onKey(ev) {
    if (ev.ctrlKey || ev.altKey || ev.metaKey) return;
    const now = Date.now();
    if (now - scan.at > 1000) scan.buffer = "";
    scan.at = now;
    const typing = !$("checkin").hidden;
    if (ev.key === "Enter") {
      const scanned = scan.buffer;
      scan.buffer = "";
      // Enter ends a scanner's code; typed by a person on a focused control ("Kembali", "Hapus"), it
      // presses that control (on a letter key it means "done", not that letter once more)
      const control = ev.target instanceof HTMLButtonElement && !ev.target.matches(".k-key:not([data-key=BACK])");
      if (!scanned && control) return;
      const code = typing ? $("checkin-code").textContent : scanned; // open keypad: scanned keys went in too
      if (code.length >= 6 && $("confirm").hidden) {
        ev.preventDefault();
        checkIn(code);
      }
      return;
    }
    if (ev.key === "Backspace" && typing) {
      setCode($("checkin-code").textContent.slice(0, -1));
      return;
    }
    const ch = ev.key.length === 1 ? ev.key.toUpperCase() : "";
    if (!CODE_CHARS.test(ch) && ch !== "-") return;
    if (ch !== "-") scan.buffer += ch;
    if (typing && ch !== "-") setCode(($("checkin-code").textContent + ch).slice(0, 16));
  }

  $("checkin-open").addEventListener("click", openCheckin);
  $("checkin-cancel").addEventListener("click", closeCheckin);
  $("checkin-go").addEventListener("click", () => checkIn($("checkin-code").textContent));
  $("keypad").addEventListener("click", (ev) => {
    const key = ev.target.closest(".k-key")?.dataset.key;
    if (!key) return;
    const code = $("checkin-code").textContent;
    setCode(key === "BACK" ? code.slice(0, -1) : (code + key).slice(0, 16));
    kiosk.guide.key(key);
  });
  window.addEventListener("keydown", onKey);
  return { closeCheckin };
}
