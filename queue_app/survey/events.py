"""The survey tablet's Socket.IO namespace and its one event."""

from __future__ import annotations

from datetime import datetime

from queue_app.api.declare import Answer
from queue_app.core.events import declare, namespace

TABLET = namespace("/survey", who="the counter's survey tablet (/survey/<counter>)", access=True,
                   auth='`{"counter": CODE}` with the tablet\'s device key: its enrolment cookie, or `"key": KEY` '
                        "(`mpp-queue survey key CODE`)")


class SurveyOffer(Answer):
    """The visit just finished at this counter: ``offer`` is a signed, expiring reference (never the token)."""

    offer: str
    number: str
    service_name: str
    counter: str
    finished_at: datetime | None


survey_offer = declare("survey_offer", TABLET, payload=SurveyOffer,
                       summary="On connect (a visit finished there in the last 5 minutes) and whenever that "
                               "counter finishes a visit.")
