"""SSH keys as OpenStack clouds handle them: generated pairs and imported public keys.

Pure computation with ``cryptography``: parsing refuses anything that is not a public key of
an accepted type and size, with the reason, and a fingerprint is what Nova shows (the MD5 of
the key blob, colon-separated), so the same key has the same fingerprint in both clouds.

``cryptography`` is imported by the functions that need it, not with this module: its SSH
support loads bcrypt and most of the library (about 7 MiB), which an API worker should carry
only once someone imports or generates a key.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

#: Key types accepted on import (OpenSSH's names).
ACCEPTED_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
)
MIN_RSA_BITS = 2048


@dataclass(frozen=True)
class PublicKey:
    #: One line, ``<type> <base64>`` (a comment the caller gave is dropped).
    openssh: str
    fingerprint: str


@dataclass(frozen=True)
class KeyPair:
    public: PublicKey
    #: OpenSSH's private key format, unencrypted: handed to the caller once, never stored.
    private_openssh: str


def fingerprint(openssh: str) -> str:
    blob = base64.b64decode(openssh.split()[1])
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def parse_public_key(text: str) -> PublicKey:
    """The public key in ``text`` (OpenSSH's one-line form); ``ValueError`` saying why not."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    words = text.strip().split()
    if len(words) < 2:
        raise ValueError("a public key is '<type> <base64 key> [comment]' on one line")
    if words[0] not in ACCEPTED_TYPES:
        raise ValueError(
            f"key type {words[0]!r} is not accepted; use one of {', '.join(ACCEPTED_TYPES)}"
        )
    try:
        key = serialization.load_ssh_public_key(f"{words[0]} {words[1]}".encode())
    except (ValueError, TypeError) as exc:
        raise ValueError(f"this is not a valid {words[0]} public key ({exc})") from None
    except Exception as exc:  # cryptography raises its own for unsupported algorithms
        raise ValueError(f"this {words[0]} public key cannot be read ({exc})") from None
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise ValueError(f"an RSA key needs at least {MIN_RSA_BITS} bits, not {key.key_size}")
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise ValueError(f"key type {words[0]!r} is not accepted")
    canonical = key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()
    return PublicKey(canonical, fingerprint(canonical))


def generate() -> KeyPair:
    """A new Ed25519 pair."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    private = ed25519.Ed25519PrivateKey.generate()
    public = (
        private.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    private_text = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    return KeyPair(PublicKey(public, fingerprint(public)), private_text)
