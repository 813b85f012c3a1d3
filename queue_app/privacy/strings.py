"""Texts of the privacy notice and the /privacy page, under the ``privacy`` prefix."""

from queue_app.core.i18n import register

register("privacy", {
    "id": {
        "title": "Pemberitahuan Privasi",
        "kept": "Data ini disimpan {days} hari setelah kunjungan atau tanggal reservasi, lalu dihapus.",
        "read": "Pemberitahuan privasi",
        "why_booking": "Nama dan nomor HP hanya dipakai untuk reservasi ini (mengenali Anda saat datang dan "
                       "menghubungi Anda bila jadwal berubah).",
        "default": "Kami hanya meminta data pribadi yang diperlukan untuk melayani Anda, dan hanya memakainya untuk "
                   "kunjungan itu. Data tidak dijual atau dibagikan kepada pihak lain, kecuali diwajibkan "
                   "undang-undang. Jawaban survei kepuasan tidak dikaitkan dengan nama atau nomor HP Anda.",
        "what": "Yang kami simpan",
        "how_long": "Berapa lama",
        "how_long_text": "Nama dan nomor HP dihapus otomatis {days} hari setelah kunjungan atau tanggal reservasi.",
        "rights": "Hak Anda",
        "rights_text": "Sesuai UU No. 27 Tahun 2022 tentang Pelindungan Data Pribadi, Anda dapat meminta salinan "
                       "data tentang nomor HP Anda atau meminta penghapusannya kapan saja di meja informasi.",
        "nothing": "Tidak ada data pribadi yang disimpan.",
        "kind_booking": "Reservasi online: nama dan nomor HP yang diberikan saat memesan",
        "kind_ticket_phone": "Nomor antrean: nomor HP yang diberikan saat mengambil antrean (dari jauh atau di "
                             "kios), untuk pemberitahuan tentang kunjungan itu",
        "why_remote": "Nomor HP (tidak wajib) hanya dipakai untuk memberi tahu Anda tentang antrean ini (kapan "
                      "harus datang, saat dipanggil).",
    },
    "en": {
        "title": "Privacy Notice",
        "kept": "It is kept for {days} days after the visit or the booked day, then erased.",
        "read": "Privacy notice",
        "why_booking": "Your name and mobile number are used for this booking only (to recognise you when you come "
                       "and to reach you if the schedule changes).",
        "default": "We only ask for the personal data we need to serve you, and use it for that visit only. It is "
                   "never sold or shared with others unless the law requires it. Satisfaction survey answers are "
                   "never linked to your name or number.",
        "what": "What we keep",
        "how_long": "How long",
        "how_long_text": "Names and mobile numbers are erased automatically {days} days after the visit or the "
                         "booked day.",
        "rights": "Your rights",
        "rights_text": "Under Law No. 27 of 2022 on Personal Data Protection you may ask at the information desk "
                       "for a copy of what is stored about your number, or for its erasure, at any time.",
        "nothing": "No personal data is kept.",
        "kind_booking": "Online bookings: the name and mobile number given when booking",
        "kind_ticket_phone": "Queue tickets: the mobile number given when taking a ticket (from afar or at a "
                             "kiosk), for notices about that visit",
        "why_remote": "Your mobile number (optional) is used only to tell you about this ticket (when to come, "
                      "when you are called).",
    },
})
