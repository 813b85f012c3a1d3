// Hall display voice: a chime, then the Indonesian announcement, played from pre-generated segments.
//
//   import { Announcer } from "/display/static/audio.js";
//   const announcer = new Announcer({ voice: "segments" });      // or "speech" (browser id-ID voice)
//   announcer.onblocked(() => overlay.hidden = false);             // autoplay refused: ask for a tap
//   overlay.onclick = () => { overlay.hidden = true; announcer.unlock(); };
//   socket.on("called", (event) => announcer.enqueue(event.announcement));
//
// Calls are played one after another (FIFO), never overlapping. Segments are fetched once, decoded
// into one AudioContext and scheduled on its clock, so they follow each other without gaps from
// network or decoding. Browser speech is used only when asked for (voice "speech", or an announcement
// with fallback_text) AND an Indonesian voice exists; otherwise the recorded segments are played, so the
// hall hears the call with no internet and no installed voice.
//
// For tests and troubleshooting: window.__announcerLog is a flat list of what was queued, in order
// ("chime", then each segment, or "speech:<text>"); window.__announcerEvents holds
// {kind, at, text, segments, detail} records: queued, started, played, spoke, blocked, unlocked,
// expired, error.

import { sleep } from "/static/js/dom.js";
import { SPEECH_BLOCKED, utter, voiceFor } from "./speech.js";

// Extra silence (ms) after a segment; the rest get `gapMs`. Mirrors the commas of the text:
// "Nomor antrean, A, nol, nol, tujuh, silakan menuju, Loket 1".
const PAUSE_AFTER = { chime: 250, nomor_antrean: 180, silakan_menuju: 160 };
const PAUSE_BEFORE = { silakan_menuju: 380 };

function pushLog(name, entry) {
  if (typeof window === "undefined") return;
  (window[name] ||= []).push(entry);
}

export class Announcer {
  #baseUrl;
  #segmentDir;
  #ext;
  #voice;
  #lang;
  #gapMs;
  #maxAgeMs;
  #repeat;
  #volume;
  #chime;
  #ctx = null;
  #gain = null;
  #buffers = new Map(); // name -> Promise<AudioBuffer>
  #queue = [];
  #current = null;
  #pumping = false;
  #blocked = false;
  #waitUnlock = null; // {promise, resolve}
  #blockedCallbacks = [];
  #unblockedCallbacks = [];
  #sources = [];

  /**
   * @param {object} options
   * @param {string} [options.baseUrl]  where chime.mp3 and the segment folder are served
   * @param {"segments"|"speech"} [options.voice]  config [display] voice
   * @param {string} [options.lang]  language for browser speech
   * @param {string} [options.segmentDir]  folder under baseUrl holding <segment>.mp3
   * @param {number} [options.gapMs]  silence between two segments
   * @param {number} [options.maxAgeMs]  a call still waiting this long (e.g. sound was blocked) is dropped
   * @param {number} [options.repeat]  say each announcement this many times (one chime)
   * @param {boolean} [options.chime]  play the chime before each announcement
   */
  constructor({
    baseUrl = "/display/audio",
    voice = "segments",
    lang = "id-ID",
    segmentDir = "id",
    ext = "mp3",
    gapMs = 90,
    maxAgeMs = 120_000,
    repeat = 1,
    volume = 1,
    chime = true,
  } = {}) {
    this.#baseUrl = baseUrl.replace(/\/+$/, "");
    this.#segmentDir = segmentDir;
    this.#ext = ext;
    this.#voice = voice === "speech" ? "speech" : "segments";
    this.#lang = lang;
    this.#gapMs = gapMs;
    this.#maxAgeMs = maxAgeMs;
    this.#repeat = Math.max(1, Math.floor(repeat));
    this.#volume = volume;
    this.#chime = chime;
    if (typeof window !== "undefined") {
      window.__announcerLog ||= [];
      window.__announcerEvents ||= [];
    }
  }

  /** Announcements waiting their turn (not the one playing now), oldest first. */
  get queued() {
    return this.#queue.map((item) => item.announcement);
  }

  /** The announcement being played now, or null. */
  get playing() {
    return this.#current ? this.#current.announcement : null;
  }

  /** True while the browser refuses to play sound until the user taps. */
  get blocked() {
    return this.#blocked;
  }

