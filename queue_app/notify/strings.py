"""Texts of the notices: what a gateway sends (``notify.text_<kind>``, parameters ``{p1}``, ``{p2}``... in the
order of the WhatsApp template's), and the notices' error texts."""

from queue_app.core.i18n import register

register("notify", {
    "id": {
        "text_issued": "Nomor antrean Anda {p1} untuk {p2}. Pantau antrean Anda di {p3}",
        "text_ahead": "Nomor antrean {p1}: tinggal {p2} orang lagi sebelum Anda. Mohon bersiap di dekat loket.",
        "text_come_now": "Nomor antrean {p1}: giliran Anda sudah dekat. Silakan datang sekarang dan lapor di kios.",
        "text_called": "Nomor antrean {p1}, silakan menuju {p2}.",
        "text_missed": "Nomor antrean {p1} telah dipanggil tetapi Anda tidak hadir. Silakan ambil antrean baru.",
        "text_done": "Terima kasih, layanan untuk nomor {p1} selesai. Beri penilaian Anda di {p2}",
        "text_booked": "Reservasi {p1} untuk {p2} pada {p3} pukul {p4} sudah tercatat. Tunjukkan kode ini di kios.",
        "text_reminder": "Pengingat: reservasi {p1} untuk {p2} pada {p3} pukul {p4}.",
        "text_notice": "Pengumuman layanan: {p1}",
    },
    "en": {
        "text_issued": "Your queue number is {p1} for {p2}. Follow your place at {p3}",
        "text_ahead": "Number {p1}: {p2} people ahead of you. Please be ready near the counters.",
        "text_come_now": "Number {p1}: your turn is near. Please come now and check in at the kiosk.",
        "text_called": "Number {p1}, please go to {p2}.",
        "text_missed": "Number {p1} was called but you were not there. Please take a new number.",
        "text_done": "Thank you, the service for number {p1} is finished. Rate it at {p2}",
        "text_booked": "Booking {p1} for {p2} on {p3} at {p4} is confirmed. Show this code at the kiosk.",
        "text_reminder": "Reminder: booking {p1} for {p2} on {p3} at {p4}.",
        "text_notice": "Service notice: {p1}",
    },
})

register("errors", {
    "id": {
        "ticket_finished": "Kunjungan ini sudah selesai; tidak ada pesan lagi.",
        "bad_signature": "Tanda tangan X-Hub-Signature-256 tidak ada atau salah.",
        "verify_refused": "Token verifikasi tidak cocok.",
    },
    "en": {
        "ticket_finished": "This visit is over: no more messages.",
        "bad_signature": "The X-Hub-Signature-256 header is missing or wrong.",
        "verify_refused": "The verify token does not match.",
    },
})

register("privacy", {
    "id": {"kind_notify_message": "Pesan pemberitahuan (WhatsApp/SMS): nomor HP tujuan"},
    "en": {"kind_notify_message": "Notices sent (WhatsApp/SMS): the number they went to"},
})
