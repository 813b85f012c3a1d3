"""The IKM report's other tables: per agency, per month, the respondent profile, comments, the answers.

Counts and sums come from the database grouped per (agency | day); the index of each group is worked out
by :func:`queue_app.survey.operations.index_from_sums` on exact fractions, as for the total.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa

from queue_app.core.extensions import db
from queue_app.core.models import Agency, Counter, Service

from .models import ANSWER_COLUMNS, SurveyResponse
from .operations import index_from_sums, scope_filter

AGE_BANDS = ((None, 19, "< 20"), (20, 29, "20–29"), (30, 39, "30–39"), (40, 49, "40–49"), (50, 59, "50–59"),
             (60, None, "≥ 60"))
GENDER_ID = {"L": "Laki-laki", "P": "Perempuan"}
NOT_GIVEN = "Tidak diisi"


def _sums() -> list[Any]:
    return [sa.func.count(SurveyResponse.id)] + [sa.func.sum(getattr(SurveyResponse, c)) for c in ANSWER_COLUMNS]


def _summary(respondents: int, sums: list[int]) -> dict[str, Any]:
    idx = index_from_sums(respondents, sums)
    return {"respondents": respondents, "ikm": idx["ikm"], "grade": idx["grade"], "grade_label": idx["grade_label"]}


def by_agency(first: date, last: date, *, agency_id: int | None = None) -> list[dict[str, Any]]:
    """One line per agency that has answers in the range (a scoped manager: only theirs)."""
    query = (sa.select(Agency.code, Agency.name, *_sums()).join(Agency, Agency.id == SurveyResponse.agency_id)
             .where(SurveyResponse.finished_day.between(first, last)).group_by(Agency.code, Agency.name)
             .order_by(Agency.code))
    query = scope_filter(query, agency_id=agency_id, service_id=None)
    return [{"code": r[0], "name": r[1], **_summary(int(r[2]), [int(v) for v in r[3:]])}
            for r in db.session.execute(query)]


def by_month(first: date, last: date, *, agency_id: int | None = None,
             service_id: int | None = None) -> list[dict[str, Any]]:
    """The trend: one line per calendar month of the range that has answers, oldest first."""
    query = (sa.select(SurveyResponse.finished_day, *_sums())
             .where(SurveyResponse.finished_day.between(first, last)).group_by(SurveyResponse.finished_day))
    months: dict[str, list[int]] = defaultdict(lambda: [0] * 10)
    for row in db.session.execute(scope_filter(query, agency_id=agency_id, service_id=service_id)):
        acc = months[row[0].strftime("%Y-%m")]
        for i, v in enumerate(row[1:]):
            acc[i] += int(v)
    return [{"month": m, **_summary(acc[0], acc[1:])} for m, acc in sorted(months.items())]


def _age_band() -> sa.ColumnElement[str]:
    whens = []
    for low, high, label in AGE_BANDS:
        cond = sa.and_(*([SurveyResponse.age >= low] if low is not None else []),
                       *([SurveyResponse.age <= high] if high is not None else []))
        whens.append((cond, label))
    return sa.case(*whens, else_=NOT_GIVEN)


def profile(first: date, last: date, *, agency_id: int | None = None,
            service_id: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """Respondents counted per gender, age band, education and occupation (``Tidak diisi`` when left out)."""
    out: dict[str, list[dict[str, Any]]] = {}
    columns = {"gender": SurveyResponse.gender, "age": _age_band(), "education": SurveyResponse.education,
               "occupation": SurveyResponse.occupation}
    for name, col in columns.items():
        label = col.label("v")
        query = (sa.select(label, sa.func.count(SurveyResponse.id))
                 .where(SurveyResponse.finished_day.between(first, last)).group_by(label))
        counts = dict(db.session.execute(scope_filter(query, agency_id=agency_id, service_id=service_id)).all())
        if name == "age":
            order = [b[2] for b in AGE_BANDS] + [NOT_GIVEN]
            rows = [(k, counts.get(k, 0)) for k in order]
        elif name == "gender":
            rows = [(GENDER_ID[k], counts.get(k, 0)) for k in ("L", "P")] + [(NOT_GIVEN, counts.get(None, 0))]
        else:
            rows = sorted(((k or NOT_GIVEN, v) for k, v in counts.items()), key=lambda kv: (kv[0] == NOT_GIVEN, kv[0]))
        out[name] = [{"label": k, "count": int(v)} for k, v in rows]
    return out


def responses(first: date, last: date, *, agency_id: int | None = None,
              service_id: int | None = None, comments_only: bool = False, limit: int | None = None
              ) -> list[dict[str, Any]]:
    """Each answer in the range, oldest first (newest first with a limit): day, service, counter, answers,
    profile and comment. Neither the clerk nor the ticket is part of it: an answer that named its ticket
    could be linked to the visitor's name and phone (a booking's), and answers are anonymous."""
    query = (sa.select(SurveyResponse, Service.code, Service.name, Counter.name)
             .join(Service, Service.id == SurveyResponse.service_id)
             .outerjoin(Counter, Counter.id == SurveyResponse.counter_id)
             .where(SurveyResponse.finished_day.between(first, last)))
    if comments_only:
        query = query.where(SurveyResponse.comment != "")
    if limit is not None:
        query = query.order_by(SurveyResponse.finished_day.desc(), SurveyResponse.id.desc()).limit(limit)
    else:
        query = query.order_by(SurveyResponse.finished_day, SurveyResponse.id)
    out = []
    for row, service_code, service_name, counter_name in db.session.execute(
            scope_filter(query, agency_id=agency_id, service_id=service_id)):
        out.append({
            "day": row.finished_day.isoformat(), "service": service_code,
            "service_name": service_name, "counter": counter_name, "answers": row.answers(),
            "gender": row.gender, "age": row.age, "education": row.education, "occupation": row.occupation,
            "comment": row.comment, "channel": row.channel.value,
        })
    return out
