import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from fakes import FakeTextEncoder
from fewlabels.data import Dataset, from_folder
from fewlabels.encode import embed, get_encoder
from fewlabels.encode.cache import MANIFEST_FORMAT


def texts(n: int) -> Dataset:
    return Dataset(
        ids=[f"d{i}" for i in range(n)],
        inputs=[f"w{i % 7} text {i}" for i in range(n)],
        labels=np.full(n, -1),
        classes=("x", "y"),
        modality="text",
        name="texts",
    )


def test_second_call_encodes_nothing_and_returns_a_memmap(tmp_path: Path) -> None:
    enc = FakeTextEncoder()
    ds = texts(50)
    first = embed(ds, enc, cache_dir=tmp_path, chunk_size=16, progress=False)
    assert first.n_encoded == 50 and enc.encoded == 50
    second = embed(ds, enc, cache_dir=tmp_path, chunk_size=16, progress=False)
    assert second.n_encoded == 0 and enc.encoded == 50
    assert isinstance(second.X, np.memmap) and not second.X.flags.writeable
    np.testing.assert_array_equal(first.X, second.X)
    np.testing.assert_allclose(np.asarray(second.X), enc.encode(ds.inputs), rtol=1e-6)


def test_cache_is_keyed_by_input_content_not_position(tmp_path: Path) -> None:
    enc = FakeTextEncoder()
    embed(texts(30), enc, cache_dir=tmp_path, progress=False)
    reordered = texts(40).subset(np.arange(40)[::-1])  # 30 known inputs, 10 new, other order
    out = embed(reordered, enc, cache_dir=tmp_path, progress=False)
    assert out.n_encoded == 10
    np.testing.assert_allclose(np.asarray(out.X), enc.encode(reordered.inputs), rtol=1e-6)


def test_other_encoder_identity_gets_its_own_cache(tmp_path: Path) -> None:
    embed(texts(10), FakeTextEncoder(dim=16), cache_dir=tmp_path, progress=False)
    out = embed(texts(10), FakeTextEncoder(dim=8), cache_dir=tmp_path, progress=False)
    assert out.n_encoded == 10 and out.X.shape == (10, 8)


def test_modality_mismatch_is_explained(tmp_path: Path, image_folder: Path) -> None:
    with pytest.raises(ValueError, match="Expected a image encoder.*encodes text"):
        embed(from_folder(image_folder), FakeTextEncoder(), cache_dir=tmp_path)


