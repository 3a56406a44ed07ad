from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fewlabels.bench.peers import SetFitPeer


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:'pin_memory' argument is set as true")
def test_setfit_peer_fits_the_packaged_minilm_offline_and_leaves_no_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    texts = [
        "great taste, love it",
        "delicious and fresh",
        "awful, stale and bland",
        "terrible, never again",
        "an unlabelled review",
    ]
    y = np.array([0, 0, 1, 1, -1])
    peer = SetFitPeer(num_iterations=1, random_state=0).fit(texts, y)
    assert peer.n_labelled_ == 4
    assert peer.classes_.tolist() == [0, 1]
    pred = peer.predict(["so tasty and good", "disgusting and stale"])
    assert pred.shape == (2,) and set(pred.tolist()) <= {0, 1}
    assert list(tmp_path.iterdir()) == []  # no checkpoints/ in the working directory
