import pytest

from fewlabels.learn import (
    KNN,
    Auto,
    ConsistencyTraining,
    LabelSpreading,
    LinearProbe,
    NearestClassMean,
    SelfTraining,
    TabPFN,
    TreeSelfTraining,
    ZeroShot,
    describe_learners,
    get_learner,
    list_learners,
)
from learn.learn_helpers import BagOfWordsEncoder


def test_names_and_classes():
    assert list_learners() == [
        "ncm",
        "knn",
        "linear",
        "label-spreading",
        "self-training",
        "consistency",
        "trees",
        "tabpfn",
        "zero-shot",
        "auto",
    ]
    expected = [
        NearestClassMean,
        KNN,
        LinearProbe,
        LabelSpreading,
        SelfTraining,
        ConsistencyTraining,
        TreeSelfTraining,
        TabPFN,
        ZeroShot,
        Auto,
    ]
    for name, cls in zip(list_learners(), expected, strict=True):
        params = (
            {"encoder": BagOfWordsEncoder(), "class_names": ["a", "b"]}
            if name == "zero-shot"
            else {}
        )
        assert type(get_learner(name, **params)) is cls
    assert set(describe_learners()) == set(list_learners())


def test_parameters_reach_the_learner():
    assert get_learner("label-spreading", n_neighbors=7).n_neighbors == 7


def test_unknown_names_and_parameters_are_refused():
    with pytest.raises(ValueError, match=r"Unknown learner 'svm'. Known learners: ncm, knn"):
        get_learner("svm")
    with pytest.raises(ValueError, match=r"'knn' does not take the parameter\(s\) \['k'\]"):
        get_learner("knn", k=3)
