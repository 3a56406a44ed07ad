from pathlib import Path

import numpy as np
import pytest

from fewlabels.encode import iter_row_blocks


def test_blocks_cover_the_matrix_in_order_for_memmaps_and_arrays(tmp_path: Path) -> None:
    data = np.arange(5000 * 3, dtype=np.float32).reshape(5000, 3)
    np.save(tmp_path / "x.npy", data)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    for source in (mm, data):
        blocks = list(iter_row_blocks(source, rows=777))
        assert [len(b) for b in blocks][:2] == [777, 777] and len(blocks) == 7
        np.testing.assert_array_equal(np.concatenate(blocks), data)
    # Released pages are re-read from the file: the memmap still reads right afterwards.
    np.testing.assert_array_equal(np.asarray(mm), data)


def test_rows_must_be_positive() -> None:
    with pytest.raises(ValueError, match="rows >= 1"):
        list(iter_row_blocks(np.zeros((2, 2)), rows=0))
