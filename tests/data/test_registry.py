import inspect
import json

import pytest

from textcnn.data import registry
from textcnn.data.registry import DatasetSpec, get_dataset_spec, list_datasets, load_dataset, register_dataset
from textcnn.data.splits import DatasetSplits, TextSplit

_NG_TRAIN = [480, 584, 591, 590, 578, 593, 585, 594, 598, 597, 600, 595, 591, 594, 593, 599, 546, 564, 465, 377]
_NG_TEST = [319, 389, 394, 392, 385, 395, 390, 396, 398, 397, 399, 396, 393, 396, 394, 398, 364, 376, 310, 251]
# Per-class counts of each source split, from the PROVENANCE.md files.
EXPECTED = {
    "mr": {"all": [5331, 5331]},
    "subj": {"all": [5000, 5000]},
    "cr": {"all": [1368, 2407]},
    "mpqa": {"all": [7294, 3312]},
    "sst1": {
        "train": [1092, 2218, 1624, 2322, 1288],
        "dev": [139, 289, 229, 279, 165],
        "test": [279, 633, 389, 510, 399],
    },
    "sst2": {"train": [3310, 3610], "dev": [428, 444], "test": [912, 909]},
    "trec": {"train": [1162, 1250, 86, 1223, 835, 896], "test": [138, 94, 9, 65, 81, 113]},
    "20ng": {"train": _NG_TRAIN, "test": _NG_TEST},
    "ag_news": {"train": [5000] * 4, "test": [1900] * 4},
}
FAST_OPTIONS = {"20ng": {"remove": ()}}  # counts do not depend on stripping; the default is tested in test_newsgroups


def test_every_benchmark_dataset_has_expected_counts():
    specs = [get_dataset_spec(n) for n in list_datasets()]
    benchmarks = [s.name for s in specs if s.needs_data_dir and not s.multi_label]
    assert sorted(EXPECTED) == benchmarks
    assert [s.name for s in specs if s.multi_label] == ["20ng_hierarchy"]  # its counts: test_20ng_hierarchy_...


def _add(a, b):
    return [x + y for x, y in zip(a, b, strict=True)]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_per_split_and_class_match_provenance(name, data_dir):
    spec = get_dataset_spec(name)
    splits = load_dataset(name, data_dir, **FAST_OPTIONS.get(name, {}))
    c = splits.num_classes
    counts = {n: s.class_counts(c) for n, s in splits.items()}
    assert splits.label_names == list(spec.label_names)
    expected = EXPECTED[name]
    if spec.num_folds:  # CV: train + dev + test fold = the whole file
        assert _add(_add(counts["train"], counts["dev"]), counts["test"]) == expected["all"]
    elif "dev" in expected:
        assert counts == expected
    else:  # dev held out from train
        assert _add(counts["train"], counts["dev"]) == expected["train"]
        assert counts["test"] == expected["test"]
    assert {k: sum(v) for k, v in expected.items()} == dict(spec.split_sizes)
    assert splits.report["dataset"] == name and splits.report["seed"] == 0
    json.dumps(splits.report)  # reports are JSON-friendly (they go into run logs and checkpoints)


def test_unknown_dataset_lists_names():
    with pytest.raises(ValueError, match="unknown dataset 'nope'.*mr.*sst2"):
        load_dataset("nope")


def test_bad_fold(data_dir):
    with pytest.raises(ValueError, match=r"fold must be in \[0, 10\)"):
        load_dataset("mr", data_dir, fold=10)
    with pytest.raises(ValueError, match="fixed splits"):
        load_dataset("sst1", data_dir, fold=1)


def test_unknown_and_missing_options(data_dir):
    with pytest.raises(ValueError, match="unknown option 'phrase'.*phrases"):
        load_dataset("sst2", data_dir, phrase=True)
    with pytest.raises(ValueError, match="needs option 'train'"):
        load_dataset("file")
    with pytest.raises(ValueError, match="dev_fraction"):
        load_dataset("trec", data_dir, dev_fraction=1.5)


def test_data_dir_from_environment(data_dir, monkeypatch):
    monkeypatch.setenv("TEXTCNN_DATA", str(data_dir))
    assert len(load_dataset("cr").test) == 378
    monkeypatch.delenv("TEXTCNN_DATA")
    with pytest.raises(ValueError, match="TEXTCNN_DATA"):
        load_dataset("cr")


