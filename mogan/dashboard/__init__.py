"""The web dashboard, served by Mogan itself under ``[dashboard] path``.

Server-rendered pages (Jinja2) with progressive enhancement (htmx, vendored in ``static``):
every page and form works without JavaScript; with it, lists and instance pages update
themselves while something changes. The dashboard speaks only Mogan's own HTTP API, in the
same process (``backend.py``), as the logged-in person: the same policy, the same request ids,
so it can never show what the API would refuse.
"""
