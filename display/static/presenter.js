// The calls a display shows big, one at a time and each long enough to be read.
//
// Calls that come close together (two clerks pressing "call" in the same second) used to replace each
// other at once: the first flashed by before anyone could read it. Here every call stays in the call
// area for at least `holdMs`, and for as long as its announcement plays, so a deaf visitor reads the
// number the others hear. The next call waits its turn; its voice starts when it is shown.

import { sleep } from "/static/js/dom.js";

export class CallPresenter {
  #queue = [];
  #current = null;
  #running = false;

  /**
   * @param {object} options
   * @param {(call) => void} options.show  put the call in the call area (and flash it)
   * @param {(call) => Promise} options.announce  say it; resolves when it has been said (or dropped)
   * @param {(done: Promise) => void} [options.holding]  told how long the call area is busy with this call
   * @param {number} options.holdMs  the shortest time a call stays shown
   * @param {number} options.voiceMs  the longest a call waits for its voice (sound blocked, a lost event)
   */
  constructor({ show, announce, holding = () => {}, holdMs, voiceMs }) {
    Object.assign(this, { show, announce, holding, holdMs, voiceMs });
    this.log = []; // {number, shown, ended} in ms (Date.now(), like the announcer's events), for tests
  }

  /** The call shown now, or null. */
  get current() {
    return this.#current;
  }

  /** Calls waiting for the call area (not the one shown now), oldest first. */
  get waiting() {
    return this.#queue.slice();
  }

  /** True while a call is shown within its hold or others wait for their turn. */
  get busy() {
    return this.#running;
  }

  add(call) {
    this.#queue.push(call);
    if (!this.#running) this.#run();
  }

  async #run() {
    this.#running = true;
    try {
      while (this.#queue.length) {
        const call = this.#queue.shift();
        this.#current = call;
        const entry = { number: call.number, shown: Date.now(), ended: null };
        this.log.push(entry);
        this.show(call);
        const spoken = Promise.resolve(this.announce(call)).catch(() => {});
        const done = Promise.all([sleep(this.holdMs), Promise.race([spoken, sleep(this.voiceMs)])]);
        this.holding(done);
        await done;
        entry.ended = Date.now();
      }
    } finally {
      this.#running = false;
    }
  }
}
