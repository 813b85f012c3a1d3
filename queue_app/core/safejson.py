"""``json`` with a bounded parser: deep nesting is malformed input (ValueError), never a RecursionError.

Passed to Socket.IO as its JSON module and used for HTTP bodies (:mod:`queue_app.api.parsing`): the stdlib
parser recurses once per ``[`` or ``{``, so a few thousand of them raise RecursionError, which callers
that handle bad JSON (``except ValueError``) do not expect and which would surface as a 500.
"""

from __future__ import annotations

import json
from typing import Any

#: the message of the ValueError raised for too deep nesting
TOO_DEEP = "JSON nested too deep"


def loads(s: str | bytes, **kwargs: Any) -> Any:
    try:
        return json.loads(s, **kwargs)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None


def dumps(obj: Any, **kwargs: Any) -> str:
    return json.dumps(obj, **kwargs)
