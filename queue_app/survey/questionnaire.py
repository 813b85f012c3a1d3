"""The nine elements (unsur) of the SKM questionnaire, PermenPANRB 14/2017, with their answer labels.

The elements, their order and the 1–4 scale are fixed by the regulation: a site may reword a question
(``[survey] questions`` in config.toml) but never add, drop or reorder one, so IKM figures stay comparable
between units and years. Labels go from worst (1) to best (4), each worded for its element.
"""

from __future__ import annotations

from dataclasses import dataclass

from queue_app.core.site import current_site

CODES = tuple(f"U{i}" for i in range(1, 10))


@dataclass(frozen=True)
class Unsur:
    """One element: its code, name, the standard question and four answer labels, in both languages."""

    code: str
    name: dict[str, str]
    question: dict[str, str]
    options: dict[str, tuple[str, str, str, str]]


def _u(code: str, name_id: str, name_en: str, q_id: str, q_en: str,
       opts_id: tuple[str, str, str, str], opts_en: tuple[str, str, str, str]) -> Unsur:
    return Unsur(code, {"id": name_id, "en": name_en}, {"id": q_id, "en": q_en}, {"id": opts_id, "en": opts_en})


UNSUR: tuple[Unsur, ...] = (
    _u("U1", "Persyaratan", "Requirements",
       "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis pelayanannya?",
       "How well did the requirements fit the service you asked for?",
       ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
       ("Not suitable", "Less suitable", "Suitable", "Very suitable")),
    _u("U2", "Sistem, Mekanisme, dan Prosedur", "System, mechanism and procedure",
       "Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?",
       "How easy was the procedure of this service?",
       ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"),
       ("Not easy", "Not very easy", "Easy", "Very easy")),
    _u("U3", "Waktu Penyelesaian", "Completion time",
       "Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?",
       "How fast was the service?",
       ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"),
       ("Not fast", "Not very fast", "Fast", "Very fast")),
    _u("U4", "Biaya/Tarif", "Cost/fee",
       "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?",
       "How fair was the cost or fee of the service?",
       ("Sangat mahal", "Cukup mahal", "Murah", "Gratis"),
       ("Very expensive", "Rather expensive", "Cheap", "Free")),
    _u("U5", "Produk Spesifikasi Jenis Pelayanan", "Service product",
       "Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum dalam standar "
       "pelayanan dengan hasil yang diberikan?",
       "Did what you received match what the service standard promises?",
       ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
       ("Not matching", "Partly matching", "Matching", "Fully matching")),
    _u("U6", "Kompetensi Pelaksana", "Staff competence",
       "Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?",
       "How competent were the staff who served you?",
       ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten"),
       ("Not competent", "Not very competent", "Competent", "Very competent")),
    _u("U7", "Perilaku Pelaksana", "Staff behaviour",
       "Bagaimana pendapat Saudara tentang perilaku petugas dalam pelayanan terkait kesopanan dan keramahan?",
       "How polite and friendly were the staff?",
       ("Tidak sopan dan ramah", "Kurang sopan dan ramah", "Sopan dan ramah", "Sangat sopan dan ramah"),
       ("Not polite or friendly", "Not very polite or friendly", "Polite and friendly",
        "Very polite and friendly")),
    _u("U8", "Penanganan Pengaduan, Saran dan Masukan", "Handling of complaints and suggestions",
       "Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?",
       "How are users' complaints and suggestions handled here?",
       ("Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal", "Dikelola dengan baik"),
       ("There is none", "Exists but does not work", "Works, but not fully", "Well handled")),
    _u("U9", "Sarana dan Prasarana", "Facilities",
       "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?",
       "How good are the facilities?",
       ("Buruk", "Cukup", "Baik", "Sangat baik"),
       ("Poor", "Fair", "Good", "Very good")),
)

#: the respondent profile's suggested answers, stored as written here (the API takes any short text)
EDUCATION = ("SD", "SMP", "SMA/SMK", "D1-D3", "D4/S1", "S2", "S3")
#: stored value → key of its label in the ``survey`` texts
OCCUPATION = {"PNS": "PNS", "TNI/Polri": "TNI", "Swasta": "Swasta", "Wirausaha": "Wirausaha",
              "Pelajar/Mahasiswa": "Pelajar", "Lainnya": "Lainnya"}


def unsur_view(lang: str = "id") -> list[dict]:
    """The questionnaire as ``GET /api/survey`` gives it, with the site's rewording applied."""
    lang = lang if lang in ("id", "en") else "id"
    reworded = current_site().survey_questions
    out = []
    for u in UNSUR:
        # a site's rewording is in its own language; English keeps the standard text
        question = reworded.get(u.code) if lang == current_site().locale and u.code in reworded else u.question[lang]
        out.append({
            "code": u.code,
            "name": u.name[lang],
            "question": question,
            "options": [{"value": i, "label": label} for i, label in enumerate(u.options[lang], start=1)],
        })
    return out


def screen_data(lang: str) -> dict:
    """What a survey screen needs at once: the questionnaire, the profile choices and both languages' texts."""
    from queue_app.core.i18n import LANGS, catalog

    from . import strings  # noqa: F401  (registers the texts)

    return {
        "unsur": unsur_view(lang),
        "education": list(EDUCATION),
        "occupation": [{"value": v, "key": k} for v, k in OCCUPATION.items()],
        "texts": {code: catalog(code, "survey") for code in LANGS},
    }
