// Text that shrinks to fit its box and is never cut: a hall display's number, a kiosk tile's long name.
//
// A box's sheet writes its text sizes as `calc(var(--fit, 1) * <size>)`; fit(box) finds the largest
// --fit (at most 1) at which nothing in the box overflows: neither the box itself nor any item inside it
// (`[data-fit]` unless told otherwise). An item that hides what does not fit (overflow other than visible)
// must hold all its text; any other must not be wider than its box (give those `max-width: 100%` and
// `white-space: nowrap`, so a line too long shows as overflow, not as a wider box). Setting a custom
// property through the CSSOM is allowed by the pages' `style-src 'self'`.

const STEPS = 9; // a binary search: 2^-9 of the range, finer than a pixel at any size

/** True when `node` cannot show all its content: too wide, or too tall for a box that hides the rest. */
export function overflows(node, { height = true } = {}) {
  return node.scrollWidth > node.clientWidth + 1 || (height && node.scrollHeight > node.clientHeight + 1);
}

function hides(node) {
  const style = getComputedStyle(node);
  return style.overflowX !== "visible" || style.overflowY !== "visible";
}

function fits(box, items) {
  if (overflows(box)) return false;
  for (const node of box.querySelectorAll(items)) {
    // glyphs may stand a little above and below a line-height: that is not overflow of a box that shows it
    if (node.offsetParent !== null && overflows(node, { height: hides(node) })) return false;
  }
  return true;
}

/**
 * Shrink the text of `box` until it fits; returns the scale used (1 = as the sheet says). Options:
 * `min` the smallest scale tried, `prop` the custom property scaled, `items` the selector of what must fit.
 */
export function fit(box, { min = 0.25, prop = "--fit", items = "[data-fit]" } = {}) {
  if (!box) return 1;
  box.style.setProperty(prop, "1");
  if (box.offsetParent === null && getComputedStyle(box).position !== "fixed") return 1; // hidden: nothing to fit
  let scale = 1;
  if (!fits(box, items)) {
    let lo = min;
    let hi = 1;
    for (let i = 0; i < STEPS; i++) {
      const mid = (lo + hi) / 2;
      box.style.setProperty(prop, String(mid));
      if (fits(box, items)) lo = mid;
      else hi = mid;
    }
    box.style.setProperty(prop, String(lo));
    scale = lo;
  }
  box.dataset.fitted = scale.toFixed(3); // for tests: the box was fitted (and how far)
  return scale;
}

/** Run `fitAll` again whenever the window changes size or the fonts arrive (both change every size). */
export function keepFitted(fitAll) {
  let timer = null;
  window.addEventListener("resize", () => {
    clearTimeout(timer);
    timer = setTimeout(fitAll, 100);
  });
  document.fonts?.ready.then(fitAll);
}
