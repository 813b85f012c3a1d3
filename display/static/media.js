// The display's media area: loops the site's own images and videos ([display] media_dir, served by
// /display/media/) and the notices an admin edits, one after another. A staff notice to everyone waiting for
// a service (service_notice) joins the loop at its head, shown next, until its time is up.
//
// The call area always wins: while a call is shown big the loop pauses (and its video with it), and
// while an announcement plays a video is muted so the voice is heard. A broken file is skipped.

import { el } from "/static/js/dom.js";
import { getJSON } from "/static/js/http.js";

const LIST_EVERY_MS = 5 * 60 * 1000; // files dropped in the folder join the loop within minutes

export class MediaLoop {
  #root;
  #seconds;
  #items = []; // [{kind: "image"|"video", url, name}]
  #notices = []; // [{title, text}]
  #timed = []; // [{service, title, text, ends}]: staff notices, each until `ends` (this PC's ms)
  #index = -1;
  #timer = null;
  #held = 0; // calls being shown big; the loop runs only at 0
  #muted = false; // an announcement is playing
  #video = null;

  #screen;
  #onLayout;

  /**
   * @param {HTMLElement} root  the media area
   * @param {number} seconds  per image or notice
   * @param {HTMLElement} screen  gets class "has-media" while there is something to loop (the layout makes room)
   * @param {() => void} onLayout  called when the area appears, goes or shows a notice (text to fit again)
   */
  constructor(root, seconds, screen, onLayout = () => {}) {
    this.#root = root;
    this.#screen = screen;
    this.#onLayout = onLayout;
    this.#seconds = Math.max(1, seconds || 10);
    this.state = { shown: null, shownCount: 0, paused: false, muted: false }; // for tests and troubleshooting
  }

  async start() {
    await this.#loadList();
    setInterval(() => this.#loadList(), LIST_EVERY_MS);
  }

  setNotices(notices) {
    this.#notices = Array.isArray(notices) ? notices.filter((n) => n && (n.title || n.text)) : [];
    this.#refresh();
  }

  /** A staff notice for a service ({service, service_name, text, at, until}): shown next, then in turn until
   * `until` (measured from `at`, both the server's, so this PC's clock does not matter). A newer notice for
   * the same service replaces the older. */
  addTimed(notice) {
    // its whole time, or what is left of it for a screen that (re)connected while it shows: capped by this
    // screen's clock only when that clock agrees it is still running (a clock set wrong shows it whole)
    const whole = Date.parse(notice.until) - Date.parse(notice.at);
    const left = Date.parse(notice.until) - Date.now();
    const ms = left > 0 ? Math.min(whole, left) : whole;
    if (!(ms > 0)) return;
    const entry = { service: notice.service, title: notice.service_name, text: notice.text, ends: Date.now() + ms };
    this.#timed = [entry, ...this.#timed.filter((n) => n.service !== notice.service)];
    setTimeout(() => this.#refresh(), ms + 50); // gone from the loop (and the area, when it was all there was)
    this.#index = -1; // the next slide is the newest notice
    if (!this.#held && !this.#video) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#refresh();
  }

  /** A call is shown big until `done` settles: pause the loop meanwhile (overlapping calls extend it). */
  holdWhile(done) {
    this.#held += 1;
    this.#setPaused(true);
    Promise.resolve(done).finally(() => {
      this.#held -= 1;
      if (this.#held === 0) this.#setPaused(false);
    });
  }

  /** Mute until `done` settles (the announcer's promise for this call). */
  muteWhile(done) {
    this.#muted = true;
    this.state.muted = true;
    if (this.#video) this.#video.muted = true;
    Promise.resolve(done).finally(() => {
      this.#muted = false;
      this.state.muted = false;
      if (this.#video && !this.#video.dataset.forcedMute) this.#video.muted = false;
    });
  }

  async #loadList() {
    try {
      const body = await getJSON("/display/media.json", { timeout: 8000 });
      this.#items = body.items || [];
    } catch {
      return; // keep the old list; the next try may work
    }
    this.#refresh();
  }

  #refresh() {
    const any = this.#slides().length > 0;
    const changed = this.#root.hidden === any;
    this.#root.hidden = !any;
    this.#screen?.classList.toggle("has-media", any);
    if (changed) this.#onLayout();
    if (!this.#timer && !this.#video && !this.#held) this.#next();
  }

  #slides() {
    const now = Date.now();
    this.#timed = this.#timed.filter((n) => n.ends > now);
    return [...this.#timed.map((n) => ({ kind: "notice", staff: true, ...n })), ...this.#items,
      ...this.#notices.map((n) => ({ kind: "notice", ...n }))];
  }

  #setPaused(paused) {
    this.state.paused = paused;
    this.#root.classList.toggle("paused", paused);
    // faded behind the call, the loop is scenery: out of the accessibility tree until the call is over
    this.#root.inert = paused;
    if (this.#video) {
      if (paused) this.#video.pause();
      else this.#play(this.#video);
    }
    if (!paused && !this.#video && !this.#timer) this.#next();
  }

  #schedule(ms) {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#held) return; // resumes with #setPaused(false)
      this.#next();
    }, ms);
  }

  #next() {
    const slides = this.#slides();
    this.#video = null;
    if (!slides.length) {
      this.#root.replaceChildren();
      this.state.shown = null;
      return;
    }
    this.#index = (this.#index + 1) % slides.length;
    const item = slides[this.#index];
    this.state.shown = item.kind === "notice" ? `notice:${item.title}` : item.name;
    this.state.shownCount += 1;
    if (item.kind === "image") {
      const img = el("img", { src: item.url, alt: "", class: "dsp-media-image" });
      img.addEventListener("error", () => this.#schedule(0));
      this.#root.replaceChildren(img);
      this.#schedule(this.#seconds * 1000);
    } else if (item.kind === "video") {
      const video = el("video", { src: item.url, class: "dsp-media-video", playsinline: "" });
      video.muted = this.#muted;
      video.addEventListener("ended", () => this.#next());
      video.addEventListener("error", () => this.#next());
      this.#video = video;
      this.#root.replaceChildren(video);
      if (!this.#held) this.#play(video);
    } else {
      this.#root.replaceChildren(el("div", item.staff ? "dsp-notice dsp-staff-notice" : "dsp-notice",
                                    el("h3", {}, item.title || ""), el("p", {}, item.text || "")));
      this.#onLayout();
      this.#schedule(this.#seconds * 1000);
    }
  }

  #play(video) {
    video.play().catch(() => {
      // the browser refuses sound before a tap: play muted rather than not at all
      video.dataset.forcedMute = "1";
      video.muted = true;
      video.play().catch(() => this.#next());
    });
  }
}
