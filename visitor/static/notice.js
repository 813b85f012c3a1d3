// Staff's notice to everyone waiting for a service ("Loket 3 sedang gangguan…"): a banner on the page of a
// waiting ticket of that service, said politely by a screen reader, until the visitor closes it.

import { $ } from "/static/js/dom.js";
import { t } from "/static/js/i18n.js";
import { clockTime } from "/static/js/time.js";

/** Show `notice` ({service, text, at}) on the page of `ticket`, if it waits for that service. */
export function showNotice(notice, ticket) {
  if (!notice || ticket.status !== "waiting" || notice.service !== ticket.service) return false;
  $("tk-notice-text").textContent = notice.text;
  $("tk-notice-at").textContent = notice.at ? t("notice_at", { t: clockTime(notice.at) }) : "";
  $("tk-notice").hidden = false;
  window.__ticketLog?.push(`notice:${notice.text}`);
  return true;
}

/** A ticket that stopped waiting (called, finished) has no use for the line's notice any more. */
export function hideNoticeUnlessWaiting(ticket) {
  if (ticket.status !== "waiting") $("tk-notice").hidden = true;
}

$("tk-notice-close").addEventListener("click", () => {
  $("tk-notice").hidden = true;
});
