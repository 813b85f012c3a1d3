"""Texts of the errors every client can get, in the i18n catalog under ``errors.<code>``.

The English text is the API's ``message`` (integrators and logs read English; clients act on ``code``);
the Indonesian one is what a person sees on an error page of a screen in the default language.
"""

from __future__ import annotations

from .i18n import register

register("errors", {
    "id": {
        "queue_error": "Permintaan antrean tidak dapat diproses.",
        "bad_request": "Permintaan tidak sesuai format.",
        "validation_failed": "Ada isian dengan jenis atau nilai yang salah.",
        "not_found": "Tidak ditemukan.",
        "service_not_found": "Layanan tidak ditemukan.",
        "counter_not_found": "Loket tidak ditemukan.",
        "ticket_not_found": "Tiket tidak ditemukan.",
        "zone_not_found": "Zona tidak ditemukan.",
        "kiosk_not_found": "Kios tidak ditemukan.",
        "printer_not_found": "Printer tidak ditemukan.",
        "user_not_found": "Pengguna tidak ditemukan.",
        "service_closed": "Layanan sedang tidak menerima antrean.",
        "outside_hours": "Layanan hanya menerima antrean pada jam layanan.",
        "quota_reached": "Kuota hari ini untuk layanan ini sudah habis.",
        "counter_busy": "Loket masih melayani tiket; selesaikan dulu.",
        "counter_paused": "Loket sedang jeda; lanjutkan dulu.",
        "invalid_state": "Tindakan itu tidak sesuai dengan keadaan tiket atau loket.",
        "idempotency_conflict": "Idempotency-Key ini sudah dipakai untuk tindakan lain.",
        "unauthorized": "Silakan masuk terlebih dahulu.",
        "forbidden": "Anda tidak berhak melakukan itu.",
        "rate_limited": "Terlalu banyak permintaan; tunggu sebentar.",
        "payload_too_large": "Isi permintaan lebih besar dari 64 KiB.",
        "database_unavailable": "Basis data sedang tidak tersedia.",
        "internal_error": "Terjadi kesalahan pada server.",
    },
    "en": {
        "queue_error": "An expected, user-facing failure of a queue operation.",
        "bad_request": "The request is malformed.",
        "validation_failed": "A field has the wrong type or value.",
        "not_found": "No such thing.",
        "service_not_found": "No such service.",
        "counter_not_found": "No such counter.",
        "ticket_not_found": "No such ticket.",
        "zone_not_found": "No such zone.",
        "kiosk_not_found": "No such kiosk.",
        "printer_not_found": "No such printer.",
        "user_not_found": "No such user.",
        "service_closed": "The service is not taking tickets now.",
        "outside_hours": "The service only issues tickets inside its opening hours.",
        "quota_reached": "Today's quota for this service has been reached.",
        "counter_busy": "The counter still has an open ticket; finish it first.",
        "counter_paused": "The counter is paused; resume it first.",
        "invalid_state": "That action does not fit the ticket's or counter's state.",
        "idempotency_conflict": "This Idempotency-Key was already used for a different action.",
        "unauthorized": "Sign in first.",
        "forbidden": "You may not do that.",
        "rate_limited": "Too many requests; wait a moment.",
        "payload_too_large": "Request body is larger than 64 KiB.",
        "database_unavailable": "The database is not reachable; try again shortly.",
        "internal_error": "Something went wrong on the server; it has been logged.",
    },
})
