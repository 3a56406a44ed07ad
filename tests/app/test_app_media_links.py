"""Links inside an image folder never make the page serve a file from outside the folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from fewlabels.app import create_app
from fewlabels.app.media import image_bytes
from fewlabels.data import Dataset
from fewlabels.workspace import Workspace


def test_init_does_not_register_a_link_to_outside(image_folder: Path, tmp_path: Path) -> None:
    (image_folder / "unlabeled" / "passwd.png").symlink_to("/etc/passwd")
    with pytest.warns(UserWarning, match="unlabeled/passwd.png"):
        ws = Workspace.init(tmp_path / "ws", data=str(image_folder), encoder="pixels")
    assert not ws.store.has_item("unlabeled/passwd.png")
    assert ws.store.has_item("unlabeled/u0.jpg")
    ws.store.add_round("random", ["unlabeled/u0.jpg"])
    c = TestClient(create_app(ws))
    assert c.get("/media", params={"id": "unlabeled/passwd.png"}).status_code == 404


def test_a_file_swapped_for_a_link_after_init_is_not_served(
    image_folder: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"SECRET BYTES")
    ws = Workspace.init(tmp_path / "ws", data=str(image_folder), encoder="pixels")
    ws.store.add_round("random", ["unlabeled/u0.jpg", "unlabeled/u1.jpg"])
    c = TestClient(create_app(ws))
    target = image_folder / "unlabeled" / "u0.jpg"
    assert c.get("/media", params={"id": "unlabeled/u0.jpg"}).status_code == 200
    target.unlink()
    target.symlink_to(secret)  # swapped while the page runs
    r = c.get("/media", params={"id": "unlabeled/u0.jpg"})
    assert r.status_code == 404 and b"SECRET" not in r.content
    inside = image_folder / "unlabeled" / "u1.jpg"
    inside.unlink()
    inside.symlink_to(image_folder / "a" / "a0.png")  # a link inside the folder is fine
    ok = c.get("/media", params={"id": "unlabeled/u1.jpg"})
    assert ok.status_code == 200 and ok.content == (image_folder / "a" / "a0.png").read_bytes()


def test_image_bytes_refuses_a_path_outside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "in.png").write_bytes(b"\x89PNG inside")
    (tmp_path / "out.png").write_bytes(b"\x89PNG outside")
    (root / "link.png").symlink_to(tmp_path / "out.png")
    ds = Dataset(
        ids=np.array(["in", "dotdot", "link"], dtype=object),
        inputs=[str(root / "in.png"), str(root / ".." / "out.png"), str(root / "link.png")],
        labels=np.full(3, -1),
        classes=("a", "b"),
        modality="image",
    )
    assert image_bytes(ds, 0, root=root)[0] == b"\x89PNG inside"
    for k in (1, 2):
        with pytest.raises(ValueError, match="outside"):
            image_bytes(ds, k, root=root)
    assert image_bytes(ds, 2)[0] == b"\x89PNG outside"  # no root: the caller's choice
