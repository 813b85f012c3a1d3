// The counter tablet (/survey/<counter>): idle until the clerk finishes a visit at this counter, then the
// survey for that visit (the server's `survey_offer` on /survey names it with a signed offer, never the
// visitor's token), a thank-you, and back to idle. A visit finished while someone is still answering waits
// its turn; a survey left untouched is dropped after a while.

import { $, jsonBlock } from "/static/js/dom.js";
import { postJSON, setUnauthorizedHandler } from "/static/js/http.js";
import { t } from "/static/js/i18n.js";
import { connect } from "/static/js/live.js";
import { runSurvey, surveyData } from "/visitor/static/survey.js";

const boot = jsonBlock("tablet-boot");
const data = surveyData();
const root = $("tablet");
const box = $("survey");
const seen = new Set(); // offers already shown (a reconnect repeats the latest)
let pending = null;
let running = null;
let idleTimer = null;

function setState(state) {
  root.dataset.state = state;
}

function idle() {
  clearTimeout(idleTimer);
  if (running) running.stop();
  running = null;
  box.hidden = true;
  setState("idle");
  if (pending) {
    const next = pending;
    pending = null;
    start(next);
  }
}

function touched() {
  clearTimeout(idleTimer);
  if (root.dataset.state === "survey") idleTimer = setTimeout(idle, boot.idle_seconds * 1000);
}

function start(offer) {
  setState("survey");
  running = runSurvey(box, {
    data,
    intro: false,
    subtitle: t("offer_for", { number: offer.number, service: offer.service_name }),
    submit: (body) => postJSON(`/api/survey/tablet/${encodeURIComponent(boot.counter)}`, { ...body, offer: offer.offer }),
    onFinished: () => {
      setState("thanks");
      clearTimeout(idleTimer);
      idleTimer = setTimeout(idle, boot.thanks_seconds * 1000);
    },
  });
  touched();
}

function offered(offer) {
  if (!offer || seen.has(offer.offer)) return;
  seen.add(offer.offer);
  if (root.dataset.state === "survey") pending = offer; // someone is answering: the next visit waits
  else {
    if (running) running.stop();
    start(offer);
  }
}

// the clerk's session ended (signed out, expired): the page goes back through the login form
setUnauthorizedHandler(() => location.reload());
document.addEventListener("pointerdown", touched, { passive: true });
connect("/survey", {
  auth: { counter: boot.counter },
  on: { survey_offer: offered },
  onStatus: (live) => { root.dataset.live = live ? "live" : "offline"; },
});
