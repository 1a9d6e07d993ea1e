"""Placement: extra specs, capability operators, NIC assignment."""

from __future__ import annotations

import pytest

from mogan.core.placement import (
    NetworkRequest,
    TypeRequirements,
    assign_nics,
    match_value,
    parse_capabilities,
    resource_class_trait,
)


@pytest.mark.parametrize(
    "actual, requirement, expected",
    [
        ("uefi", "uefi", True),
        ("bios", "uefi", False),
        ("64", "= 32", True),
        ("16", "= 32", False),
        ("32", "== 32", True),
        ("32.0", "== 32", True),
        ("33", "!= 32", True),
        ("40", ">= 40", True),
        ("39", ">= 40", False),
        ("8", "<= 16", True),
        ("abc", "s== abc", True),
        ("abd", "s!= abc", True),
        ("b", "s> a", True),
        ("a", "s< b", True),
        ("b", "s>= b", True),
        ("a", "s<= b", True),
        ("intel-xeon", "<in> xeon", True),
        ("amd", "<in> xeon", False),
        ("gpu", "<or> gpu <or> fpga", True),
        ("none", "<or> gpu <or> fpga", False),
        ("x", "= 32", False),
        (None, "uefi", False),
    ],
)
def test_match_value(actual, requirement, expected):
    assert match_value(actual, requirement) is expected


def test_requirements_from_extra_specs():
    requirements = TypeRequirements.from_extra_specs(
        {
            "resources:CUSTOM_GOLD": "1",
            "resources:VCPU": "0",
            "capabilities:boot_mode": "uefi",
            "raid": "<or> 1 <or> 10",
            "trait:HW_CPU_X86_AVX2": "required",
        }
    )
    assert requirements.resource_class_trait == "CUSTOM_GOLD"
    assert requirements.capabilities == {"boot_mode": "uefi", "raid": "<or> 1 <or> 10"}
    assert requirements.capabilities_match({"boot_mode": "uefi", "raid": "10"})
    assert not requirements.capabilities_match({"boot_mode": "uefi"})
    assert (
        TypeRequirements.from_extra_specs({"resources:CUSTOM_GOLD": "0"}).resource_class_trait
        is None
    )


@pytest.mark.parametrize(
    "resource_class, trait",
    [
        ("baremetal-gold", "CUSTOM_BAREMETAL_GOLD"),
        ("gpu.large", "CUSTOM_GPU_LARGE"),
        ("Plain", "CUSTOM_PLAIN"),
        (None, None),
        ("", None),
    ],
)
def test_resource_class_trait(resource_class, trait):
    assert resource_class_trait(resource_class) == trait


def test_parse_capabilities_accepts_ironic_strings_and_objects():
    assert parse_capabilities("boot_mode:uefi, cpu_vt:true") == {
        "boot_mode": "uefi",
        "cpu_vt": "true",
    }
    assert parse_capabilities({"a": 1}) == {"a": "1"}
    assert parse_capabilities(None) == {}
    with pytest.raises(ValueError):
        parse_capabilities(["x"])


def test_assign_nics_serves_typed_requests_first():
    nics = [("n1", "10GE"), ("n2", "1GE")]
    # The untyped request must not take the only 10GE NIC.
    assert assign_nics(nics, [NetworkRequest("a"), NetworkRequest("b", "10GE")]) == ["n2", "n1"]
    assert assign_nics(nics, [NetworkRequest("a", "10GE"), NetworkRequest("b", "10GE")]) is None
    assert assign_nics(nics, [NetworkRequest("a")] * 3) is None
    assert assign_nics([], [NetworkRequest("a")]) is None
