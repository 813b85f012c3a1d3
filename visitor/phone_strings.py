"""Texts of the phone page's notices: staff's notice banner, and giving or withdrawing a number."""

from queue_app.core.i18n import register

register("ticket", {
    "id": {
        "notice_title": "Pengumuman petugas",
        "notice_at": "Pukul {t}",
        "notice_close": "Tutup pengumuman",
        "phone_title": "Kabari saya lewat WhatsApp/SMS",
        "phone_label": "Nomor ponsel",
        "phone_placeholder": "0812…",
        "phone_consent": "Nomor Anda hanya dipakai untuk pesan tentang kunjungan ini (giliran Anda, panggilan) dan "
                         "dihapus setelah {days} hari.",
        "phone_privacy": "Kebijakan privasi",
        "phone_save": "Kirim pesan ke nomor ini",
        "phone_saving": "Menyimpan…",
        "phone_set": "Pesan dikirim ke {phone}.",
        "phone_remove": "Hapus nomor, berhenti kirim pesan",
        "phone_removed": "Nomor dihapus. Tidak ada pesan lagi.",
        "phone_invalid": "Nomor ponsel tidak valid. Tulis seperti 0812… atau +62812….",
        "phone_error": "Maaf, belum tersimpan. Coba lagi.",
        "phone_finished": "Kunjungan ini sudah selesai: tidak ada pesan lagi.",
    },
    "en": {
        "notice_title": "Notice from the staff",
        "notice_at": "At {t}",
        "notice_close": "Close the notice",
        "phone_title": "Tell me by WhatsApp/SMS",
        "phone_label": "Phone number",
        "phone_placeholder": "0812…",
        "phone_consent": "Your number is used only for messages about this visit (your turn, the call) and erased "
                         "after {days} days.",
        "phone_privacy": "Privacy notice",
        "phone_save": "Send messages to this number",
        "phone_saving": "Saving…",
        "phone_set": "Messages go to {phone}.",
        "phone_remove": "Remove the number, stop messages",
        "phone_removed": "Number removed. No more messages.",
        "phone_invalid": "That phone number is not valid. Type it like 0812… or +62812….",
        "phone_error": "Sorry, not saved yet. Please try again.",
        "phone_finished": "This visit is over: no more messages.",
    },
})
