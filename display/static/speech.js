// The browser's own voice for the hall display's announcements (audio.js uses it when asked for, or as the
// fallback of an announcement): finding the voice of a language, and speaking one text with it.

import { sleep } from "/static/js/dom.js";

/** What a refused utterance reports when the page has had no user gesture yet (audio.js asks for a tap). */
export const SPEECH_BLOCKED = new Set(["not-allowed"]);

/** The browser's voice for `lang` ("id-ID"; else one of its base language), or null. Voices load
 * asynchronously in Chromium, so wait a moment once. */
export async function voiceFor(lang) {
  if (typeof speechSynthesis === "undefined") return null;
  let voices = speechSynthesis.getVoices();
  if (!voices.length) {
    await Promise.race([
      new Promise((r) => speechSynthesis.addEventListener("voiceschanged", r, { once: true })),
      sleep(1000),
    ]);
    voices = speechSynthesis.getVoices();
  }
  const want = lang.toLowerCase().replace("_", "-");
  const base = want.split("-")[0];
  const norm = (v) => v.lang.toLowerCase().replace("_", "-");
  return voices.find((v) => norm(v) === want) || voices.find((v) => norm(v).split("-")[0] === base) || null;
}

/** Speak `text` once: resolves null when done, or the engine's error ("not-allowed", ...). */
export function utter(text, { voice, lang, volume }) {
  return new Promise((resolve) => {
    const u = new SpeechSynthesisUtterance(text);
    u.lang = voice ? voice.lang : lang;
    if (voice) u.voice = voice;
    u.rate = 0.9;
    u.volume = volume;
    // onend never fires in some engines; guard on a generous estimate of the speaking time.
    const guard = setTimeout(() => resolve(null), 4000 + text.length * 150);
    u.onend = () => {
      clearTimeout(guard);
      resolve(null);
    };
    u.onerror = (e) => {
      clearTimeout(guard);
      resolve(e.error || "error");
    };
    speechSynthesis.speak(u);
  });
}
