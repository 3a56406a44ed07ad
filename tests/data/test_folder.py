import warnings
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


def test_links_that_leave_the_folder_are_skipped_with_a_warning(
    image_folder: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not for the page")
    outside_dir = tmp_path / "elsewhere"
    outside_dir.mkdir()
    (outside_dir / "x.png").write_bytes((image_folder / "a" / "a0.png").read_bytes())
    (image_folder / "unlabeled" / "passwd.png").symlink_to("/etc/passwd")
    (image_folder / "unlabeled" / "secret.png").symlink_to(secret)
    (image_folder / "loose.png").symlink_to(secret)
    (image_folder / "c").symlink_to(outside_dir, target_is_directory=True)
    (image_folder / "unlabeled" / "twin.png").symlink_to(image_folder / "a" / "a1.png")
    with pytest.warns(UserWarning, match=r"Skipped 4 file\(s\).*outside the folder") as rec:
        ds = from_folder(image_folder)
    text = str(rec[0].message)
    for name in ("unlabeled/passwd.png", "unlabeled/secret.png", "loose.png", "c/x.png"):
        assert name in text
        assert name not in ds.ids.tolist()
    assert ds.classes == ("a", "b")  # the linked-in class held only outside files
    assert "unlabeled/twin.png" in ds.ids.tolist()  # a link to a file inside stays
    root = image_folder.resolve()
    assert all(Path(p).resolve().is_relative_to(root) for p in ds.inputs)


def test_a_linked_data_folder_itself_is_fine(image_folder: Path, tmp_path: Path) -> None:
    link = tmp_path / "link-to-images"
    link.symlink_to(image_folder, target_is_directory=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = from_folder(link)
    assert len(ds) == 10
