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


def test_tabular_refuses_nan_and_infinite_values_at_fit_and_encode() -> None:
    """Issue 10, item 4: they would become NaN embeddings."""
    from fewlabels.errors import FewlabelsError

    bad = pd.DataFrame({"x": [1.0, np.inf, 2.0], "y": [np.nan, 1.0, 2.0], "k": ["a", "b", "a"]})
    with pytest.raises(FewlabelsError, match=r"\{'y': 1\}; infinite values in \{'x': 1\}"):
        TabularEncoder().fit(bad)
    enc = TabularEncoder().fit(bad.fillna(0.0).replace(np.inf, 3.0))
    with pytest.raises(FewlabelsError, match=r"infinite values in \{'x': 1\}"):
        enc.encode(pd.DataFrame({"x": [-np.inf], "y": [0.0], "k": ["a"]}))
    with pytest.raises(FewlabelsError, match=r"numbers in column 'x'"):
        enc.encode(pd.DataFrame({"x": ["high"], "y": [0.0], "k": ["a"]}))


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
