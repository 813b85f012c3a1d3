"""``/admin/messages``: the WhatsApp/SMS messages of one visit, found by ticket number and day or booking code
(the same reading as ``GET /api/notify/messages``: numbers masked), with the provider's health."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, request

from queue_app.core.errors import QueueError, ValidationFailed
from queue_app.core.i18n import register
from queue_app.core.site import current_site, today
from queue_app.notify import health
from queue_app.notify.operations import messages_of

from .views import admin_page, bp

MAX_CODE = 16

register("cadmin", {
    "id": {
        "messages": "Pesan WA/SMS",
        "messages_title": "Pesan WhatsApp/SMS sebuah kunjungan",
        "messages_note": "Cari dengan nomor antrean dan tanggalnya, atau dengan kode reservasi. Nomor ponsel "
                         "disamarkan.",
        "messages_ticket": "Nomor antrean",
        "messages_date": "Tanggal",
        "messages_booking": "atau kode reservasi",
        "messages_search": "Cari",
        "messages_none": "Belum ada pesan untuk kunjungan ini.",
        "messages_kind": "Jenis",
        "messages_to": "Ke",
        "messages_status": "Status",
        "messages_attempts": "Percobaan",
        "messages_created": "Dibuat",
        "messages_sent": "Terkirim",
        "messages_health": "Penyedia pesan",
        "messages_off": "Pesan WhatsApp/SMS tidak aktif ([notify] provider kosong).",
        "messages_queued": "Antre dikirim",
        "messages_failed": "Gagal (1 jam terakhir)",
        "messages_last_sent": "Terakhir berhasil",
        "messages_last_error": "Kesalahan terakhir",
        "a_service_notice": "Pengumuman ke pengunjung yang menunggu",
        "a_notify.notice": "Pesan pengumuman ke ponsel pengunjung",
    },
    "en": {
        "messages": "WA/SMS messages",
        "messages_title": "The WhatsApp/SMS messages of a visit",
        "messages_note": "Search by ticket number and its day, or by booking code. Phone numbers are masked.",
        "messages_ticket": "Ticket number",
        "messages_date": "Day",
        "messages_booking": "or booking code",
        "messages_search": "Search",
        "messages_none": "No messages for this visit yet.",
        "messages_kind": "Kind",
        "messages_to": "To",
        "messages_status": "Status",
        "messages_attempts": "Attempts",
        "messages_created": "Created",
        "messages_sent": "Sent",
        "messages_health": "Message provider",
        "messages_off": "WhatsApp/SMS messages are off ([notify] provider is empty).",
        "messages_queued": "Queued",
        "messages_failed": "Failed (last hour)",
        "messages_last_sent": "Last success",
        "messages_last_error": "Last error",
        "a_service_notice": "Notice to everyone waiting",
        "a_notify.notice": "Notice messages to visitors' phones",
    },
})


register("errors", {
    "id": {"messages_one": "Isi nomor antrean (dengan tanggal) atau kode reservasi, salah satu saja."},
    "en": {"messages_one": "Give a ticket number (with its day) or a booking code, not both."},
})


def _local(value: str | None) -> str:
    """An ISO time of the API as the site's clock shows it."""
    if not value:
        return "—"
    from datetime import datetime

    return datetime.fromisoformat(value).astimezone(current_site().tz).strftime("%d-%m-%Y %H:%M:%S")


@bp.get("/messages")
@admin_page
def messages():
    """Search one visit's messages; the provider's health on top."""
    ticket = (request.args.get("ticket") or "").strip()[:MAX_CODE]
    booking = (request.args.get("booking") or "").strip()[:MAX_CODE]
    day_arg = (request.args.get("date") or "").strip()[:10]
    rows: list[dict[str, Any]] | None = None
    error = None
    day = today()
    try:
        if day_arg:
            try:
                day = date.fromisoformat(day_arg)
            except ValueError:
                raise ValidationFailed(text="closure_day_format", field="date") from None
        if ticket and booking:
            raise ValidationFailed(text="messages_one")
        if ticket or booking:
            found = messages_of(booking=booking) if booking else messages_of(ticket=ticket, day=day)
            rows = [{**m, "created_at": _local(m["created_at"]), "sent_at": _local(m["sent_at"])} for m in found]
    except QueueError as exc:
        error = exc.page_message()
    state = health()
    return render_template("admin/messages.html", tab="messages", rows=rows, error=error, ticket=ticket,
                           booking=booking, day=day.isoformat(), health=state,
                           last_sent=_local(state["last_sent_at"]))
