// The kiosk's audio guide: touching a tile says what it is, the ticket taken is said aloud. It plays the
// hall display's recorded Indonesian segments (/display/audio), so it needs no internet and no voice
// installed. What the segments cannot say (most service names) is said by the tile's queue letter,
// "antrean A", or in full by the browser's Indonesian voice when the kiosk has one (fallback_text).

import { Announcer } from "/display/static/audio.js";

const DIGITS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"];

/** "A-007" as the display says a number: "nomor antrean, a, nol, nol, tujuh" (digits one by one). */
export function ticketSpeech(number, priority = false) {
  const segments = ["nomor_antrean"];
  for (const ch of number.toLowerCase()) {
    if (/[a-z]/.test(ch)) segments.push(ch);
    else if (/[0-9]/.test(ch)) segments.push(DIGITS[Number(ch)]);
  }
  if (priority) segments.push("prioritas");
  const spoken = number.replace("-", " ").split("").join(" ").replace(/\s+/g, " ");
  return { text: `Nomor antrean ${spoken}${priority ? ", prioritas" : ""}.`, segments };
}

export class Guide {
  #words;
  #announcer = null;
  on = false;

  /** @param {object} words  the server's words for each tile, by service code (kiosk/guide.py) */
  constructor(words) {
    this.#words = words || {};
  }

  /** Turn the guide on or off; called from the toggle's tap, which lets the page make sound. */
  setOn(on) {
    this.on = on;
    if (on && !this.#announcer) this.#announcer = new Announcer({ chime: false, lang: "id-ID" });
    if (on) this.#announcer.unlock();
    else this.#announcer?.clear();
  }

  #say(speech) {
    if (!this.on || !speech) return;
    this.#announcer.clear(); // the newest touch wins: no queue of old descriptions
    this.#announcer.enqueue(speech).catch(() => {});
  }

  tile(service) {
    const letters = service.prefix.toLowerCase().split("");
    this.#say(this.#words[service.code]
      || { text: `${service.name}, antrean ${service.prefix}`, segments: ["antrean", ...letters],
        fallback_text: `${service.name}, antrean ${service.prefix}` });
  }

  ticket(ticket) {
    this.#say(ticketSpeech(ticket.number, Boolean(ticket.priority)));
  }

  priority(choice, label) {
    this.#say(choice === "none" ? { text: "Umum", segments: ["umum"] }
      : { text: `Prioritas: ${label}`, segments: ["prioritas"], fallback_text: `Prioritas: ${label}` });
  }

  /** A key of the booking code keypad: its letter or digit. */
  key(key) {
    if (/^[A-Z]$/.test(key)) this.#say({ text: key, segments: [key.toLowerCase()] });
    else if (/^[0-9]$/.test(key)) this.#say({ text: key, segments: [DIGITS[Number(key)]] });
  }
}
