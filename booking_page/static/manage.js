// The manage link of one booking: cancel it (its place is free again for someone else).

import { $ } from "/static/js/dom.js";
import { request } from "/static/js/http.js";
import { t } from "/static/js/i18n.js";

const root = $("manage");
const button = $("bk-cancel");

button?.addEventListener("click", async () => {
  if (!window.confirm(t("cancel_confirm"))) return;
  button.disabled = true;
  try {
    const booking = await request("DELETE", `/api/bookings/${encodeURIComponent(root.dataset.token)}`);
    root.dataset.status = booking.status;
    $("bk-status").textContent = t(`status_${booking.status}`);
    button.hidden = true;
    for (const node of root.querySelectorAll(".bk-qr, .bk-links, .bk-note")) node.hidden = true;
  } catch (err) {
    button.disabled = false;
    $("bk-error").hidden = false;
    $("bk-error").textContent = err.status ? t("error", { message: err.message }) : t("offline");
  }
});
