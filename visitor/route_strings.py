"""Texts of the route of a visit that crosses services on the visitor's page (visitor/static/route.js)."""

from queue_app.core.i18n import register

register("ticket", {
    "id": {
        "route_title": "Langkah kunjungan Anda",
        "route_done": "selesai",
        "route_current": "sekarang",
        "route_next": "berikutnya",
        "route_go_next": "Berikutnya: {service}",
        "route_wait": "perkiraan menunggu ± {n} menit",
        "route_wait_soon": "tanpa menunggu lama",
        "route_last_step": "Ini langkah terakhir kunjungan Anda.",
        "route_all_done": "Semua langkah kunjungan Anda telah selesai.",
        "route_closed_now": "Layanan {service} sedang tutup.",
        "route_next_closed": "Berikutnya: {service} (sedang tutup).",
        "route_keep_number": "Nomor Anda tetap berlaku; Anda akan dipanggil saat layanan dibuka.",
        "route_closed_short": "Layanan ini sedang tutup",
    },
    "en": {
        "route_title": "The steps of your visit",
        "route_done": "done",
        "route_current": "now",
        "route_next": "next",
        "route_go_next": "Next: {service}",
        "route_wait": "estimated wait about {n} min",
        "route_wait_soon": "hardly any wait",
        "route_last_step": "This is the last step of your visit.",
        "route_all_done": "Every step of your visit is done.",
        "route_closed_now": "{service} is closed right now.",
        "route_next_closed": "Next: {service} (closed right now).",
        "route_keep_number": "Your number stays valid; you will be called when it opens.",
        "route_closed_short": "This service is closed right now",
    },
})
