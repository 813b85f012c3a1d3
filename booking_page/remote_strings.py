"""Texts of the page for joining a line from afar (/antre), Indonesian and English."""

from queue_app.core.i18n import register

register("remote", {
    "id": {
        "title": "Antre dari Jauh",
        "intro": "Ambil nomor antrean hari ini dari ponsel, datang saat giliran Anda dekat, lalu check-in di kios "
                 "dengan kode Anda.",
        "service": "Layanan hari ini",
        "waiting": "{n} menunggu",
        "eta": "± {n} menit",
        "eta_soon": "tanpa menunggu lama",
        "eta_nobody": "belum ada petugas",
        "places_left": "sisa {n} tempat dari jauh",
        "full": "kuota dari jauh habis",
        "closed": "tutup",
        "no_services": "Hari ini belum ada layanan yang dapat diantre dari jauh. Silakan datang ke kios.",
        "phone": "Nomor HP (tidak wajib)",
        "phone_hint": "Untuk pemberitahuan kapan harus datang, bila tersedia.",
        "join": "Ambil nomor antrean",
        "joining": "Mengambil nomor…",
        "how": "Cara kerjanya: nomor Anda berlaku sejak diambil. Datanglah sebelum giliran Anda dekat (halaman "
               "nomor Anda akan berkata \u201cDatang sekarang\u201d) dan check-in di kios. Yang belum check-in "
               "dilewati saat dipanggil, lalu dibatalkan bila tidak datang.",
        "err_remote_quota_full": "Maaf, kuota antrean dari jauh untuk layanan ini hari ini sudah habis. Silakan "
                                 "datang langsung ke kios.",
        "err_outside_hours": "Layanan ini sedang di luar jam layanan.",
        "err_holiday": "Hari ini kantor libur.",
        "err_service_closed": "Layanan ini sedang tidak menerima antrean.",
        "err_quota_reached": "Kuota antrean hari ini untuk layanan ini sudah habis.",
        "err_remote_not_offered": "Layanan ini tidak dapat diantre dari jauh.",
        "err_rate_limited": "Terlalu banyak nomor diambil dari koneksi atau nomor HP ini. Coba lagi nanti.",
        "err_invalid_phone": "Nomor HP harus diawali 08, +62 atau 62.",
        "error": "Gagal: {message}",
        "offline": "Tidak ada koneksi. Coba lagi.",
        "language": "English",
    },
    "en": {
        "title": "Join the Line from Afar",
        "intro": "Take today's queue number from your phone, come when your turn is near, then check in at a kiosk "
                 "with your code.",
        "service": "Today's services",
        "waiting": "{n} waiting",
        "eta": "about {n} min",
        "eta_soon": "little wait",
        "eta_nobody": "no clerk on duty yet",
        "places_left": "{n} places from afar left",
        "full": "no places from afar left",
        "closed": "closed",
        "no_services": "No service can be joined from afar today. Please come to a kiosk.",
        "phone": "Mobile number (optional)",
        "phone_hint": "To tell you when to come, where available.",
        "join": "Take a queue number",
        "joining": "Taking a number…",
        "how": "How it works: your place counts from the moment you take it. Come before your turn is near (your "
               "number's page will say \u201cCome now\u201d) and check in at a kiosk. Numbers not checked in are "
               "passed over when called, then given up if nobody comes.",
        "err_remote_quota_full": "Sorry, today's places from afar for this service are taken. Please come to a "
                                 "kiosk.",
        "err_outside_hours": "This service is outside its opening hours.",
        "err_holiday": "The office is closed today for a holiday.",
        "err_service_closed": "This service is not taking tickets now.",
        "err_quota_reached": "Today's quota for this service is reached.",
        "err_remote_not_offered": "This service cannot be joined from afar.",
        "err_rate_limited": "Too many numbers taken from this connection or phone number. Try again later.",
        "err_invalid_phone": "A mobile number starts with 08, +62 or 62.",
        "error": "Failed: {message}",
        "offline": "No connection. Please try again.",
        "language": "Bahasa Indonesia",
    },
})
