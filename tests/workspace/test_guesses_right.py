"""How many of a round's guesses the human labels confirm (the line in `status`)."""

from fewlabels.store.records import Round
from fewlabels.workspace.rounds import _guesses_right


def _round(rid: int, ids: tuple[str, ...], guesses: tuple[str | None, ...]) -> Round:
    return Round(id=rid, strategy="random", time="t", item_ids=ids, guesses=guesses)


def test_only_guessed_and_labelled_items_count_and_a_set_must_match_whole():
    rounds = [
        _round(1, ("a", "b", "c", "d"), ("x", "y", None, "x")),
        _round(2, ("e",), (None,)),
        _round(3, ("f", "g"), ('["p", "q"]', '["p"]')),
    ]
    human = {"a": "x", "b": "x", "c": "x", "f": '["p", "q"]', "g": '["p", "q"]'}
    # round 1: a right, b wrong, c not guessed, d not labelled; round 2: nothing to count;
    # round 3: f's whole set matches, g's does not
    assert _guesses_right(rounds, human) == {1: (1, 2), 3: (1, 2)}
    assert _guesses_right([], human) == {}
