// The dashboard's notice to everyone waiting for a service (POST /api/services/<code>/notice: the phone
// pages, the hall displays and the phones given), and the notices' provider health (GET /api/notify/health).

import { $ } from "/static/js/dom.js";
import { HttpError, getJSON, postJSON } from "/static/js/http.js";
import { t } from "/static/js/i18n.js";
import { clockTime } from "/static/js/time.js";

const HEALTH_EVERY_MS = 30_000;

function wireNotice() {
  const form = $("notice-form");
  if (!form) return;
  const result = $("notice-result");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = $("notice-text").value.trim();
    const service = $("notice-service").value;
    result.className = "notice-result";
    if (!text) {
      result.textContent = t("notice_empty");
      result.classList.add("bad");
      $("notice-text").focus();
      return;
    }
    $("notice-send").disabled = true;
    result.textContent = t("notice_sending");
    try {
      const body = await postJSON(`/api/services/${encodeURIComponent(service)}/notice`, { text });
      result.textContent = t("notice_sent", { waiting: body.waiting, recipients: body.recipients });
      result.classList.add("ok");
      result.dataset.recipients = String(body.recipients);
      $("notice-text").value = "";
      refreshHealth();
    } catch (err) {
      const message = err instanceof HttpError && err.body?.error?.message ? err.body.error.message : String(err.message || err);
      result.textContent = t("notice_failed", { message });
      result.classList.add("bad");
    } finally {
      $("notice-send").disabled = false;
    }
  });
}

async function refreshHealth() {
  if (!$("health-card")) return;
  try {
    const h = await getJSON("/api/notify/health", { background: true });
    $("health-provider").textContent = h.provider || t("health_off");
    $("health-queued").textContent = String(h.queued);
    $("health-failed").textContent = String(h.failed_last_hour);
    $("health-failed").classList.toggle("bad", h.failed_last_hour > 0);
    $("health-last-sent").textContent = h.last_sent_at ? clockTime(h.last_sent_at) : t("health_none");
    $("health-last-error").textContent = h.last_error || t("health_none");
    $("health-note").textContent = "";
    $("health-card").dataset.loaded = "1";
  } catch {
    $("health-note").textContent = t("health_unreachable");
  }
}

wireNotice();
refreshHealth();
setInterval(refreshHealth, HEALTH_EVERY_MS);
