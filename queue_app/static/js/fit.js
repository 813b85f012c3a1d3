// Text that shrinks to fit its box and is never cut: a hall display's number, a kiosk tile's long name.
//
// A box's sheet writes its text sizes as `calc(var(--fit, 1) * <size>)`; fit(box) finds the largest
// --fit (at most 1) at which nothing in the box overflows: neither the box itself nor any `[data-fit]`
// line inside it is wider than its box (give those `max-width: 100%` and `white-space: nowrap`, so a line
// too long shows as overflow, not as a wider box). Setting a custom property through the CSSOM is allowed by the pages' `style-src 'self'`.

const STEPS = 9; // a binary search: 2^-9 of the range, finer than a pixel at any size

function overflows(node) {
  return node.scrollWidth > node.clientWidth + 1 || node.scrollHeight > node.clientHeight + 1;
}

function fits(box) {
  if (overflows(box)) return false;
  // a [data-fit] line must not be wider than its box (its glyphs may stand a little above and below
  // its line-height: that is not overflow)
  for (const node of box.querySelectorAll("[data-fit]")) {
    if (node.offsetParent !== null && node.scrollWidth > node.clientWidth + 1) return false;
  }
  return true;
}

/**
 * Shrink the text of `box` until it fits; returns the scale used (1 = as the sheet says).
 * `min` is the smallest scale tried: below it the text stays at `min` (and the overflow tests fail).
 */
export function fit(box, { min = 0.25 } = {}) {
  if (!box) return 1;
  box.style.setProperty("--fit", "1");
  if (box.offsetParent === null && getComputedStyle(box).position !== "fixed") return 1; // hidden: nothing to fit
  if (fits(box)) {
    box.dataset.fitted = "1";
    return 1;
  }
  let lo = min;
  let hi = 1;
  for (let i = 0; i < STEPS; i++) {
    const mid = (lo + hi) / 2;
    box.style.setProperty("--fit", String(mid));
    if (fits(box)) lo = mid;
    else hi = mid;
  }
  box.style.setProperty("--fit", String(lo));
  box.dataset.fitted = lo.toFixed(3);
  return lo;
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
