"""Hypothesis over plans.images.check_image: damaged and arbitrary bytes are either a picture
that re-encodes or one refusal sentence, never another exception (which would be a 500 in the
admin). Pure: no database."""

from __future__ import annotations

import io

import hypothesis
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from plans.images import ImageRefused, check_image
from tests.support import picture_bytes

SEEDS = {fmt: picture_bytes(fmt, (48, 32)) for fmt in ("JPEG", "PNG", "WEBP")}
PICTURES = hypothesis.settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
)


def outcome(data: bytes) -> str:
    try:
        checked = check_image(io.BytesIO(data))
    except ImageRefused as refused:
        assert refused.message.endswith(".") and "\n" not in refused.message
        return "refused"
    # Whatever was accepted is a clean picture of the kind it says.
    stored = Image.open(io.BytesIO(checked.image))
    assert stored.format == checked.format.upper() and stored.size == (
        checked.width,
        checked.height,
    )
    assert dict(stored.getexif()) == {}
    return "kept"


@PICTURES
@given(
    fmt=st.sampled_from(sorted(SEEDS)),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
    cut=st.one_of(st.none(), st.integers(0, 10_000)),
)
def test_a_damaged_picture_is_kept_or_refused_in_words(fmt, edits, cut):
    data = bytearray(SEEDS[fmt])
    for where, value in edits:
        data[where % len(data)] = value
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    assert outcome(bytes(data)) in {"kept", "refused"}


@PICTURES
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_are_refused_in_words(data):
    assert outcome(data) == "refused"


def test_the_seeds_themselves_are_kept():
    assert {fmt: outcome(data) for fmt, data in SEEDS.items()} == dict.fromkeys(SEEDS, "kept")
