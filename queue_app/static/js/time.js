// Times and durations as the screens show them: always in the site's zone (<meta name="site-timezone">,
// not the PC's, which is often wrong), 24-hour "HH:MM" with a colon in both languages.

import { locale } from "./i18n.js";

const meta = document.querySelector('meta[name="site-timezone"]');
let zone = meta?.content || "Asia/Jakarta";
const cache = new Map();

/** The site's zone; the display learns it again from every board. */
export function setTimezone(value) {
  if (value) zone = value;
}

function formatter(kind) {
  const key = `${kind}|${zone}|${locale()}`;
  let f = cache.get(key);
  if (!f) {
    const options = {
      time: { hour: "2-digit", minute: "2-digit", hour12: false },
      seconds: { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false },
      day: { weekday: "long", day: "numeric", month: "long" },
      date: { weekday: "long", day: "numeric", month: "long", year: "numeric" },
    }[kind];
    f = new Intl.DateTimeFormat(locale(), { timeZone: zone, ...options });
    cache.set(key, f);
  }
  return f;
}

const asDate = (when) => (when instanceof Date ? when : new Date(when));

/** "08:05" (or "08:05:09" with `seconds`) in the site's zone; id-ID writes "08.05", the screens a colon. */
export function clockTime(when = new Date(), { seconds = false } = {}) {
  return formatter(seconds ? "seconds" : "time").format(asDate(when)).replaceAll(".", ":");
}

/** "Senin, 30 November" in the site's zone. */
export function dayName(when = new Date()) {
  return formatter("day").format(asDate(when));
}

/** "Senin, 30 November 2026" in the site's zone. */
export function longDate(when = new Date()) {
  return formatter("date").format(asDate(when));
}

/** The site's calendar day of a moment, "2026-11-30" (to tell "today" from another day). */
export function siteDay(when = new Date()) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(asDate(when));
}

/** A local calendar day "2026-11-30" (already the site's day) as a long date. */
export function calendarDay(isoDay) {
  // noon UTC of that day is the same calendar day in every Indonesian zone
  return longDate(new Date(`${isoDay}T12:00:00Z`));
}

/** Seconds as m:ss, or h:mm:ss past an hour; an em dash for nothing. Whole seconds, rounded down. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "—";
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** Whole minutes for "± n menit" estimates: at least one. */
export function etaMinutes(seconds) {
  return Math.max(1, Math.round(seconds / 60));
}

/** Keeps a screen on the server's clock (a TV's or PC's own clock is often minutes off). */
export class ServerClock {
  #skew = 0;

  /** Learn the offset from a server timestamp (ISO string) received just now. */
  sync(serverIso) {
    const at = Date.parse(serverIso);
    if (!Number.isNaN(at)) this.#skew = at - Date.now();
  }

  /** Milliseconds since the epoch, by the server's clock. */
  now() {
    return Date.now() + this.#skew;
  }
}
