"""Key pairs over HTTP, as a user, another user, a reader, an operator and nobody would."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.harness import Api, fault_of, project


def _public(private) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


def test_a_generated_pair_hands_out_its_private_key_once(api: Api):
    created = api.post("/v1/keypairs", {"name": "laptop"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["private_key"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert body["public_key"].startswith("ssh-ed25519 ")
    assert body["user_id"] == "tenant-a-user"
    assert created.headers["Location"].endswith("/v1/keypairs/laptop")
    private = serialization.load_ssh_private_key(body["private_key"].encode(), password=None)
    assert _public(private) == body["public_key"]
    shown = api.get("/v1/keypairs/laptop").json()
    assert "private_key" not in shown
    assert shown["fingerprint"] == body["fingerprint"]
    listed = api.get("/v1/keypairs").json()["keypairs"]
    assert [k["name"] for k in listed] == ["laptop"] and "private_key" not in listed[0]
    assert body["private_key"] not in api.get("/keypairs").text  # bookmark path too


def test_an_imported_key_is_kept_without_its_comment(api: Api):
    key = _public(ec.generate_private_key(ec.SECP384R1()))
    created = api.post("/v1/keypairs", {"name": "ci", "public_key": f"{key} ci@runner"})
    assert created.status_code == 201, created.text
    assert created.json()["public_key"] == key and "private_key" not in created.json()


def test_garbage_and_weak_keys_are_400_saying_why_and_nothing_is_stored(api: Api):
    weak = _public(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    for public_key, words in [
        ("hello", "public_key"),
        ("ssh-rsa AAAAnotakey", "not a valid"),
        (weak, "2048"),
        ("ssh-dss AAAAB3NzaC1kc3MAAACBAP8=", "not accepted"),
    ]:
        response = api.post("/v1/keypairs", {"name": "k", "public_key": public_key})
        assert response.status_code == 400, response.text
        assert words in fault_of(response)["faultstring"]
    for body in ({"name": "bad/name"}, {"name": ""}, {"name": "k", "type": "x509"}, {}):
        assert api.post("/v1/keypairs", body).status_code == 400
    assert api.get("/v1/keypairs").json()["keypairs"] == []


def test_names_are_per_user(api: Api):
    assert api.post("/v1/keypairs", {"name": "k"}).status_code == 201
    again = api.post("/v1/keypairs", {"name": "k"})
    assert again.status_code == 409 and "already exists" in fault_of(again)["faultstring"]
    colleague = api.as_({**project("tenant-a"), "X-User-Id": "bob"})
    assert colleague.post("/v1/keypairs", {"name": "k"}).status_code == 201


def test_another_user_never_sees_or_deletes_a_key(api: Api):
    assert api.post("/v1/keypairs", {"name": "mine"}).status_code == 201
    for other in (project("tenant-b"), {**project("tenant-a"), "X-User-Id": "bob"}):
        stranger = api.as_(other)
        assert stranger.get("/v1/keypairs").json()["keypairs"] == []
        assert stranger.get("/v1/keypairs/mine").status_code == 404
        assert stranger.delete("/v1/keypairs/mine").status_code == 404
        # Naming the owner is an administrator's privilege.
        assert stranger.get("/v1/keypairs?user_id=tenant-a-user").status_code == 403
        assert stranger.delete("/v1/keypairs/mine?user_id=tenant-a-user").status_code == 403
    assert api.get("/v1/keypairs/mine").status_code == 200


def test_a_reader_reads_its_keys_and_may_not_change_them(api: Api):
    assert api.post("/v1/keypairs", {"name": "mine"}).status_code == 201
    reader = api.as_(project("tenant-a", "reader"))
    assert [k["name"] for k in reader.get("/v1/keypairs").json()["keypairs"]] == ["mine"]
    refused = reader.post("/v1/keypairs", {"name": 5})  # 403 before what the body lacks
    assert refused.status_code == 403
    assert reader.delete("/v1/keypairs/mine").status_code == 403
    assert api.get("/v1/keypairs/mine").status_code == 200


def test_an_operator_acts_for_a_user(api: Api):
    made = api.admin.post("/v1/keypairs", {"name": "given", "user_id": "tenant-a-user"})
    assert made.status_code == 201 and made.json()["user_id"] == "tenant-a-user"
    assert [k["name"] for k in api.get("/v1/keypairs").json()["keypairs"]] == ["given"]
    shown = api.admin.get("/v1/keypairs/given?user_id=tenant-a-user")
    assert shown.status_code == 200
    assert api.admin.get("/v1/keypairs/given").status_code == 404  # the admin's own: none
    assert api.admin.delete("/v1/keypairs/given?user_id=tenant-a-user").status_code == 204
    assert api.get("/v1/keypairs").json()["keypairs"] == []


def test_a_caller_without_a_user_is_refused(api: Api):
    nobody = Api(api.http, {"X-Project-Id": "tenant-a", "X-Roles": "member"})
    response = nobody.post("/v1/keypairs", {"name": "k"})
    assert response.status_code == 400 and "X-User-Id" in fault_of(response)["faultstring"]


def test_key_pairs_are_paginated_by_name(api: Api):
    for name in ("c", "a", "b"):
        assert api.post("/v1/keypairs", {"name": name}).status_code == 201
    first = api.get("/v1/keypairs?limit=2").json()
    assert [k["name"] for k in first["keypairs"]] == ["a", "b"]
    rest = api.http.get(first["next"], headers=api.headers).json()
    assert [k["name"] for k in rest["keypairs"]] == ["c"] and "next" not in rest
