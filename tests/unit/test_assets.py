"""The dashboard's static files: what ships in the wheel is what npm's registry published."""

from __future__ import annotations

import hashlib
from pathlib import Path

import mogan.dashboard

STATIC = Path(mogan.dashboard.__file__).with_name("static")
#: dist/htmx.min.js of htmx.org 2.0.11 on npm (tools/vendor-htmx.sh fetches and checks it).
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"


def test_htmx_is_npm_s_own_file():
    assert hashlib.sha256((STATIC / "htmx.min.js").read_bytes()).hexdigest() == HTMX_SHA256


def test_every_page_links_only_assets_that_ship():
    templates = Path(mogan.dashboard.__file__).with_name("templates")
    base = (templates / "base.html").read_text()
    for name in ("dashboard.css", "htmx.min.js"):
        assert f"/static/{name}" in base
        assert (STATIC / name).is_file()
    assert "http://" not in base and "https://" not in base  # no CDN
