// Screen texts: the page carries its surface's catalog of both languages in one JSON block
// (`<script type="application/json" id="<surface>-strings">`, rendered by {{ catalog_script("<surface>") }}
// from queue_app/i18n.py), and its language in <html lang>. Placeholders are {name}; one left without a value stays visible as {name}.

const block = document.querySelector('script[type="application/json"][id$="-strings"]');
const catalogs = block ? JSON.parse(block.textContent) : { id: {}, en: {} };
let current = document.documentElement.lang === "en" ? "en" : "id";

/** The page's language now: "id" or "en". */
export function lang() {
  return current;
}

/** The Intl locale of the page's language. */
export function locale() {
  return current === "en" ? "en-GB" : "id-ID";
}

/** Switch language (the kiosk's toggle); also sets <html lang> for screen readers. */
export function setLang(value) {
  current = value === "en" ? "en" : "id";
  document.documentElement.lang = current;
}

/** Fill {name} placeholders of a text. */
export function format(text, values = {}) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** The text for `key` in the current language (Indonesian fallback, then the key itself). */
export function t(key, values = {}) {
  return format(catalogs[current]?.[key] ?? catalogs.id?.[key] ?? key, values);
}

/** Re-label every `[data-t]` element under `root` (after a language switch); `[data-t-label]` and
 * `[data-t-alt]` name the key of an element's aria-label and alt text. */
export function applyTexts(root = document) {
  for (const node of root.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of root.querySelectorAll("[data-t-label]")) node.setAttribute("aria-label", t(node.dataset.tLabel));
  for (const node of root.querySelectorAll("[data-t-alt]")) node.alt = t(node.dataset.tAlt);
}
