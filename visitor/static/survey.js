// The satisfaction survey (SKM) as a run of full-screen steps: a short intro, the nine questions one per
// screen with four big face buttons each (tap = answer and go on), an optional profile and comment, then
// thank you. Used by the visitor's phone page (ticket.js) and the counter tablet (/survey/<counter>).
// Texts come from the page's `survey-data` block (the "survey" catalog of both languages), not from
// the page's own catalog, so one module serves both screens.

import { $, el, jsonBlock } from "/static/js/dom.js";
import { getJSON, postJSON } from "/static/js/http.js";
import { format, lang } from "/static/js/i18n.js";

const FACE_COLORS = ["#d64545", "#f08c2e", "#5aa65c", "#1f8a3b"];
// mouth curves from frown to wide smile
const MOUTHS = ["M30 70 Q50 54 70 70", "M32 68 Q50 62 68 68", "M32 62 Q50 74 68 62", "M28 60 Q50 84 72 60"];

/** The survey data rendered into the page (questionnaire, profile choices, texts); null when absent. */
export function surveyData(id = "survey-data") {
  return jsonBlock(id);
}

function progressBar(share) {
  const fill = el("span", "sv-bar-fill");
  fill.style.width = `${Math.round(share * 100)}%`; // CSSOM, which the page's CSP allows (a style attribute it would not)
  return el("div", "sv-bar", fill);
}

function face(value) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 100 100");
  svg.setAttribute("aria-hidden", "true");
  svg.classList.add("sv-face");
  const parts = [
    ["circle", { cx: 50, cy: 50, r: 46, fill: FACE_COLORS[value - 1] }],
    ["circle", { cx: 35, cy: 40, r: 6, fill: "#fff" }],
    ["circle", { cx: 65, cy: 40, r: 6, fill: "#fff" }],
    ["path", { d: MOUTHS[value - 1], stroke: "#fff", "stroke-width": 7, fill: "none", "stroke-linecap": "round" }],
  ];
  for (const [tag, attrs] of parts) {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    svg.append(node);
  }
  return svg;
}

/**
 * Run the survey inside `root` (emptied). Options:
 *  data: surveyData(); submit(body) → Promise (rejects with an HttpError); intro: show the intro step;
 *  subtitle: a line under the title (the tablet names the visit); onLater(): the visitor declined;
 *  onFinished(outcome): "sent" | "answered" | "closed", after the thank-you step is shown.
 * Returns { stop() } to tear it down.
 */
