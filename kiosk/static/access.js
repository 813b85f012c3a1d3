// The kiosk's toggles for people who need the screen otherwise: large high-contrast text, a wheelchair
// layout (every control in the lower part of the screen) and the audio guide. Large text and the
// wheelchair layout are remembered on this kiosk (localStorage); the guide ends when the kiosk goes back
// to its start screen, so the next visitor does not get a talking kiosk by surprise.

import { $ } from "/static/js/dom.js";

const TOGGLES = { big: "big-toggle", low: "low-toggle", guide: "guide-toggle" };
const REMEMBERED = new Set(["big", "low"]);
const KEY = (mode) => `kiosk-${mode}`;

function stored(mode) {
  try {
    return REMEMBERED.has(mode) && localStorage.getItem(KEY(mode)) === "1";
  } catch {
    return false; // storage refused (a locked-down browser): the toggle still works for this page
  }
}

function store(mode, on) {
  if (!REMEMBERED.has(mode)) return;
  try {
    if (on) localStorage.setItem(KEY(mode), "1");
    else localStorage.removeItem(KEY(mode));
  } catch {
    /* not remembered, still applied */
  }
}

/** Wire the toggles; `onChange(mode, on)` after each change (the tiles are laid out again). */
export function setupAccess(onChange) {
  const on = {};

  function apply(mode, value) {
    on[mode] = value;
    if (mode !== "guide") document.body.classList.toggle(mode, value);
    $(TOGGLES[mode]).setAttribute("aria-pressed", String(value));
  }

  for (const [mode, id] of Object.entries(TOGGLES)) {
    apply(mode, stored(mode));
    $(id).addEventListener("click", () => {
      apply(mode, !on[mode]);
      store(mode, on[mode]);
      onChange(mode, on[mode]);
    });
  }
  return {
    isOn: (mode) => Boolean(on[mode]),
    /** Back to the start screen: the guide stops; what is remembered stays. */
    reset() {
      if (on.guide) {
        apply("guide", false);
        onChange("guide", false);
      }
    },
  };
}