def test_corrupt_and_truncated_images_are_skipped_and_reported(
    tmp_path: Path, image_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (image_folder / "unlabeled" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    good = (image_folder / "a" / "a0.png").read_bytes()
    (image_folder / "a" / "truncated.png").write_bytes(good[: len(good) // 2])
    ds = from_folder(image_folder)
    out = embed(ds, get_encoder("pixels"), cache_dir=tmp_path, progress=False)
    skipped = dict(out.skipped)
    assert set(skipped) == {"unlabeled/broken.png", "a/truncated.png"}
    assert len(out.dataset) == len(ds) - 2 and out.X.shape[0] == len(ds) - 2
    assert "truncated.png" not in " ".join(out.dataset.ids)
    assert "Skipped 2 unreadable" in capsys.readouterr().err
    again = embed(ds, get_encoder("pixels"), cache_dir=tmp_path, progress=False)
    assert dict(again.skipped) == skipped and again.n_encoded == 0


def test_manifest_lists_only_committed_chunks(tmp_path: Path) -> None:
    enc = FakeTextEncoder()
    embed(texts(25), enc, cache_dir=tmp_path, chunk_size=10, progress=False)
    (entry,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    manifest = json.loads((entry / "manifest.json").read_text())
    assert manifest["format"] == MANIFEST_FORMAT
    assert [c["rows"] for c in manifest["chunks"]] == [10, 10, 5]


def test_torn_chunk_is_never_served(tmp_path: Path) -> None:
    enc = FakeTextEncoder()
    ds = texts(30)
    embed(ds, enc, cache_dir=tmp_path, chunk_size=10, progress=False)
    (entry,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    chunk = entry / "chunk-000001.npy"
    chunk.write_bytes(chunk.read_bytes()[:100])  # truncated, as by a crash of the disk
    for view in (entry / "views").iterdir():
        view.unlink()
    again = embed(ds, FakeTextEncoder(), cache_dir=tmp_path, chunk_size=10, progress=False)
    assert again.n_encoded == 10
    np.testing.assert_allclose(np.asarray(again.X), enc.encode(ds.inputs), rtol=1e-6)


@pytest.mark.parametrize(
    ("suffix", "change"),
    [
        (".npy", "one row fewer"),
        (".npy", "one row more"),
        (".keys.npy", "one row fewer"),
    ],
)
@pytest.mark.parametrize("verify", [True, False], ids=["checksums", "row-count-only"])
def test_a_chunk_with_the_wrong_number_of_rows_is_encoded_again(
    tmp_path: Path, suffix: str, change: str, verify: bool
) -> None:
    # A well-formed .npy file whose row count disagrees with the manifest is as torn as a
    # truncated one: it is never served, and its inputs are encoded again. Without checksum
    # verification, the row-count check alone must catch it.
    enc = FakeTextEncoder()
    ds = texts(30)
    embed(ds, enc, cache_dir=tmp_path, chunk_size=10, progress=False)
    (entry,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    chunk = entry / f"chunk-000001{suffix}"
    rows = np.load(chunk)
    np.save(chunk, rows[:-1] if change == "one row fewer" else np.concatenate([rows, rows[:1]]))
    assert np.load(chunk).shape[0] != 10
    for view in (entry / "views").iterdir():
        view.unlink()
    again = embed(
        ds, FakeTextEncoder(), cache_dir=tmp_path, chunk_size=10, progress=False, verify=verify
    )
    assert again.n_encoded == 10
    fresh = embed(ds, FakeTextEncoder(), cache_dir=tmp_path / "fresh", progress=False)
    np.testing.assert_array_equal(np.asarray(again.X), np.asarray(fresh.X))


def test_a_view_with_the_wrong_number_of_rows_is_rebuilt_from_the_chunks(tmp_path: Path) -> None:
    enc = FakeTextEncoder()
    ds = texts(30)
    first = np.array(embed(ds, enc, cache_dir=tmp_path, chunk_size=10, progress=False).X)
    (view,) = tmp_path.glob("*/views/*.npy")
    np.save(view, first[:-1])
    again = embed(ds, enc, cache_dir=tmp_path, chunk_size=10, progress=False)
    assert again.n_encoded == 0 and again.X.shape == (30, enc.dim)
    np.testing.assert_array_equal(np.asarray(again.X), first)


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from fewlabels.data import Dataset
    from fewlabels.encode import embed

    class Slow:
        name = "slow"
        modality = "text"
        dim = 4
        identity = "slow/4"
        def encode(self, inputs):
            time.sleep(0.15)
            return np.array([[len(t), 1.0, t.count("1"), 2.0] for t in inputs], np.float32)

    n = 200
    ds = Dataset(ids=[f"d{i}" for i in range(n)], inputs=[f"text {i}" for i in range(n)],
                 labels=np.full(n, -1), classes=("x", "y"), modality="text", name="kill")
    embed(ds, Slow(), cache_dir=sys.argv[1], chunk_size=10, progress=False)
    """
)


def test_resume_after_sigkill(tmp_path: Path) -> None:
    script = tmp_path / "slow.py"
    script.write_text(KILL_SCRIPT)
    cache = tmp_path / "cache"
    proc = subprocess.Popen([sys.executable, str(script), str(cache)])
    deadline = time.time() + 60
    committed = 0
    while time.time() < deadline and proc.poll() is None:
        manifests = list(cache.glob("*/manifest.json"))
        if manifests:
            committed = len(json.loads(manifests[0].read_text())["chunks"])
            if committed >= 3:
                break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    (manifest,) = cache.glob("*/manifest.json")
    committed = len(json.loads(manifest.read_text())["chunks"])
    assert 3 <= committed < 20

    class Counting:
        name = "slow"
        modality = "text"
        dim = 4
        identity = "slow/4"
        encoded = 0

        def encode(self, inputs: list[str]) -> np.ndarray:
            self.encoded += len(inputs)
            return np.array([[len(t), 1.0, t.count("1"), 2.0] for t in inputs], np.float32)

    ds = Dataset(
        ids=[f"d{i}" for i in range(200)],
        inputs=[f"text {i}" for i in range(200)],
        labels=np.full(200, -1),
        classes=("x", "y"),
        modality="text",
    )
    enc = Counting()
    out = embed(ds, enc, cache_dir=cache, chunk_size=10, progress=False)
    assert enc.encoded == 200 - 10 * committed  # resumed from the last complete chunk
    expected = np.array([[len(t), 1.0, t.count("1"), 2.0] for t in ds.inputs], np.float32)
    np.testing.assert_array_equal(np.asarray(out.X), expected)
    assert not list(manifest.parent.glob("*.tmp"))


# --- checksums (issue 10, item 15) -------------------------------------------------------


def _cached(tmp_path: Path, n: int = 30) -> tuple[Dataset, np.ndarray, Path]:
    ds = texts(n)
    first = np.array(
        embed(ds, FakeTextEncoder(), cache_dir=tmp_path, chunk_size=10, progress=False).X
    )
    (entry,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    return ds, first, entry


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def _drop_views(entry: Path) -> None:
    for view in (entry / "views").iterdir():
        view.unlink()


def test_a_flipped_byte_in_a_chunk_is_encoded_again(tmp_path: Path) -> None:
    ds, first, entry = _cached(tmp_path)
    _flip(entry / "chunk-000001.npy", -7)  # in the data, not the header
    _drop_views(entry)
    with pytest.warns(UserWarning, match=r"chunk-000001\.npy.*checksum"):
        again = embed(ds, FakeTextEncoder(), cache_dir=tmp_path, chunk_size=10, progress=False)
    assert again.n_encoded == 10
    np.testing.assert_array_equal(np.asarray(again.X), first)
    # The damaged chunk left the manifest: the next call trusts what is there.
    _drop_views(entry)
    third = embed(ds, FakeTextEncoder(), cache_dir=tmp_path, chunk_size=10, progress=False)
    assert third.n_encoded == 0
    np.testing.assert_array_equal(np.asarray(third.X), first)


def test_a_flipped_byte_in_a_chunk_header_names_no_traceback(tmp_path: Path) -> None:
    ds, first, entry = _cached(tmp_path)
    _flip(entry / "chunk-000000.keys.npy", 30)  # inside the header dict: a TokenError today
    _drop_views(entry)
    with pytest.warns(UserWarning, match=r"chunk-000000\.keys\.npy"):
        again = embed(ds, FakeTextEncoder(), cache_dir=tmp_path, chunk_size=10, progress=False)
    np.testing.assert_array_equal(np.asarray(again.X), first)


def test_two_swapped_chunks_of_one_shape_are_encoded_again(tmp_path: Path) -> None:
    ds, first, entry = _cached(tmp_path)
    a, b = entry / "chunk-000000.npy", entry / "chunk-000001.npy"
    data_a, data_b = a.read_bytes(), b.read_bytes()
    a.write_bytes(data_b)
    b.write_bytes(data_a)
    _drop_views(entry)
    with pytest.warns(UserWarning, match="damaged embedding cache chunk"):
        again = embed(ds, FakeTextEncoder(), cache_dir=tmp_path, chunk_size=10, progress=False)
    assert again.n_encoded == 20
    np.testing.assert_array_equal(np.asarray(again.X), first)


def test_a_flipped_byte_in_a_view_rebuilds_it(tmp_path: Path) -> None:
    ds, first, entry = _cached(tmp_path)
    (view,) = entry.glob("views/*.npy")
    _flip(view, -3)
    again = embed(ds, FakeTextEncoder(), cache_dir=tmp_path, chunk_size=10, progress=False)
    assert again.n_encoded == 0
    np.testing.assert_array_equal(np.asarray(again.X), first)


def test_a_view_of_the_wrong_width_is_rebuilt(tmp_path: Path) -> None:
    ds, first, entry = _cached(tmp_path)
    (view,) = entry.glob("views/*.npy")
    np.save(view, np.zeros((30, first.shape[1] + 1), np.float32))
    meta_path = view.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    meta.pop("crc32")  # as an old cache without checksums: the shape still catches it
    meta_path.write_text(json.dumps(meta))
    again = embed(ds, FakeTextEncoder(), cache_dir=tmp_path, chunk_size=10, progress=False)
    assert again.X.shape == first.shape
    np.testing.assert_array_equal(np.asarray(again.X), first)


def test_a_truncated_view_is_rebuilt_not_an_mmap_error(tmp_path: Path) -> None:
    ds, first, entry = _cached(tmp_path)
    (view,) = entry.glob("views/*.npy")
    view.write_bytes(view.read_bytes()[:200])
    again = embed(ds, FakeTextEncoder(), cache_dir=tmp_path, chunk_size=10, progress=False)
    np.testing.assert_array_equal(np.asarray(again.X), first)


def test_a_torn_manifest_is_rebuilt_with_a_warning_naming_it(tmp_path: Path) -> None:
    ds, first, entry = _cached(tmp_path)
    manifest = entry / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b'"chunks": [', b'"chunks": {', 1))
    _drop_views(entry)
    with pytest.warns(UserWarning, match=r"manifest\.json.*Rebuilding"):
        again = embed(ds, FakeTextEncoder(), cache_dir=tmp_path, chunk_size=10, progress=False)
    assert again.n_encoded == 30
    np.testing.assert_array_equal(np.asarray(again.X), first)
    assert len(json.loads(manifest.read_text())["chunks"]) == 3


def test_a_cache_without_checksums_is_read_and_gets_them(tmp_path: Path) -> None:
    ds, first, entry = _cached(tmp_path)
    manifest = entry / "manifest.json"
    data = json.loads(manifest.read_text())
    for c in data["chunks"]:
        del c["crc32"], c["keys_crc32"]
    manifest.write_text(json.dumps(data))
    (view_json,) = entry.glob("views/*.json")
    meta = json.loads(view_json.read_text())
    del meta["crc32"], meta["dim"]
    view_json.write_text(json.dumps(meta))
    again = embed(ds, FakeTextEncoder(), cache_dir=tmp_path, chunk_size=10, progress=False)
    assert again.n_encoded == 0
    np.testing.assert_array_equal(np.asarray(again.X), first)
    assert "crc32" in json.loads(view_json.read_text())
    _drop_views(entry)
    embed(ds, FakeTextEncoder(), cache_dir=tmp_path, chunk_size=10, progress=False)
    assert all("crc32" in c for c in json.loads(manifest.read_text())["chunks"])


# --- rules pinned by mutation testing (benchmarks/mutation.py) ------------------------


class _Named(FakeTextEncoder):
    def __init__(self, name: object) -> None:
        super().__init__()
        if name is not None:
            self.name = name  # type: ignore[assignment]


def test_the_cache_folder_is_a_slug_of_the_name_and_a_digest_of_the_identity(
    tmp_path: Path,
) -> None:
    # The folder name is part of the on-disk format: a cache must be found again by a later
    # version, so the rule is pinned exactly.
    import hashlib

    from fewlabels.encode.cache import _entry_dir

    enc = _Named("St:Org/Model Name++v2" + "x" * 80)
    digest = hashlib.blake2b(enc.identity.encode(), digest_size=8).hexdigest()
    slug = ("St_Org_Model_Name_v2" + "x" * 80)[:60]
    assert _entry_dir(tmp_path, enc) == tmp_path / f"{slug}-{digest}"

    class Unnamed(FakeTextEncoder):
        name = property(lambda self: (_ for _ in ()).throw(AttributeError))  # type: ignore

    plain = Unnamed()
    assert _entry_dir(tmp_path, plain).name.startswith("encoder-")


def test_readable_inputs_keep_their_own_rows_when_one_in_the_batch_fails() -> None:
    from fewlabels.encode.cache import _encode_readable
    from fewlabels.encode.images import UnreadableInputError

    class FailsOnBad(FakeTextEncoder):
        def encode(self, inputs: list[str]) -> np.ndarray:
            bad = [i for i, t in enumerate(inputs) if t.startswith("bad")]
            if bad:
                raise UnreadableInputError(bad, ["cannot read"] * len(bad))
            return super().encode(inputs)

    enc = FailsOnBad()
    inputs = ["pad"] * 10 + ["a", "bad 1", "b", "c", "bad 2"]  # positions 10..14
    kept, emb, failures = _encode_readable(enc, inputs, np.arange(5) + 10)
    np.testing.assert_array_equal(kept, [10, 12, 13])
    np.testing.assert_array_equal(emb, FakeTextEncoder().encode(["a", "b", "c"]))
    assert failures == [(11, "cannot read"), (14, "cannot read")]
    # A batch with nothing readable keeps no position.
    kept, emb, failures = _encode_readable(enc, ["x", "bad a", "bad b"], np.array([1, 2]))
    assert kept.size == 0 and emb.shape == (0, 0) and len(failures) == 2


def test_an_encoder_is_fitted_only_when_it_says_it_is_not() -> None:
    from fewlabels.encode.cache import _fit_if_needed

    class Fittable(FakeTextEncoder):
        def __init__(self, is_fitted: object) -> None:
            super().__init__()
            self.calls = 0
            if is_fitted is not None:
                self.is_fitted = is_fitted

        def fit(self, inputs: object) -> None:
            self.calls += 1

    ds = texts(3)
    for flag, calls in ((False, 1), (True, 0), (None, 0)):  # None: no is_fitted attribute
        enc = Fittable(flag)
        _fit_if_needed(enc, ds)
        assert enc.calls == calls, flag
    no_fit = FakeTextEncoder()
    _fit_if_needed(no_fit, ds)  # no fit method: nothing to do, no error


@pytest.mark.parametrize("damage", ["no json", "rows not a number", "skipped malformed"])
def test_a_view_without_usable_metadata_is_rebuilt(tmp_path: Path, damage: str) -> None:
    ds = texts(30)
    first = np.array(embed(ds, FakeTextEncoder(), cache_dir=tmp_path, progress=False).X)
    (view_json,) = [p for p in tmp_path.glob("*/views/*.json")]
    meta = json.loads(view_json.read_text())
    if damage == "no json":
        view_json.unlink()
    elif damage == "rows not a number":
        view_json.write_text(json.dumps({**meta, "rows": "30"}))
    else:
        view_json.write_text(json.dumps({**meta, "skipped": [["only-one-field"]]}))
    again = embed(ds, FakeTextEncoder(), cache_dir=tmp_path, progress=False)
    assert again.n_encoded == 0  # rebuilt from the chunks, nothing encoded
    np.testing.assert_array_equal(np.asarray(again.X), first)
    assert json.loads(view_json.read_text())["rows"] == 30
