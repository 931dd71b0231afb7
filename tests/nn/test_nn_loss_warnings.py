"""Mistake detection in the losses (issue 7): softmax outputs fed to cross_entropy, non-log-probs to nll_loss."""
import warnings

import pytest

import numtorch

nn, F = numtorch.nn, numtorch.nn.functional
Warn = F.SuspiciousLossInputWarning


@pytest.fixture(autouse=True)
def _fresh_checks():
    F.set_loss_input_checks(True)  # also resets the "already warned" memory
    yield
    F.set_loss_input_checks(True)


def test_cross_entropy_warns_once_on_probabilities_and_points_at_caller():
    probs = F.softmax(numtorch.randn(8, 10), dim=1)
    target = numtorch.randint(0, 10, (8,))
    with pytest.warns(Warn, match="softmax twice") as rec:
        F.cross_entropy(probs, target)
    assert issubclass(Warn, UserWarning)
    assert rec[0].filename == __file__  # attributed to the user's line, not numtorch internals
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.cross_entropy(probs, target)  # once only
        nn.CrossEntropyLoss()(probs, target)


def test_cross_entropy_module_warning_points_at_caller():
    loss = nn.CrossEntropyLoss()
    with pytest.warns(Warn) as rec:
        loss(F.softmax(numtorch.randn(4, 3, 5), dim=1), numtorch.randint(0, 3, (4, 5)))
    assert rec[0].filename == __file__


def test_cross_entropy_no_warning_on_logits_or_single_row_edge_cases():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.cross_entropy(numtorch.randn(16, 10), numtorch.randint(0, 10, (16,)))
        F.cross_entropy(numtorch.rand(16, 10) * 0.1, numtorch.randint(0, 10, (16,)))  # in [0,1] but sums != 1
        F.nll_loss(F.log_softmax(numtorch.randn(16, 10), 1), numtorch.randint(0, 10, (16,)))


def test_nll_loss_warns_on_positive_inputs():
    x = numtorch.randn(6, 4)  # raw logits, some positive
    with pytest.warns(Warn, match="expects log-probabilities") as rec:
        nn.NLLLoss()(x, numtorch.randint(0, 4, (6,)))
    assert rec[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.nll_loss(x, numtorch.randint(0, 4, (6,)))  # once only


def test_warnings_can_be_silenced():
    probs = F.softmax(numtorch.randn(4, 3), dim=1)
    t = numtorch.tensor([0, 1, 2, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=Warn)
        F.cross_entropy(probs, t)
    F.set_loss_input_checks(False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.cross_entropy(probs, t)
        F.nll_loss(probs, t)


def test_loss_value_unchanged_by_check():
    probs = F.softmax(numtorch.randn(4, 3), dim=1)
    t = numtorch.tensor([0, 1, 2, 0])
    with pytest.warns(Warn):
        a = F.cross_entropy(probs, t).item()
    F.set_loss_input_checks(False)
    assert a == F.cross_entropy(probs, t).item()
