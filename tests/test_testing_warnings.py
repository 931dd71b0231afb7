"""The common-mistake warnings: double softmax into cross_entropy, non-log-probabilities into nll_loss."""
import warnings

import pytest

import numtorch
import numtorch.nn.functional as F


@pytest.fixture(autouse=True)
def _fresh_checks():
    F.set_loss_input_checks(True)  # re-arms the warn-once state
    yield
    F.set_loss_input_checks(True)


def _caught(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn()
    return [str(x.message) for x in w]


def test_cross_entropy_on_probabilities_warns_once():
    logits = numtorch.randn(8, 5)
    y = numtorch.randint(0, 5, (8,))
    assert _caught(lambda: F.cross_entropy(logits, y)) == []
    msgs = _caught(lambda: [F.cross_entropy(numtorch.softmax(logits, 1), y) for _ in range(3)])
    assert len(msgs) == 1 and "logits" in msgs[0] and "softmax" in msgs[0]
    F.set_loss_input_checks(False)
    assert _caught(lambda: numtorch.nn.CrossEntropyLoss()(numtorch.softmax(logits, 1), y)) == []


def test_nll_loss_on_positive_values_warns():
    x = numtorch.rand(4, 3)
    y = numtorch.tensor([0, 1, 2, 0])
    assert _caught(lambda: F.nll_loss(F.log_softmax(numtorch.randn(4, 3), 1), y)) == []
    msgs = _caught(lambda: F.nll_loss(x, y))
    assert len(msgs) == 1 and "log" in msgs[0]
