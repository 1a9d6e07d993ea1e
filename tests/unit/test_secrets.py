"""Secrets stay out of responses, faults and log lines."""

from __future__ import annotations

import logging

from mogan.core import secrets
from mogan.core.errors import DriverError
from mogan.core.logcontext import ScrubFilter, escape_controls


def test_every_kind_of_bmc_secret_is_masked_at_every_depth():
    info = {
        "redfish_address": "https://bmc-01.example.com",
        "redfish_username": "root",
        "redfish_password": "p1",
        "ipmi_kg_key": "k1",
        "snmp_auth_key": "a1",
        "snmp_priv_key": "v1",
        "snmp_community": "public-but-secret",
        "passwd": "p2",
        "private_key": "-----BEGIN",
        "api_key": "x1",
        "credential": "c1",
        "nested": {"token": "t1", "port": 623},
        "switches": [{"name": "sw1", "password": "p3"}, "ssh://admin:p4@sw2.example.com"],
    }
    masked = secrets.mask(info)
    assert masked == {
        "redfish_address": "https://bmc-01.example.com",
        "redfish_username": "root",
        "redfish_password": secrets.MASK,
        "ipmi_kg_key": secrets.MASK,
        "snmp_auth_key": secrets.MASK,
        "snmp_priv_key": secrets.MASK,
        "snmp_community": secrets.MASK,
        "passwd": secrets.MASK,
        "private_key": secrets.MASK,
        "api_key": secrets.MASK,
        "credential": secrets.MASK,
        "nested": {"token": secrets.MASK, "port": 623},
        "switches": [{"name": "sw1", "password": secrets.MASK}, "ssh://***@sw2.example.com"],
    }


def test_a_peers_error_quoting_a_url_with_credentials_is_scrubbed():
    error = DriverError(
        "Redfish enrolment failed: https://root:c4lvin@10.1.2.3/redfish/v1 answered 401"
    )
    assert "c4lvin" not in error.message and "root:" not in error.message
    assert "https://***@10.1.2.3/redfish/v1" in error.message
    assert "hunter2" not in DriverError("ipmitool -U admin --password hunter2 failed").message


def test_log_lines_hold_no_control_characters_and_no_credentials():
    record = logging.LogRecord(
        "mogan.api.access",
        logging.INFO,
        __file__,
        1,
        '%s "%s"',
        ("127.0.0.1", "GET /v1/x\n2026-12-04 00:00:00 1 INFO forged line"),
        None,
    )
    assert ScrubFilter().filter(record)
    assert "\n" not in record.getMessage()
    assert record.getMessage().endswith('x\\x0a2026-12-04 00:00:00 1 INFO forged line"')
    url = logging.LogRecord("x", logging.ERROR, __file__, 1, "at %s", ("http://u:pw@h/",), None)
    ScrubFilter().filter(url)
    assert url.getMessage() == "at http://***@h/"
    assert escape_controls("a\x1b[31mb\r") == "a\\x1b[31mb\\x0d"
