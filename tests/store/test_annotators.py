"""The annotator name (``who``) checked at the edge: a stripped, short, printable string."""

import re

import pytest

from fewlabels.errors import FewlabelsError
from fewlabels.store.annotators import MAX_ANNOTATOR, check_annotator


def test_a_name_that_is_not_a_string_names_its_type():
    with pytest.raises(FewlabelsError, match=r"a string\), but got int 5\."):
        check_annotator(5)
    with pytest.raises(FewlabelsError, match=r"but got NoneType None\."):
        check_annotator(None)


def test_an_empty_name_says_how_to_pass_one():
    with pytest.raises(
        FewlabelsError,
        match=r"^Expected an annotator name, but it is empty\. Pass your name, e\.g\. "
        r"--annotator ana\.$",
    ):
        check_annotator(" \t ")


def test_a_long_name_shows_its_first_twenty_characters():
    name = "abcdefghijklmnopqrstuvwxyz" * 3  # 78 characters
    assert MAX_ANNOTATOR == 64
    with pytest.raises(FewlabelsError, match=re.escape("got 78 ('abcdefghijklmnopqrst'...)")):
        check_annotator(name)


def test_spaces_and_printable_characters_are_kept_control_characters_refused():
    assert check_annotator("ana maria") == "ana maria"  # a space (32) is no control character
    assert check_annotator("a~b") == "a~b"  # 126, just below DEL
    assert check_annotator("zoë ¡") == "zoë ¡"  # printable, above the C1 block
    for bad in ("a\x1fb", "a\tb", "a\x7fb", "a\x80b", "a\x85b", "a\x9fb"):
        with pytest.raises(FewlabelsError, match="without control characters"):
            check_annotator(bad)
