// The booking page (/booking), phone-first: a service, a day, a slot with places left (read live from the
// server each time a day is chosen), then the code in large type with its QR. A slot that filled up meanwhile
// is a friendly message with the next free ones, never an error page.

import { $, el, jsonBlock } from "/static/js/dom.js";
import { HttpError, getJSON, postJSON } from "/static/js/http.js";
import { lang, t } from "/static/js/i18n.js";
import { dayName } from "/static/js/time.js";

const data = jsonBlock("booking-data", { services: [] });
const state = { service: null, day: null, start: null };

const byCode = (code) => data.services.find((s) => s.code === code) || null;

function showError(text) {
  $("bk-error").hidden = !text;
  $("bk-error").textContent = text || "";
}

function refreshSubmit() {
  $("bk-submit").disabled = !(state.service && state.day && state.start);
}

function chooseService(code) {
  state.service = byCode(code);
  state.day = state.start = null;
  showError("");
  const svc = state.service;
  $("bk-req").hidden = !svc?.requirements;
  $("bk-req").textContent = svc?.requirements ? `${t("requirements")}: ${svc.requirements}` : "";
  $("bk-days-box").hidden = !svc;
  $("bk-slots-box").hidden = true;
  $("bk-who").hidden = !(svc && (svc.ask_name || svc.ask_phone));
  for (const [field, ask] of [["name", svc?.ask_name], ["phone", svc?.ask_phone]]) {
    $(`bk-${field}`).hidden = $(`bk-${field}-label`).hidden = !ask;
    $(`bk-${field}`).required = Boolean(ask);
  }
  $("bk-days").replaceChildren(...(svc?.days || []).map((day) => {
    const chip = el("button", { type: "button", class: "bk-chip", "data-day": day }, dayName(`${day}T12:00:00Z`));
    chip.addEventListener("click", () => chooseDay(day));
    return chip;
  }));
  refreshSubmit();
}

async function chooseDay(day, note = "") {
  state.day = day;
  state.start = null;
  for (const chip of $("bk-days").children) chip.classList.toggle("on", chip.dataset.day === day);
  $("bk-slots-box").hidden = false;
  $("bk-slot-note").hidden = !note;
  $("bk-slot-note").textContent = note;
  let slots = [];
  try {
    slots = await getJSON(`/api/booking/slots?service=${encodeURIComponent(state.service.code)}&date=${day}`,
                          { retry: true });
  } catch (err) {
    showError(err.status ? t("error", { message: err.message }) : t("offline"));
  }
  if (state.day !== day) return; // another day was chosen meanwhile
  $("bk-slots").replaceChildren(...slots.map((slot) => {
    const free = slot.available > 0;
    const chip = el("button", { type: "button", class: "bk-chip bk-slot", disabled: !free, "data-start": slot.start },
      el("span", "bk-slot-time", `${slot.start}–${slot.end}`),
      el("span", "bk-slot-left", free ? t("places_left", { n: slot.available }) : t("full")));
    chip.addEventListener("click", () => {
      state.start = slot.start;
      for (const c of $("bk-slots").children) c.classList.toggle("on", c === chip);
      refreshSubmit();
    });
    return chip;
  }));
  if (!slots.some((s) => s.available > 0) && !note) {
    $("bk-slot-note").hidden = false;
    $("bk-slot-note").textContent = t("no_slots");
  }
  refreshSubmit();
}

async function submit(event) {
  event.preventDefault();
  if (!(state.service && state.day && state.start)) return;
  showError("");
  const body = { service: state.service.code, date: state.day, start: state.start };
  if (state.service.ask_name) body.name = $("bk-name").value.trim();
  if (state.service.ask_phone) body.phone = $("bk-phone").value.trim();
  if (body.phone) body.lang = lang(); // its notices in the page's language
  const button = $("bk-submit");
  button.disabled = true;
  button.textContent = t("booking");
  try {
    done(await postJSON("/api/bookings", body));
  } catch (err) {
    if (err instanceof HttpError && err.code === "slot_full") {
      const next = err.body.error.next_free || [];
      await chooseDay(state.day, next.length ? `${t("slot_full", { start: body.start })} ${next.join(", ")}`
                                             : t("slot_full_none"));
    } else if (err instanceof HttpError && err.code === "rate_limited") {
      showError(t("limited"));
    } else {
      showError(err.status ? t("error", { message: err.message }) : t("offline"));
    }
  } finally {
    button.textContent = t("book");
    refreshSubmit();
  }
}

function done(booking) {
  $("bk-form").hidden = true;
  $("bk-done").hidden = false;
  $("bk-code").textContent = booking.code;
  const name = lang() === "en" && state.service.name_en ? state.service.name_en : state.service.name;
  $("bk-when").textContent = t("when", { service: name, date: dayName(`${booking.date}T12:00:00Z`),
                                         start: booking.start, end: booking.end });
  const qr = `/booking/qr/${encodeURIComponent(booking.token)}.svg`;
  $("bk-qr").src = qr;
  $("bk-qr").alt = booking.code;
  $("bk-save").href = qr;
  $("bk-save").download = `reservasi-${booking.code}.svg`;
  $("bk-manage").href = booking.manage_url;
  window.scrollTo(0, 0);
}

$("bk-service").addEventListener("change", (e) => chooseService(e.target.value));
$("bk-form").addEventListener("submit", submit);
window.__bookingReady = true;