  /**
   * Queue one call. Accepts the `announcement` object of a `called` event ({text, segments,
   * fallback_text?}) or the whole event. Resolves when it has been played, spoken or dropped.
   */
  enqueue(announcement) {
    const a = announcement && announcement.announcement ? announcement.announcement : announcement;
    if (!a || (!Array.isArray(a.segments) && !a.text)) {
      return Promise.reject(new TypeError("Announcer.enqueue needs {text, segments}"));
    }
    const item = { announcement: a, at: Date.now() };
    const done = new Promise((resolve) => (item.resolve = resolve));
    const useSpeech = this.#voice === "speech" || Boolean(a.fallback_text);
    for (const name of this.#chime ? ["chime"] : []) pushLog("__announcerLog", name);
    if (useSpeech && a.text) pushLog("__announcerLog", `speech:${a.fallback_text || a.text}`);
    for (const name of a.segments || []) pushLog("__announcerLog", name);
    this.#event("queued", a);
    this.#queue.push(item);
    this.#ensureContext();
    // Start fetching now so the files are decoded by the time this call's turn comes.
    for (const name of this.#names(a)) this.#load(name).catch(() => {});
    this.#pump();
    return done;
  }

  /** Register a callback for "the browser blocked sound": show a "Ketuk untuk mengaktifkan suara" overlay. */
  onblocked(cb) {
    this.#blockedCallbacks.push(cb);
    if (this.#blocked) cb();
  }

  /** Register a callback for "sound works again" (after unlock()), e.g. to hide the overlay. */
  onunblocked(cb) {
    this.#unblockedCallbacks.push(cb);
  }

  /**
   * Call from a user gesture (tap/click/key): lets the page make sound and continues the queue.
   * Safe to call at any time; it also primes speech synthesis, which Chromium gates the same way.
   */
  unlock() {
    this.#ensureContext();
    const resumed = this.#ctx ? this.#ctx.resume().catch(() => {}) : Promise.resolve();
    if (typeof speechSynthesis !== "undefined") {
      try {
        const primer = new SpeechSynthesisUtterance("");
        primer.volume = 0;
        speechSynthesis.speak(primer);
      } catch {
        /* no speech: nothing to prime */
      }
    }
    return resumed.then(() => {
      if (this.#ctx && this.#ctx.state !== "running") return false;
      this.#setBlocked(false);
      return true;
    });
  }

  /** Stop whatever is playing and forget the queue (e.g. the display switches zone). */
  clear() {
    for (const item of this.#queue.splice(0)) item.resolve("cleared");
    for (const src of this.#sources.splice(0)) {
      try {
        src.stop();
      } catch {
        /* already stopped */
      }
    }
    if (typeof speechSynthesis !== "undefined") speechSynthesis.cancel();
  }

  /** Fetch and decode segments ahead of time (e.g. the chime and digits on page load). */
  preload(names) {
    this.#ensureContext();
    return Promise.allSettled(names.map((n) => this.#load(n)));
  }

  // --- internals -------------------------------------------------------------------------------

  #event(kind, a, detail) {
    pushLog("__announcerEvents", {
      kind,
      at: Date.now(),
      text: a ? a.text : undefined,
      segments: a ? a.segments : undefined,
      detail,
    });
  }

  #names(a) {
    const names = this.#chime ? ["chime"] : [];
    return names.concat(a.segments || []);
  }

  #url(name) {
    if (name === "chime") return `${this.#baseUrl}/chime.${this.#ext}`;
    return `${this.#baseUrl}/${this.#segmentDir}/${encodeURIComponent(name)}.${this.#ext}`;
  }

  #ensureContext() {
    if (this.#ctx || typeof window === "undefined") return;
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    this.#ctx = new Ctx();
    this.#gain = this.#ctx.createGain();
    this.#gain.gain.value = this.#volume;
    this.#gain.connect(this.#ctx.destination);
  }

  #load(name) {
    let pending = this.#buffers.get(name);
    if (!pending) {
      pending = fetch(this.#url(name))
        .then((r) => {
          if (!r.ok) throw new Error(`${r.status} for ${r.url}`);
          return r.arrayBuffer();
        })
        .then((data) => this.#ctx.decodeAudioData(data));
      pending.catch(() => this.#buffers.delete(name)); // try again next time
      this.#buffers.set(name, pending);
    }
    return pending;
  }

  #setBlocked(value) {
    if (value === this.#blocked) return;
    this.#blocked = value;
    this.#event(value ? "blocked" : "unlocked");
    if (value) {
      let resolve;
      const promise = new Promise((r) => (resolve = r));
      this.#waitUnlock = { promise, resolve };
      for (const cb of this.#blockedCallbacks) cb();
    } else {
      if (this.#waitUnlock) this.#waitUnlock.resolve();
      this.#waitUnlock = null;
      for (const cb of this.#unblockedCallbacks) cb();
    }
  }

  /** Resolve once the AudioContext may play; if the browser refuses, report it and wait for unlock(). */
  async #audioAllowed() {
    for (;;) {
      if (!this.#ctx || this.#ctx.state === "running") return;
      if (!this.#blocked) {
        try {
          // Without a user gesture Chromium leaves resume() pending; do not wait on it for long.
          await Promise.race([this.#ctx.resume(), sleep(300)]);
        } catch {
          /* treated as blocked below */
        }
        if (this.#ctx.state === "running") return;
        this.#setBlocked(true);
      }
      await this.#waitUnlock.promise;
    }
  }

  async #pump() {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length) {
        const item = this.#queue[0];
        await this.#audioAllowed();
        this.#queue.shift();
        this.#current = item;
        const a = item.announcement;
        if (Date.now() - item.at > this.#maxAgeMs) {
          this.#event("expired", a);
          item.resolve("expired");
          continue;
        }
        this.#event("started", a);
        let outcome;
        try {
          outcome = await this.#play(a);
        } catch (err) {
          this.#event("error", a, String(err));
          outcome = "error";
        }
        this.#current = null;
        item.resolve(outcome);
      }
    } finally {
      this.#current = null;
      this.#pumping = false;
    }
  }

  async #play(a) {
    const wantSpeech = this.#voice === "speech" || Boolean(a.fallback_text);
    const speechVoice = wantSpeech ? await voiceFor(this.#lang) : null;
    if (speechVoice && a.text) {
      if (this.#chime) await this.#playBuffers(["chime"], a).catch(() => {});
      await this.#speak(a.fallback_text || a.text, speechVoice, a);
      return "spoke";
    }
    try {
      await this.#playBuffers(this.#names(a), a);
      return "played";
    } catch (err) {
      // A segment could not be fetched or decoded: say it with whatever voice the browser has.
      this.#event("error", a, String(err));
      if (a.text && typeof speechSynthesis !== "undefined") {
        await this.#speak(a.fallback_text || a.text, await voiceFor(this.#lang), a);
        return "spoke";
      }
      throw err;
    }
  }

  /** Schedule the named buffers back to back on the AudioContext clock; resolve when the last one ends. */
  async #playBuffers(names, a) {
    if (!this.#ctx) throw new Error("Web Audio is not available");
    const buffers = await Promise.all(names.map((n) => this.#load(n)));
    const said = names.filter((n) => n !== "chime");
    const rounds = said.length ? this.#repeat : 1;
    const plan = [];
    for (let round = 0; round < rounds; round++) {
      names.forEach((name, i) => {
        if (round > 0 && name === "chime") return;
        const next = names[i + 1];
        let gap = this.#gapMs + (PAUSE_AFTER[name] || 0) + (next ? PAUSE_BEFORE[next] || 0 : 0);
        if (i === names.length - 1) gap = round < rounds - 1 ? 900 : 0; // breathe before repeating
        plan.push({ name, buffer: buffers[i], gap });
      });
    }
    await this.#audioAllowed();
    const ctx = this.#ctx;
    let t = ctx.currentTime + 0.05;
    const started = [];
    for (const { buffer, gap } of plan) {
      const src = ctx.createBufferSource();
      src.buffer = buffer;
      src.connect(this.#gain);
      src.start(t);
      started.push(src);
      t += buffer.duration + gap / 1000;
    }
    this.#sources.push(...started);
    const last = started[started.length - 1];
    const total = t - ctx.currentTime;
    await new Promise((resolve) => {
      const guard = setTimeout(resolve, total * 1000 + 3000); // never hang the queue on a lost event
      last.onended = () => {
        clearTimeout(guard);
        resolve();
      };
    });
    this.#sources = this.#sources.filter((s) => !started.includes(s));
    this.#event("played", a, names.join(" "));
  }

  /** Speak text; if Chromium refuses for want of a user gesture, report blocked and retry after unlock(). */
  async #speak(text, voice, a) {
    if (typeof speechSynthesis === "undefined") throw new Error("speech synthesis is not available");
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await utter(text, { voice, lang: this.#lang, volume: this.#volume });
      if (!error) {
        this.#event("spoke", a, text);
        return;
      }
      if (!SPEECH_BLOCKED.has(error) || attempt) throw new Error(`speech failed: ${error}`);
      this.#setBlocked(true);
      await this.#waitUnlock.promise;
    }
  }
}
