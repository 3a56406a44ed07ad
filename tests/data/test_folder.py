from pathlib import Path

import pytest

from fewlabels.data import from_folder


def test_layout_classes_unlabeled_and_loose_files(image_folder: Path) -> None:
    (image_folder / "loose.png").write_bytes((image_folder / "a" / "a0.png").read_bytes())
    ds = from_folder(image_folder)
    assert ds.modality == "image"
    assert ds.classes == ("a", "b")
    assert ds.class_counts() == {"a": 3, "b": 3}
    assert int((~ds.labeled_mask).sum()) == 5
    assert "unlabeled/u0.jpg" in ds.ids.tolist() and "loose.png" in ds.ids.tolist()
    assert all(Path(p).is_file() for p in ds.inputs)


def test_ids_are_relative_so_a_moved_folder_keeps_them(image_folder: Path, tmp_path: Path) -> None:
    before = from_folder(image_folder).ids.tolist()
    moved = image_folder.rename(tmp_path / "moved")
    assert from_folder(moved).ids.tolist() == before


def test_folder_without_images(tmp_path: Path) -> None:
    (tmp_path / "cats").mkdir()
    (tmp_path / "cats" / "notes.txt").write_text("hi")
    with pytest.raises(ValueError, match="found no image"):
        from_folder(tmp_path)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such folder"):
        from_folder(tmp_path / "nope")


def test_explicit_classes_must_cover_subfolders(image_folder: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown label\(s\) \['b'\]"):
        from_folder(image_folder, classes=["a", "c"])
    ds = from_folder(image_folder, classes=["a", "b", "c"])
    assert ds.class_counts()["c"] == 0
