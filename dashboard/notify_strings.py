"""Texts of the dashboard's notice form and the notices' provider card (Indonesian first, English)."""

from queue_app.core.i18n import register

register("dashboard", {
    "id": {
        "notice_title": "Pengumuman ke pengunjung yang menunggu",
        "notice_note": "Tampil di halaman antrean ponsel dan layar ruang tunggu; pengunjung yang memberi nomor "
                       "juga menerima WhatsApp/SMS.",
        "notice_service": "Layanan",
        "notice_text": "Isi pengumuman",
        "notice_hint": "Paling banyak {n} karakter.",
        "notice_send": "Kirim pengumuman",
        "notice_sending": "Mengirim…",
        "notice_sent": "Terkirim: {waiting} menunggu, {recipients} nomor dikirimi pesan.",
        "notice_failed": "Gagal mengirim: {message}",
        "notice_empty": "Tulis isi pengumuman dulu.",
        "health_title": "Pesan WhatsApp/SMS",
        "health_provider": "Penyedia",
        "health_queued": "Antre dikirim",
        "health_failed": "Gagal (1 jam terakhir)",
        "health_last_sent": "Terakhir berhasil",
        "health_last_error": "Kesalahan terakhir",
        "health_none": "—",
        "health_off": "Tidak aktif",
        "health_unreachable": "Status penyedia tidak terbaca.",
    },
    "en": {
        "notice_title": "Notice to everyone waiting",
        "notice_note": "Shown on the visitors' phone pages and the hall displays; visitors who gave a number also "
                       "get a WhatsApp/SMS.",
        "notice_service": "Service",
        "notice_text": "Notice",
        "notice_hint": "At most {n} characters.",
        "notice_send": "Send notice",
        "notice_sending": "Sending…",
        "notice_sent": "Sent: {waiting} waiting, {recipients} numbers messaged.",
        "notice_failed": "Not sent: {message}",
        "notice_empty": "Write the notice first.",
        "health_title": "WhatsApp/SMS messages",
        "health_provider": "Provider",
        "health_queued": "Queued",
        "health_failed": "Failed (last hour)",
        "health_last_sent": "Last success",
        "health_last_error": "Last error",
        "health_none": "—",
        "health_off": "Off",
        "health_unreachable": "The provider's status could not be read.",
    },
})
