"""The generated reference docs are the code's: regenerating them changes nothing."""

from __future__ import annotations

from pathlib import Path

from mogan.cmd import docs

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "reference"


def test_the_committed_reference_docs_are_current(tmp_path: Path):
    for path in docs.generate(tmp_path):
        committed = COMMITTED / path.name
        assert committed.exists(), f"{committed} is missing"
        assert committed.read_text() == path.read_text(), (
            f"{committed} is stale: run `python -m mogan.cmd.docs docs/reference`"
        )


def test_every_spec_sample_is_shown_in_the_api_reference():
    reference = (COMMITTED / "api.md").read_text()
    for sample in sorted(docs.SAMPLES.rglob("*.json")):
        assert str(sample.relative_to(docs.SAMPLES)) in reference, sample


def test_the_state_diagram_has_every_transition():
    diagram = (COMMITTED / "states.md").read_text()
    for source, targets in docs.states.TRANSITIONS.items():
        for target in targets:
            assert f"{source} --> {target}" in diagram


def test_the_operator_guide_shows_the_generated_node_lifecycle():
    guide = (COMMITTED.parent / "operator-guide.md").read_text()
    assert docs.lifecycle.mermaid() in guide, "regenerate the diagram in operator-guide.md"
