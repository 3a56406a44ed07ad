"""MovieLens ratings -> one row per film, and the first-genre task."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fewlabels.data import movielens as ml


def ratings() -> pd.DataFrame:
    rows = [
        # movieId, title, year, genres, rating: films repeat once per rating
        (2, "Jumanji", 1995.0, "Adventure|Children|Fantasy", 3.0),
        (1, "Toy Story", 1995.0, "Adventure|Animation|Comedy", 4.0),
        (2, "Jumanji", 1995.0, "Adventure|Children|Fantasy", 5.0),
        (9, None, None, "Comedy", 1.0),  # no title: dropped
        (5, "Hamlet", 2000.0, "Drama", 2.0),
        (3, "Hamlet", 2000.0, "Crime|Drama", 4.0),  # same text, smaller id: kept
        (7, "Untitled Year", None, "Horror", 3.5),
        (1, "Toy Story", 1995.0, "Adventure|Animation|Comedy", 2.0),
    ]
    return pd.DataFrame(rows, columns=["movieId", "title", "year", "genres", "rating"])


def test_films_keep_one_row_per_film_and_per_text() -> None:
    films = ml.films_from_ratings(ratings())
    assert films["movieId"].tolist() == [1, 2, 3, 7]
    assert films["text"].tolist() == [
        "Toy Story (1995)",
        "Jumanji (1995)",
        "Hamlet (2000)",
        "Untitled Year",
    ]
    assert films["genres"].iloc[0] == ("Adventure", "Animation", "Comedy")
    assert films["first_genre"].tolist() == ["Adventure", "Adventure", "Crime", "Horror"]


def test_genre_task_keeps_only_the_named_genres() -> None:
    films = ml.films_from_ratings(ratings())
    task = ml.genre_task(films, ("Crime", "Horror"))
    assert task["movieId"].tolist() == [3, 7] and task.index.tolist() == [0, 1]


def test_a_table_without_the_columns_is_refused() -> None:
    with pytest.raises(
        KeyError,
        match=r"columns \['movieId', 'title', 'year', 'genres'\].*"
        r"\['genres'\] are missing",
    ):
        ml.films_from_ratings(ratings().drop(columns=["genres"]))


def test_the_real_table_gives_one_row_per_film_and_the_seven_largest_genres() -> None:
    from fewlabels.data.builtin_loaders import rdata as _rdata

    films = ml.films_from_ratings(_rdata("dslabs", "movielens"))
    assert len(films) == 9059  # 9,066 films, 5 without a title, 2 repeated texts
    assert films["movieId"].is_unique and films["text"].is_unique
    counts = films["first_genre"].value_counts()
    assert set(counts.index[: len(ml.GENRES)]) == set(ml.GENRES)
    assert counts[list(ml.GENRES)].min() >= 400
    assert set(ml.GENRE_DESCRIPTIONS) == set(ml.GENRES)
    assert all(2 <= len(s) <= 3 for s in ml.GENRE_DESCRIPTIONS.values())
    task = ml.genre_task(films)
    assert len(task) == 8359
    assert np.isclose(counts.max() / len(task), 0.3016, atol=1e-3)  # Comedy, the majority
