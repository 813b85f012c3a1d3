"""Texts of the visits that cross services on the dashboard and the reports page."""

from queue_app.core.i18n import register

register("dashboard", {
    "id": {
        "visits_title": "Kunjungan lintas layanan",
        "visits_note": "Satu nomor untuk beberapa layanan berurutan. Lama kunjungan: dari pengambilan tiket sampai "
                       "selesai di layanan terakhir; semua kunjungan yang selesai, lalu per rute.",
        "visits_done": "Kunjungan selesai",
        "visits_avg": "Rata-rata lama kunjungan",
        "visits_p90": "Lama kunjungan P90",
        "visits_route": "Rute",
        "visits_all": "Semua kunjungan (termasuk satu layanan)",
    },
    "en": {
        "visits_title": "Visits across services",
        "visits_note": "One number for several services in turn. Visit time: from taking the ticket to finishing at "
                       "the last service; every visit done, then per route.",
        "visits_done": "Visits done",
        "visits_avg": "Average visit time",
        "visits_p90": "Visit time P90",
        "visits_route": "Route",
        "visits_all": "Every visit (one service included)",
    },
})
