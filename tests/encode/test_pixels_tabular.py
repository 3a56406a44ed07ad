from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fewlabels.data import from_folder
from fewlabels.encode import embed, get_encoder
from fewlabels.encode.pixels import PixelsEncoder
from fewlabels.encode.tabular import TabularEncoder


def test_pixels_on_arrays_and_files_agree(tmp_path: Path) -> None:
    from PIL import Image

    imgs = np.random.default_rng(0).integers(0, 255, (3, 6, 6), dtype=np.uint8)
    for i, im in enumerate(imgs):
        Image.fromarray(im).save(tmp_path / f"{i}.png")
    enc = PixelsEncoder().fit(imgs)
    a = enc.encode(imgs)
    b = enc.encode([str(tmp_path / f"{i}.png") for i in range(3)])
    assert a.shape == (3, 36) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_pixels_resizes_to_a_fixed_size(image_folder: Path) -> None:
    ds = from_folder(image_folder)
    out = embed(ds, get_encoder("pixels:5"), progress=False)
    assert out.X.shape == (len(ds), 25)


def test_tabular_standardises_and_one_hots_without_labels() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "kind": ["a", "b", "a", "c"]})
    enc = TabularEncoder(normalize=False).fit(frame)
    out = enc.encode(frame)
    assert enc.dim == 4 and out.shape == (4, 4)
    np.testing.assert_allclose(out[:, 0].mean(), 0.0, atol=1e-6)
    np.testing.assert_allclose(out[:, 0].std(), 1.0, atol=1e-6)
    assert out[:, 1:].sum(axis=1).tolist() == [1.0] * 4
    with pytest.warns(UserWarning, match="not seen at fit time"):
        unseen = enc.encode(pd.DataFrame({"x": [0.0], "kind": ["zzz"]}))
    assert unseen[0, 1:].sum() == 0.0
    with pytest.raises(KeyError, match=r"\['kind'\] are missing"):
        enc.encode(pd.DataFrame({"x": [1.0]}))


def test_tabular_identity_follows_fitted_statistics() -> None:
    a = TabularEncoder().fit(pd.DataFrame({"x": [1.0, 2.0]}))
    b = TabularEncoder().fit(pd.DataFrame({"x": [1.0, 5.0]}))
    assert a.identity != b.identity


def test_unknown_encoder_lists_the_known() -> None:
    with pytest.raises(ValueError, match="Unknown encoder 'bert'.*minilm.*efficientnet-lite0"):
        get_encoder("bert")
    with pytest.raises(ValueError, match="model id after 'clip:'"):
        get_encoder("clip")


def test_tabular_refuses_infinite_values_at_fit_and_encode() -> None:
    """Issue 10, item 4: infinity has no value to impute; NaN is imputed (issue 11)."""
    from fewlabels.errors import FewlabelsError

    bad = pd.DataFrame({"x": [1.0, np.inf, 2.0], "y": [np.nan, 1.0, 2.0], "k": ["a", "b", "a"]})
    with pytest.raises(
        FewlabelsError, match=r"infinite values in \(count per column\) \{'x': 1\}. Clip"
    ):
        TabularEncoder().fit(bad)
    enc = TabularEncoder().fit(bad.replace(np.inf, 3.0))
    with pytest.raises(FewlabelsError, match=r"infinite values in .*\{'x': 1\}.*set them to NaN"):
        enc.encode(pd.DataFrame({"x": [-np.inf], "y": [0.0], "k": ["a"]}))
    with pytest.raises(FewlabelsError, match=r"numbers in column 'x'"):
        enc.encode(pd.DataFrame({"x": ["high"], "y": [0.0], "k": ["a"]}))


