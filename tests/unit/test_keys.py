"""SSH keys: what is accepted on import, and fingerprints as Nova shows them."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from mogan.core import keys


def _openssh(private) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


@pytest.mark.parametrize(
    "private",
    [
        ed25519.Ed25519PrivateKey.generate(),
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP384R1()),
        ec.generate_private_key(ec.SECP521R1()),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
    ],
    ids=["ed25519", "nistp256", "nistp384", "nistp521", "rsa2048"],
)
def test_accepted_keys_keep_their_key_and_lose_their_comment(private):
    text = _openssh(private)
    parsed = keys.parse_public_key(f"  {text} alice@laptop \n")
    assert parsed.openssh == text
    blob = base64.b64decode(text.split()[1])
    expected = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    assert parsed.fingerprint.replace(":", "") == expected
    assert len(parsed.fingerprint.split(":")) == 16


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "one line"),
        ("garbage", "one line"),
        ("ssh-ed25519 not-base64!", "not a valid"),
        ("ssh-foo AAAA", "not accepted"),
        (_openssh(rsa.generate_private_key(public_exponent=65537, key_size=1024)), "2048"),
        ("ssh-dss AAAAB3NzaC1kc3MAAACBAP8=", "not accepted"),
    ],
)
def test_what_is_not_an_acceptable_public_key_is_refused_saying_why(text, reason):
    with pytest.raises(ValueError, match=reason):
        keys.parse_public_key(text)


def test_a_generated_pair_matches():
    pair = keys.generate()
    assert pair.public.openssh.startswith("ssh-ed25519 ")
    private = serialization.load_ssh_private_key(pair.private_openssh.encode(), password=None)
    assert _openssh(private) == pair.public.openssh
    assert pair.public.fingerprint == keys.fingerprint(pair.public.openssh)
