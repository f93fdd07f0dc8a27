"""Pure parts of issue 12's views: codes, histogram geometry, the sharpness limit, texts."""

from __future__ import annotations

import math

import numpy as np

from scenarios.lessons import find_lesson
from tui.screens.lessons import describe
from tui.widgets.activations import code
from tui.widgets.confusion import accuracy_text
from tui.widgets.histograms import frame_columns, picture, used_bins
from tui.widgets.sharpness import stability_limit


def test_code_reads_squashing_units_as_bits() -> None:
    assert code(np.array([0.9, 0.1, 0.51]), "sigmoid") == "101"
    assert code(np.array([-0.2, 0.3]), "tanh") == "01"
    assert code(np.array([1.0, 0.0]), "relu") == ""  # unbounded: no midpoint, no code


def test_stability_limit_is_2_over_lr_widened_by_momentum() -> None:
    assert stability_limit(0.2, 0.0) == 10.0
    assert math.isclose(stability_limit(0.05, 0.9), 76.0)


def test_frame_columns_stretch_few_frames_and_keep_the_newest() -> None:
    assert list(frame_columns(2, 4)) == [0, 0, 1, 1]
    cols = frame_columns(100, 10)
    assert cols[0] == 0 and cols[-1] == 99 and len(cols) == 10


def test_used_bins_and_picture_shares() -> None:
    counts = np.zeros((2, 1, 6), dtype=np.int64)  # frames, layers, bins
    counts[0, 0, 2] = 3
    counts[1, 0, 3] = 1
    counts[1, 0, 4] = 3
    assert used_bins(counts) == (2, 5)
    img = picture(counts[:, 0], 2, 5, 1, np.array([0, 1]))
    assert img.shape == (3, 2)  # bins 4, 3, 2 top down; a column per frame
    assert np.allclose(img[:, 0], [0, 0, 1]) and np.allclose(img[:, 1], [0.75, 0.25, 0])
    assert used_bins(np.zeros((1, 1, 4), dtype=np.int64)) == (0, 4)


def test_accuracy_text_and_a_lessons_description() -> None:
    assert accuracy_text(float("nan")).strip() == "-" and accuracy_text(0.5) == " 50%"
    text = describe(find_lesson("4")).plain
    assert "claim" in text and "measured here" in text and "10.11" in text
    assert "backprop-tui train edge-of-stability --lr 0.2" in text
