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

/** A number in the page's language: 1.234,5 (id) or 1,234.5 (en), `decimals` places; a dash for nothing.
 * (queue_app/core/formats.py writes the same on the server.) */
export function number(value, decimals = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return new Intl.NumberFormat(locale(), { minimumFractionDigits: decimals, maximumFractionDigits: decimals })
    .format(value);
}

/** A share given in percent (83.33) as 83,3% (id) or 83.3% (en); a dash for nothing. */
export function percent(value, decimals = 1) {
  return value === null || value === undefined || Number.isNaN(value) ? "—" : `${number(value, decimals)}%`;
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
