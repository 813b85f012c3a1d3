"""Texts of the phone page's service standard and complaint form (visitor/static/complaint.js), prefix ``ticket``."""

from queue_app.core.i18n import register

register("ticket", {
    "id": {
        "standard_summary": "Persyaratan, waktu & biaya layanan ini",
        "complaint_open": "Ada keluhan? Sampaikan pengaduan",
        "complaint_title": "Pengaduan tentang kunjungan ini",
        "complaint_text": "Isi pengaduan",
        "complaint_hint": "Ceritakan apa yang terjadi. Nomor antrean Anda ikut terkirim.",
        "complaint_contact": "Kontak (tidak wajib; boleh tanpa nama)",
        "complaint_name": "Nama",
        "complaint_phone": "Nomor HP / WhatsApp",
        "complaint_email": "Email",
        "complaint_privacy": "Nama, nomor HP dan email hanya dipakai untuk menanggapi pengaduan ini dan dihapus "
                             "setelah tidak diperlukan lagi.",
        "complaint_privacy_link": "Kebijakan privasi",
        "complaint_send": "Kirim pengaduan",
        "complaint_cancel": "Batal",
        "complaint_sending": "Mengirim…",
        "complaint_sent": "Pengaduan {reference} diterima. Tanggapan paling lambat {date}.",
        "complaint_follow": "Pantau pengaduan {reference}",
        "complaint_error_empty": "Tulis isi pengaduan Anda.",
        "complaint_error_phone": "Nomor HP tidak dikenali (contoh: 0812 3456 7890).",
        "complaint_error_email": "Alamat email tidak dikenali.",
        "complaint_error_busy": "Terlalu banyak pengaduan dari jaringan ini. Coba lagi nanti.",
        "complaint_error": "Gagal mengirim. Periksa koneksi lalu coba lagi.",
    },
    "en": {
        "standard_summary": "Requirements, time & cost of this service",
        "complaint_open": "Something wrong? Send a complaint",
        "complaint_title": "A complaint about this visit",
        "complaint_text": "Your complaint",
        "complaint_hint": "Tell us what happened. Your queue number is sent with it.",
        "complaint_contact": "Contact (optional; you may stay anonymous)",
        "complaint_name": "Name",
        "complaint_phone": "Mobile / WhatsApp number",
        "complaint_email": "Email",
        "complaint_privacy": "Your name, phone number and email are only used to answer this complaint and are "
                             "erased once no longer needed.",
        "complaint_privacy_link": "Privacy notice",
        "complaint_send": "Send complaint",
        "complaint_cancel": "Cancel",
        "complaint_sending": "Sending…",
        "complaint_sent": "Complaint {reference} received. You will get an answer by {date}.",
        "complaint_follow": "Follow complaint {reference}",
        "complaint_error_empty": "Please write your complaint.",
        "complaint_error_phone": "That phone number was not recognised (e.g. 0812 3456 7890).",
        "complaint_error_email": "That email address was not recognised.",
        "complaint_error_busy": "Too many complaints from this network. Please try again later.",
        "complaint_error": "Could not send. Check the connection and try again.",
    },
})
