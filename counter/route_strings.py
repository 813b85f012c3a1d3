"""Texts of a visit that crosses services on the clerk's panel (counter/static/route.js)."""

from queue_app.core.i18n import register

register("counter", {
    "id": {
        "visit_title": "Rute kunjungan",
        "visit_from": "Dari {service} ({counter})",
        "visit_came_from": "dari {service}",
        "visit_then": "Setelah Selesai: lanjut ke {service}",
        "visit_then_closed": "Setelah Selesai: lanjut ke {service}, yang sedang tutup; pengunjung menunggu sampai buka",
        "visit_last": "Langkah terakhir: Selesai mengakhiri kunjungan",
        "visit_end": "Akhiri kunjungan",
        "visit_go_to": "Ke langkah…",
        "visit_go_to_title": "Kirim {number} ke langkah",
        "visit_moved": "{number} lanjut ke {service} dengan nomor yang sama.",
        "visit_moved_closed": "{number} lanjut ke {service}, yang sedang tutup: nomornya menunggu sampai dibuka.",
    },
    "en": {
        "visit_title": "Visit route",
        "visit_from": "From {service} ({counter})",
        "visit_came_from": "from {service}",
        "visit_then": "After Done: on to {service}",
        "visit_then_closed": "After Done: on to {service}, which is closed now; the visitor waits until it opens",
        "visit_last": "Last step: Done ends the visit",
        "visit_end": "End visit",
        "visit_go_to": "To step…",
        "visit_go_to_title": "Send {number} to step",
        "visit_moved": "{number} goes on to {service} with the same number.",
        "visit_moved_closed": "{number} goes on to {service}, which is closed now: the number waits until it opens.",
    },
})