export function runSurvey(root, { data, submit, intro = true, subtitle = "", onLater = null, onFinished = null }) {
  const texts = data.texts[lang()] || data.texts.id;
  const st = (key, values = {}) => format(texts[key] ?? data.texts.id[key] ?? key, values);
  const unsur = data.unsur;
  const answers = {};
  const profile = {};
  let index = intro ? -1 : 0;
  let stopped = false;

  function screen(...children) {
    root.replaceChildren(el("section", { class: "sv-step", "data-step": String(index) }, ...children));
    root.hidden = false;
  }

  function header() {
    return el("header", "sv-head", el("h1", "sv-title", st("title")), subtitle ? el("p", "sv-sub", subtitle) : null);
  }

  function showIntro() {
    root.dataset.step = "intro";
    screen(header(), el("p", "sv-intro", st("intro")), el("p", "sv-anon", st("anonymous")),
      el("button", { type: "button", class: "sv-primary", id: "sv-start", onclick: () => go(0) }, st("start")),
      onLater ? el("button", { type: "button", class: "sv-link", id: "sv-later", onclick: () => onLater() },
        st("later")) : null);
  }

  function showQuestion(i) {
    const u = unsur[i];
    root.dataset.step = u.code;
    const options = u.options.map((o) => el("button", {
      type: "button", class: "sv-option" + (answers[u.code] === o.value ? " chosen" : ""),
      "data-value": String(o.value), "aria-pressed": String(answers[u.code] === o.value),
      onclick: () => { answers[u.code] = o.value; go(i + 1); },
    }, face(o.value), el("span", "sv-option-label", o.label)));
    screen(header(),
      el("p", "sv-progress", st("progress", { n: i + 1, total: unsur.length })),
      progressBar((i + 1) / unsur.length),
      el("p", "sv-element", u.name),
      el("h2", { class: "sv-question", id: "sv-question" }, u.question),
      el("div", "sv-options", ...options),
      i > 0 || intro ? el("button", { type: "button", class: "sv-link", onclick: () => go(i - 1) }, st("back")) : null);
  }

  function choice(name, values, labelOf) {
    const select = el("select", { class: "sv-input", id: `sv-${name}`, name },
      el("option", { value: "" }, st("choose")),
      ...values.map((v) => el("option", { value: v, selected: profile[name] === v }, labelOf(v))));
    select.addEventListener("change", () => { profile[name] = select.value || undefined; });
    return el("label", "sv-field", el("span", null, st(name)), select);
  }

  function showProfile(error = "") {
    root.dataset.step = "profile";
    const genders = ["L", "P"].map((g) => el("button", {
      type: "button", class: "sv-toggle" + (profile.gender === g ? " chosen" : ""), "data-gender": g,
      "aria-pressed": String(profile.gender === g),
      onclick: (ev) => {
        profile.gender = profile.gender === g ? undefined : g;
        for (const b of root.querySelectorAll("[data-gender]")) {
          b.classList.toggle("chosen", b.dataset.gender === profile.gender);
          b.setAttribute("aria-pressed", String(b.dataset.gender === profile.gender));
        }
        ev.currentTarget.blur();
      },
    }, st(`gender_${g}`)));
    const age = el("input", { class: "sv-input", id: "sv-age", type: "number", inputMode: "numeric", min: 10,
      max: 120, value: profile.age ?? "" });
    age.addEventListener("input", () => { profile.age = age.value ? Number(age.value) : undefined; });
    const comment = el("textarea", { class: "sv-input sv-comment", id: "sv-comment", maxLength: 2000, rows: 3,
      placeholder: st("comment_hint"), value: profile.comment ?? "" });
    comment.addEventListener("input", () => { profile.comment = comment.value; });
    const send = el("button", { type: "button", class: "sv-primary", id: "sv-send" }, st("send"));
    send.addEventListener("click", () => send_(send));
    screen(header(), el("h2", "sv-question", st("profile_title")),
      el("div", "sv-field", el("span", null, st("gender")), el("div", "sv-toggles", ...genders)),
      el("label", "sv-field", el("span", null, st("age")), age),
      choice("education", data.education, (v) => v),
      choice("occupation", data.occupation.map((o) => o.value),
        (v) => st(`occupation_${data.occupation.find((o) => o.value === v).key}`)),
      el("label", "sv-field", el("span", null, st("comment")), comment),
      error ? el("p", { class: "sv-error", role: "alert" }, error) : null,
      send,
      el("button", { type: "button", class: "sv-link", onclick: () => go(unsur.length - 1) }, st("back")));
  }

  async function send_(button) {
    button.disabled = true;
    button.textContent = st("sending");
    const respondent = {};
    if (profile.gender) respondent.gender = profile.gender;
    if (Number.isInteger(profile.age) && profile.age >= 10 && profile.age <= 120) respondent.age = profile.age;
    if (profile.education) respondent.education = profile.education;
    if (profile.occupation) respondent.occupation = profile.occupation;
    const body = { answers: { ...answers } };
    if (Object.keys(respondent).length) body.respondent = respondent;
    if (profile.comment && profile.comment.trim()) body.comment = profile.comment.trim();
    try {
      await submit(body);
      finish("sent");
    } catch (err) {
      if (err.code === "survey_exists") finish("answered");
      else if (err.code === "survey_closed") finish("closed");
      else showProfile(st("error"));
    }
  }

  function finish(outcome) {
    if (stopped) return;
    root.dataset.step = "thanks";
    root.dataset.outcome = outcome;
    const text = outcome === "sent" ? st("thanks") : st(outcome);
    screen(el("div", "sv-thanks", face(4), el("h2", { class: "sv-question", id: "sv-thanks" }, st("thanks_title")),
      el("p", "sv-intro", text)));
    if (onFinished) onFinished(outcome);
  }

  function go(i) {
    if (stopped) return;
    index = i;
    if (i < 0) showIntro();
    else if (i < unsur.length) showQuestion(i);
    else showProfile();
    root.scrollIntoView?.({ block: "start" });
  }

  go(index);
  return {
    stop() {
      stopped = true;
      root.replaceChildren();
    },
    finish,
  };
}

/** Show a closing message (answered/closed) without running the survey. */
export function surveyNotice(root, data, outcome) {
  const texts = data.texts[lang()] || data.texts.id;
  root.dataset.step = "thanks";
  root.dataset.outcome = outcome;
  root.replaceChildren(el("section", "sv-step", el("div", "sv-thanks", el("p", "sv-intro", texts[outcome]))));
  root.hidden = false;
}

/**
 * The phone page's hook: call update(ticket) with every ticket view; once the status is `done` and the
 * survey is still open, the page turns into the survey (intro first; "not now" leaves a button to start later).
 */
export function phoneSurvey(token, page = $("ticket")) {
  const data = surveyData();
  const root = $("survey");
  if (!data || !root) return { update() {} };
  const url = `/api/tickets/${encodeURIComponent(token)}/survey`;
  let asked = false;

  function start(intro) {
    page.classList.add("tk-surveying");
    runSurvey(root, {
      data, intro,
      submit: (body) => postJSON(url, body, { retry: true, key: `survey-${token}` }),
      onLater: () => later(),
    });
  }

  function later() {
    page.classList.remove("tk-surveying");
    const texts = data.texts[lang()] || data.texts.id;
    root.dataset.step = "later";
    root.replaceChildren(el("button", { type: "button", class: "sv-primary", id: "sv-reopen",
      onclick: () => start(false) }, texts.title));
  }

  async function check() {
    try {
      const { state } = await getJSON(url, { retry: true });
      if (state === "open") start(true);
    } catch {
      asked = false; // offline: the next ticket view tries again
    }
  }

  return {
    update(tk) {
      if (tk.status !== "done" || asked) return;
      asked = true;
      check();
    },
  };
}