def test_register_custom_dataset(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    def load(data_dir, *, fold=0, seed=0, dev_fraction=0.1, upper=False):
        texts = ["A", "B"] if upper else ["a", "b"]
        return DatasetSplits("toy", ["x", "y"], TextSplit(texts, [0, 1]))

    spec = DatasetSpec("toy", "toy data", ("x", "y"), 0, ("train",), "", load, needs_data_dir=False)
    register_dataset(spec)
    assert "toy" in list_datasets() and spec.options == {"upper": False}
    assert load_dataset("toy", upper=True).train.texts == ["A", "B"]
    with pytest.raises(ValueError, match="already registered"):
        register_dataset(spec)


def test_every_loader_takes_the_common_arguments():
    for name in list_datasets():
        params = inspect.signature(get_dataset_spec(name).loader).parameters
        assert {"fold", "seed", "dev_fraction"} <= set(params), name
        assert all(p.kind is p.KEYWORD_ONLY for n, p in params.items() if n != "data_dir"), name


def test_overview_rows(data_dir, tmp_path):
    rows = {r["name"]: r for r in registry.dataset_overview(data_dir)}
    assert rows["mr"]["sizes"] == "10662 (10-fold CV)" and rows["mr"]["data"] == "ok"
    assert rows["sst1"]["sizes"] == "train 8544 / dev 1101 / test 2210"
    assert rows["file"]["data"] == "-"
    assert registry.dataset_overview(tmp_path)[0]["data"].startswith("missing")


@pytest.mark.parametrize("name", ["MR", "Mr", "SST2", "Ag_News"])
def test_dataset_names_are_case_insensitive(name):
    assert get_dataset_spec(name).name == name.lower()


def test_a_dataset_name_that_matches_a_registered_one_only_in_case_loads_under_its_registered_name(data_dir):
    splits = load_dataset("TREC", data_dir)
    assert splits.report["dataset"] == "trec" and len(splits.test) == 500


@pytest.mark.parametrize(("name", "suggestion"), [("mrr", "mr"), ("sst-2", "sst2"), ("agnews", "ag_news")])
def test_a_misspelt_dataset_name_suggests_the_closest(name, suggestion):
    with pytest.raises(ValueError, match=rf"unknown dataset {name!r}; did you mean {suggestion!r}\?"):
        load_dataset(name)


def test_a_name_like_no_dataset_suggests_nothing():
    with pytest.raises(ValueError) as info:
        get_dataset_spec("imagenet")
    assert "did you mean" not in str(info.value) and "registered datasets: 20ng" in str(info.value)


def _under(prefix: str, counts: list[int], groups: list[str]) -> int:
    return sum(n for group, n in zip(groups, counts, strict=True) if group == prefix or group.startswith(prefix + "."))


def test_20ng_hierarchy_labels_are_the_newsgroup_prefixes(data_dir):
    spec = get_dataset_spec("20ng_hierarchy")
    assert spec.multi_label and "derived from 20ng" in spec.description
    flat = load_dataset("20ng", data_dir, remove=())
    hier = load_dataset("20ng_hierarchy", data_dir, remove=())
    assert hier.label_names == list(spec.label_names) and len(hier.label_names) == 38
    mac = flat.test.labels.index(flat.label_names.index("comp.sys.mac.hardware"))
    got = [hier.label_names[c] for c in hier.test.label_sets()[mac]]
    assert got == ["comp", "comp.sys", "comp.sys.mac", "comp.sys.mac.hardware"]
    for name in ("train", "dev", "test"):  # the same texts in the same (seeded) splits
        assert getattr(hier, name).texts == getattr(flat, name).texts
    # each label counts the messages of the newsgroups under it (PROVENANCE counts of 20ng)
    counts = {n: s.class_counts(len(hier.label_names)) for n, s in hier.items()}
    groups = flat.label_names
    assert counts["test"] == [_under(label, _NG_TEST, groups) for label in hier.label_names]
    assert _add(counts["train"], counts["dev"]) == [_under(label, _NG_TRAIN, groups) for label in hier.label_names]
    assert hier.report["derived"].startswith("from 20ng")
    json.dumps(hier.report)
