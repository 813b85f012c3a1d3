// This month's IKM in the display's header ([display] show_ikm = true): rendered with the page, then
// re-read every few minutes, since a hall display stays open all day and across the month's end.

import { $ } from "/static/js/dom.js";
import { getJSON } from "/static/js/http.js";
import { number } from "/static/js/i18n.js";

const REFRESH_MS = 10 * 60 * 1000;

async function refresh() {
  try {
    const data = await getJSON("/api/survey/published");
    $("dsp-ikm-value").textContent = number(data.ikm_rounded, 2);
    $("dsp-ikm-grade").textContent = data.grade ? `${data.grade} · ${data.grade_label}` : "";
  } catch {
    /* offline or switched off: keep what is shown */
  }
}

setInterval(refresh, REFRESH_MS);
