"""The JSON bodies of the API, declared once as pydantic models, one module per feature area.

Requests subclass :class:`queue_app.api.declare.Shape` (parsed by ``parse_body``); responses subclass
:class:`queue_app.api.declare.Answer`. The serializers (``queue_app.queue.read_models`` and friends) keep
building plain dicts for speed on the Socket.IO path; ``tests/test_shapes.py`` validates real answers of
every endpoint against these models, so the document and the code cannot drift apart.
"""