def test_tabular_imputes_numeric_nan_with_the_mean_and_an_indicator() -> None:
    frame = pd.DataFrame(
        {"x": [1.0, np.nan, 3.0, np.nan], "full": [0.0, 2.0, 4.0, 6.0], "k": ["a", "b", "a", "b"]}
    )
    enc = TabularEncoder(normalize=False).fit(frame)
    assert enc.missing_indicators_ == ["x"]
    # x (standardised), full, the indicator of x, then the one-hot of k.
    assert enc.dim == 1 + 1 + 1 + 2
    out = enc.encode(frame)
    assert out.shape == (4, 5) and np.isfinite(out).all()
    # Present values standardised with the mean 2 and std 1 of the present ones; NaN -> mean.
    np.testing.assert_allclose(out[:, 0], [-1.0, 0.0, 1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(out[:, 2], [0.0, 1.0, 0.0, 1.0])
    # Round trip: the same rows encode the same; dim stays fixed on new rows.
    np.testing.assert_array_equal(enc.encode(frame), out)
    new = enc.encode(pd.DataFrame({"x": [np.nan], "full": [np.nan], "k": ["a"]}))
    assert new.shape == (1, enc.dim)
    # full had no missing value at fit: imputed (0 after standardising), no indicator.
    np.testing.assert_allclose(new[0, :3], [0.0, 0.0, 1.0])
    # A column missing everywhere: mean 0, std 1, and an indicator.
    empty = TabularEncoder(normalize=False).fit(pd.DataFrame({"e": [np.nan, np.nan]}))
    np.testing.assert_allclose(empty.encode(pd.DataFrame({"e": [np.nan, 2.0]})), [[0, 1], [2, 0]])


def test_tabular_missing_category_is_its_own_category() -> None:
    frame = pd.DataFrame({"k": ["a", None, "b", np.nan]})
    enc = TabularEncoder(normalize=False).fit(frame)
    assert enc.dim == 3  # "(missing)", "a", "b"
    out = enc.encode(frame)
    np.testing.assert_allclose(out, [[0, 1, 0], [1, 0, 0], [0, 0, 1], [1, 0, 0]])


def test_tabular_identity_changes_with_the_imputation_state() -> None:
    plain = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    holes = pd.DataFrame({"x": [1.0, 2.0, 3.0, np.nan]})  # same mean and std of the present
    a, b = TabularEncoder().fit(plain), TabularEncoder().fit(holes)
    assert a.identity != b.identity
    assert a.identity == TabularEncoder().fit(plain).identity
    # Without missing values the identity is the one of earlier versions (caches stay valid).
    import hashlib
    import json

    state = json.dumps({"num": a._numeric, "cat": {}, "l2": True}, sort_keys=True)
    assert a.identity == "tabular/" + hashlib.blake2b(state.encode(), digest_size=16).hexdigest()


def test_tabular_unseen_categories_are_zeros_recorded_and_warned_once_per_call() -> None:
    from fewlabels.encode.tabular import UnseenCategoryWarning

    enc = TabularEncoder(normalize=False).fit(pd.DataFrame({"k": ["a", "b"], "m": ["x", "y"]}))
    many = [f"v{i}" for i in range(7)]
    rows = pd.DataFrame({"k": ["a", "zzz", "zzz", *many[:4]], "m": ["x", *many[:6]]})
    with pytest.warns(UnseenCategoryWarning) as caught:
        out = enc.encode(rows)
    assert len(caught) == 1
    msg = str(caught[0].message)
    assert "'k': ['v0', 'v1', 'v2', 'v3', 'zzz']" in msg
    assert "'m': ['v0', 'v1', 'v2', 'v3', 'v4'] and 1 more" in msg
    np.testing.assert_allclose(out[1], 0.0)
    np.testing.assert_allclose(out[0], [1, 0, 1, 0])
    assert enc.unseen_categories_ == {"k": {"zzz", *many[:4]}, "m": set(many[:6])}
    with pytest.warns(UnseenCategoryWarning, match="'k': \\['new'\\]"):
        enc.encode(pd.DataFrame({"k": ["new"], "m": ["x"]}))
    assert "new" in enc.unseen_categories_["k"]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enc.encode(pd.DataFrame({"k": ["a"], "m": ["y"]}))  # nothing unseen: no warning
    enc.fit(pd.DataFrame({"k": ["a"], "m": ["x"]}))
    assert enc.unseen_categories_ == {}


def test_pixels_takes_its_size_from_the_first_readable_image(image_folder: Path) -> None:
    """Issue 10, item 17: a corrupt first file is skipped, not fatal for the whole embed."""
    from fewlabels.errors import FewlabelsError

    (image_folder / "a" / "0-corrupt.png").write_bytes(b"not a png")
    ds = from_folder(image_folder)
    assert ds.inputs[0].endswith("0-corrupt.png")
    out = embed(ds, get_encoder("pixels"), progress=False)
    assert out.X.shape == (len(ds) - 1, 144) and out.skipped[0][0] == "a/0-corrupt.png"
    with pytest.raises(FewlabelsError, match=r"none of the 1 input\(s\) could be read"):
        PixelsEncoder().fit([str(image_folder / "a" / "0-corrupt.png")])
