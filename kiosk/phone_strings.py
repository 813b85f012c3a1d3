"""The kiosk's optional phone step (WhatsApp notices about this visit): Indonesian first, English for the toggle."""

from queue_app.core.i18n import register

register("kiosk", {
    "id": {
        "phone_title": "Kirim nomor antrean ke WhatsApp",
        "phone_consent": "Boleh dilewati. Nomor ponsel Anda hanya dipakai untuk pesan tentang kunjungan ini "
                         "(nomor antrean, giliran Anda, panggilan) dan dihapus setelah {days} hari.",
        "phone_privacy": "Kebijakan privasi: /privacy",
        "phone_keypad": "Tombol angka nomor ponsel",
        "phone_plus": "Tanda tambah",
        "phone_send": "Kirim ke nomor ini",
        "phone_skip": "Lewati, ambil nomor saja",
        "phone_invalid": "Nomor ponsel tidak valid. Tulis seperti 0812… atau +62812…, atau lewati.",
        "phone_sent_to": "Nomor antrean juga dikirim ke {phone}",
    },
    "en": {
        "phone_title": "Send the queue number to WhatsApp",
        "phone_consent": "You may skip this. Your phone number is used only for messages about this visit (your "
                         "number, your turn, the call) and erased after {days} days.",
        "phone_privacy": "Privacy notice: /privacy",
        "phone_keypad": "Phone number keypad",
        "phone_plus": "Plus sign",
        "phone_send": "Send to this number",
        "phone_skip": "Skip, just take a number",
        "phone_invalid": "That phone number is not valid. Type it like 0812… or +62812…, or skip.",
        "phone_sent_to": "Your number is also sent to {phone}",
    },
})
