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
def test_a_chunk_with_the_wrong_number_of_rows_is_encoded_again(
    tmp_path: Path, suffix: str, change: str
) -> None:
    # A well-formed .npy file whose row count disagrees with the manifest is as torn as a
    # truncated one: it is never served, and its inputs are encoded again.
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
    again = embed(ds, FakeTextEncoder(), cache_dir=tmp_path, chunk_size=10, progress=False)
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
