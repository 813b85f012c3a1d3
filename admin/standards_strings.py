"""Texts of the admin's publication pages: service standards, the maklumat and the complaint poster (``cadmin``)."""

from queue_app.core.i18n import register

register("cadmin", {
    "id": {
        "publication": "Standar & publikasi",
        "std_title": "Standar pelayanan",
        "std_intro": "Standar Pelayanan (PermenPANRB 15/2014) tiap layanan. Enam komponen penyampaian tampil di kios, "
                     "halaman ponsel, reservasi dan /layanan; keempat belas komponen untuk petugas. Perubahan di sini "
                     "menggantikan config.toml sampai dikembalikan.",
        "std_source": "Sumber",
        "std_source_admin": "Diubah admin",
        "std_source_config": "config.toml",
        "std_source_none": "Belum ada",
        "std_components": "Komponen",
        "std_public": "Halaman publik",
        "std_edit_title": "Standar pelayanan: {service}",
        "std_hint": "Satu baris = satu butir. Kosongkan komponen yang tidak ingin ditampilkan.",
        "std_delivery": "Penyampaian pelayanan (tampil untuk masyarakat)",
        "std_management": "Pengelolaan pelayanan (untuk petugas)",
        "std_reset": "Kembalikan ke config.toml",
        "std_back": "Semua layanan",
        "maklumat": "Maklumat pelayanan",
        "maklumat_from": "Diatur di config.toml ([site] maklumat); tampil di halaman awal, layar ruang tunggu dan /maklumat.",
        "maklumat_none": "Belum ada maklumat pelayanan di config.toml.",
        "links": "Halaman untuk masyarakat",
        "link_standards": "Standar pelayanan (/layanan)",
        "link_maklumat": "Maklumat (/maklumat)",
        "link_ikm": "Hasil survei dan tindak lanjut (/ikm)",
        "link_complaints": "Formulir pengaduan (/pengaduan)",
        "link_poster": "Cetak poster QR pengaduan",
    },
    "en": {
        "publication": "Standards & publication",
        "std_title": "Service standards",
        "std_intro": "Each service's Standar Pelayanan (PermenPANRB 15/2014). The six delivery components show on the "
                     "kiosk, the phone page, booking and /layanan; all fourteen for staff. A change here replaces "
                     "config.toml's until it is reset.",
        "std_source": "Source",
        "std_source_admin": "Changed by an admin",
        "std_source_config": "config.toml",
        "std_source_none": "None yet",
        "std_components": "Components",
        "std_public": "Public page",
        "std_edit_title": "Service standard: {service}",
        "std_hint": "One line = one point. Leave a component empty to hide it.",
        "std_delivery": "Service delivery (shown to the public)",
        "std_management": "Service management (for staff)",
        "std_reset": "Reset to config.toml",
        "std_back": "All services",
        "maklumat": "Service pledge (maklumat)",
        "maklumat_from": "Set in config.toml ([site] maklumat); shown on the start page, the hall displays and /maklumat.",
        "maklumat_none": "No maklumat in config.toml yet.",
        "links": "Pages for the public",
        "link_standards": "Service standards (/layanan)",
        "link_maklumat": "Pledge (/maklumat)",
        "link_ikm": "Survey results and follow-up (/ikm)",
        "link_complaints": "Complaint form (/pengaduan)",
        "link_poster": "Print the complaint QR poster",
    },
})
