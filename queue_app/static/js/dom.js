// The few DOM helpers every screen uses: look up by id, build an element, read a JSON block.

/** The element with this id (null when absent). */
export const $ = (id) => document.getElementById(id);

/**
 * A new element. `attrs` is a class name, or an object of attributes: "class", "data-*" and "aria-*"
 * become attributes, anything else a property. Children are nodes or text (null/undefined: nothing).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  if (typeof attrs === "string") attrs = attrs ? { class: attrs } : {};
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("data-") || k.startsWith("aria-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

/** The parsed content of a `<script type="application/json" id=...>` block (`fallback` if absent). */
export function jsonBlock(id, fallback = null) {
  const node = $(id);
  return node ? JSON.parse(node.textContent) : fallback;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
