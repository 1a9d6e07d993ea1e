"""Which values are secrets, and how they are kept out of responses, faults and logs.

A key is secret when it contains a word of oslo.utils' maintained list (``_SANITIZE_KEYS``:
``password``, ``secret``, ``token``, ``private_key``, ``passphrase``…) or of the BMC and
cloud credentials that list does not know (IPMI's ``kg_key``, SNMPv3's auth and privacy keys,
``passwd``, API keys, credentials, SNMP communities). Text is scrubbed of URL credentials
(``https://user:password@host`` becomes ``https://***@host``) and of ``password=…`` phrases
(oslo.utils' ``mask_password``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from oslo_utils import strutils

MASK = "******"
_OUR_WORDS = (
    "passwd",
    "pswd",
    "kg_key",
    "auth_key",
    "priv_key",
    "privacy_key",
    "private",
    "api_key",
    "apikey",
    "access_key",
    "credential",
    "community",
)
_SECRET_WORDS = tuple(strutils._SANITIZE_KEYS) + _OUR_WORDS

#: ``scheme://user:password@`` or ``scheme://token@`` in any text.
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^\s/@]+@")


def is_secret(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def mask(info: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``info`` with every secret value replaced by ``MASK``, at every depth
    (mappings inside lists too), and URL credentials scrubbed from every string."""
    masked: dict[str, Any] = {}
    for key, value in info.items():
        if is_secret(str(key)) and value not in (None, ""):
            masked[key] = MASK
        else:
            masked[key] = _mask_value(value)
    return masked


def _mask_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return mask(value)
    if isinstance(value, list | tuple):
        return [_mask_value(item) for item in value]
    if isinstance(value, str):
        return scrub_url_credentials(value)
    return value


def scrub_url_credentials(text: str) -> str:
    """``text`` without the user and password of any URL in it."""
    if "://" not in text:  # the pattern's one literal: most log lines are done here
        return text
    return _URL_USERINFO.sub(r"\g<scheme>***@", text)


def scrub(text: str) -> str:
    """``text`` fit for a fault or a log line: no URL credentials, no ``password=…``."""
    return strutils.mask_password(scrub_url_credentials(text), secret="***")


def keep_unchanged_secrets(new: Mapping[str, Any], old: Mapping[str, Any]) -> dict[str, Any]:
    """After a PATCH of a masked document: a secret still reading ``MASK`` keeps its old value."""
    merged = dict(new)
    for key, value in new.items():
        if value == MASK and is_secret(key) and key in old:
            merged[key] = old[key]
    return merged
