// Staff's notice to everyone waiting for a service ("Loket 3 sedang gangguan…"): a banner on the page of a
// waiting ticket of that service, said politely by a screen reader, until the visitor closes it.

import { $ } from "/static/js/dom.js";
import { t } from "/static/js/i18n.js";
import { clockTime } from "/static/js/time.js";

// the notice this visitor closed, as "service@at": the server sends the line's notice again on every (re)connect
// (a page opened after it was sent gets it too), and a closed one stays closed in this tab
const CLOSED = "mpp-notice-closed";
let shown = null;
let closed = storedClosed();

function storedClosed() {
  try {
    return sessionStorage.getItem(CLOSED);
  } catch {
    return null; // storage refused (a private window): this page's own memory only
  }
}

/** Show `notice` ({service, text, at}) on the page of `ticket`, if it waits for that service and the visitor
 * has not closed this one already. */
export function showNotice(notice, ticket) {
  if (!notice || ticket.status !== "waiting" || notice.service !== ticket.service) return false;
  const key = `${notice.service}@${notice.at}`;
  if (key === closed) {
    window.__ticketLog?.push("notice-closed");
    return false;
  }
  $("tk-notice-text").textContent = notice.text;
  $("tk-notice-at").textContent = notice.at ? t("notice_at", { t: clockTime(notice.at) }) : "";
  $("tk-notice").hidden = false;
  shown = key;
  window.__ticketLog?.push(`notice:${notice.text}`);
  return true;
}

/** A ticket that stopped waiting (called, finished) has no use for the line's notice any more. */
export function hideNoticeUnlessWaiting(ticket) {
  if (ticket.status !== "waiting") $("tk-notice").hidden = true;
}

$("tk-notice-close").addEventListener("click", () => {
  $("tk-notice").hidden = true;
  closed = shown;
  try {
    sessionStorage.setItem(CLOSED, shown);
  } catch {
    /* kept in `closed` for this page */
  }
});
