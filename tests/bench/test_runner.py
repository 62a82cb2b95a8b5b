"""The benchmark runner: Kim configs, run planning, the append-only results file, skipping, parallel runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from textcnn.bench import configs
from textcnn.bench.results import BenchRun, append_record, git_commit, read_results, run_key
from textcnn.bench.runner import plan_runs, quick_plan, run_benchmark
from textcnn.classify.config import from_dict, load_config

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs" / "kim"


@pytest.mark.parametrize("path", sorted(CONFIG_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_kim_settings_are_the_configs_in_configs_kim(path):
    dataset, mode = path.stem.split("-", 1)
    runner, from_file = from_dict(configs.kim_config_dict(dataset, mode)), load_config(path)
    # the same model arguments once the builder's defaults are filled in, and the same other sections
    assert runner.model.resolved() == from_file.model.resolved()
    assert {**runner.to_dict(), "model": None} == {**from_file.to_dict(), "model": None}


def test_every_kim_dataset_and_mode_has_a_config_file():
    assert len(list(CONFIG_DIR.glob("*.yaml"))) == len(configs.KIM_DATASETS) * len(configs.MODES)


def test_plan_runs_cheapest_first_with_folds_seeds_and_vectors():
    runs = plan_runs(["mr", "trec"], modes=["rand", "static"], vectors=["glove-6b-50d", "w2v-indomain"],
                     folds=[0, 1], seeds=[0, 1])  # fmt: skip
    methods = [r.method for r in runs]
    assert methods.index("cnn") > max(i for i, m in enumerate(methods) if m != "cnn")  # baselines first
    nbsvm = [r for r in runs if r.method == "nbsvm"]
    assert {(r.dataset, r.fold, r.seed) for r in nbsvm} == {("mr", 0, 0), ("mr", 1, 0), ("trec", 0, 0)}
    assert len([r for r in runs if r.method == "fasttext"]) == 6  # seeded: 3 (dataset, fold) x 2 seeds
    rand = [r for r in runs if r.mode == "rand"]
    assert {r.vectors for r in rand} == {"none"} and len(rand) == 6
    assert {r.vectors for r in runs if r.mode == "static"} == {"glove-6b-50d", "w2v-indomain-100d"}
    assert {r.fold for r in runs if r.dataset == "trec"} == {0}  # fixed test split
    assert len(set(runs)) == len(runs)


def test_plan_runs_scopes_overrides():
    runs = plan_runs(["mr", "sst2", "20ng"], methods=["cnn", "nbsvm"], modes=["static"], folds=[0],
                     overrides=["data.options.phrases=false", "train.epochs=3", "train.num_threads=1"])  # fmt: skip
    opts = {(r.dataset, r.method): dict(r.options) for r in runs}
    assert opts[("sst2", "cnn")] == {"data.options.phrases": False, "train.epochs": 3}
    assert opts[("sst2", "nbsvm")] == {"data.options.phrases": False}  # only the split-changing options
    assert opts[("mr", "cnn")] == {"train.epochs": 3}
    assert opts[("20ng", "cnn")] == {"data.max_len": 400, "train.epochs": 3}  # the runner's default for 20ng
    assert opts[("20ng", "nbsvm")] == {}  # baselines read the full documents
    scoped = plan_runs(["20ng"], methods=["cnn"], modes=["static"], overrides=["20ng:data.max_len=1000"])
    assert dict(scoped[0].options) == {"data.max_len": 1000}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"datasets": ["imdb"]}, "unknown dataset 'imdb'"),
        ({"methods": ["svm"]}, "unknown method 'svm'"),
        ({"modes": ["dynamic"]}, "unknown mode 'dynamic'"),
        ({"folds": [10]}, "fold 10 is out of range for 'mr'"),
        ({"overrides": ["data.options.phrases=false"]}, "no dataset among \\['mr'\\] has option 'phrases'"),
        ({"overrides": ["sst2:train.epochs=2"]}, "names dataset 'sst2', which is not among"),
        ({"overrides": ["data.fold=3"]}, "data.fold is set by the benchmark runner"),
        ({"overrides": ["model.num_filters=0"]}, "num_filters must be >= 1, got 0"),
        ({"overrides": ["train.epochs"]}, "must look like key.sub=value"),
        ({"vectors": ["none"]}, "not a source of vectors"),
        ({"overrides": ["model.name=char_cnn_small"], "modes": ["static"]}, "char_cnn_small' has no pretrained emb"),
    ],
)
def test_plan_runs_rejects_bad_input_by_name(kwargs, message):
    args = {"datasets": ["mr"], **kwargs}
    with pytest.raises(ValueError, match=message):
        plan_runs(args.pop("datasets"), **args)


def test_quick_plan_is_one_fold_of_cr_with_two_epochs():
    runs = quick_plan()
    assert {(r.dataset, r.fold, r.seed) for r in runs} == {("cr", 0, 0)}
    assert [r.method for r in runs] == ["tfidf_lr", "tfidf_svm", "nbsvm", "fasttext", "cnn"]
    assert dict(runs[-1].options) == {"train.epochs": 2}
    assert dict(quick_plan(["ag_news"])[-1].options) == {"data.max_len": 100, "train.epochs": 2}


def test_run_key_ignores_option_order_and_matches_records():
    run = BenchRun("mr", "cnn", "static", "glove-6b-50d", 1, 0, (("a.b", 1), ("c.d", 2)))
    record = {**run.to_dict(), "options": {"c.d": 2, "a.b": 1}, "accuracy": 0.5}
    assert run.key == run_key(record)
    assert run.name == "CNN-static"
    assert BenchRun("mr", "nbsvm", None, "-", 0, 0).name == "NBSVM"


def test_results_file_appends_whole_lines_and_skips_a_torn_one(tmp_path):
    path = tmp_path / "out" / "results.jsonl"
    append_record(path, {"a": 1})
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"torn": ')  # a writer killed mid-line
    append_record(path, {"b": 2})
    assert read_results(path) == [{"a": 1}, {"b": 2}]
    assert read_results(tmp_path / "missing.jsonl") == []


def test_git_commit_is_a_short_hash_or_unknown():
    commit = git_commit()
    assert commit == "unknown" or (4 <= len(commit) <= 12 and all(c in "0123456789abcdef" for c in commit))


def test_cnn_with_in_domain_word2vec_is_cached_per_fold(tmp_path, data_dir, monkeypatch):
    import textcnn.bench.execute as execute

    monkeypatch.setitem(execute.W2V_SETTINGS, "epochs", 1)
    small = ["train.epochs=1", "model.num_filters=8"]
    runs = plan_runs(["cr"], methods=["cnn"], modes=["static"], vectors=["w2v-indomain-20d"], folds=[0],
                     overrides=small)  # fmt: skip
    report = run_benchmark(runs, tmp_path, data_dir=str(data_dir), echo=None)
    assert report.ran == 1, report.failed
    (record,) = read_results(tmp_path / "results.jsonl")
    assert record["vectors"] == "w2v-indomain-20d" and record["epochs"] == 1
    assert record["w2v"] == {"dim": 20, "sg": 1, "window": 5, "min_count": 1, "epochs": 1}
    assert record["num_train"] + 378 + record["num_test"] > 3700 and record["vector_coverage"] > 0.9
    cached = list((tmp_path / "w2v").glob("cr-*-fold0-seed0-20d.bin"))
    assert len(cached) == 1
    assert not (tmp_path / "tmp").exists() and not (tmp_path / "models").exists()  # model dirs removed
    mtime = cached[0].stat().st_mtime_ns
    again = plan_runs(["cr"], methods=["cnn"], modes=["non-static"], vectors=["w2v-indomain-20d"], folds=[0],
                      overrides=small)  # fmt: skip
    assert run_benchmark(again, tmp_path, data_dir=str(data_dir), echo=None).ran == 1
    assert cached[0].stat().st_mtime_ns == mtime  # the fold's vectors were reused
    assert read_results(tmp_path / "results.jsonl")[-1]["w2v_seconds"] == 0.0


def test_failed_and_unavailable_runs_are_reported_not_written(tmp_path, data_dir, monkeypatch):
    import textcnn.bench.baselines as baselines

    monkeypatch.setattr(baselines, "fasttext_available", lambda: False)
    runs = plan_runs(["cr"], methods=["cnn", "fasttext"], modes=["static"], vectors=[str(tmp_path / "nope.bin")],
                     folds=[0])  # fmt: skip
    messages: list[str] = []
    report = run_benchmark(runs, tmp_path, data_dir=str(data_dir), echo=messages.append)
    assert report.unavailable == {"fasttext": 1}
    assert len(report.failed) == 1 and "nope.bin" in report.failed[0][1]
    assert any("fastText is not importable" in m for m in messages)
    assert read_results(tmp_path / "results.jsonl") == []
    with pytest.raises(ValueError, match="jobs must be >= 1"):
        run_benchmark(runs, tmp_path, jobs=0)


def test_records_are_json_lines(tmp_path):
    append_record(tmp_path / "r.jsonl", {"x": Path("a")})
    assert json.loads((tmp_path / "r.jsonl").read_text()) == {"x": "a"}


def test_teacher_method_is_opt_in_and_checks_its_settings():
    assert "teacher" not in {r.method for r in plan_runs(["trec"], modes=["rand"])}
    with pytest.raises(ValueError, match="teacher.encoder"):
        plan_runs(["trec"], methods=["teacher"])
    with pytest.raises(ValueError, match="teacher.warmpu: the teacher has no such setting"):
        plan_runs(["trec"], methods=["teacher"], overrides=["teacher.encoder=enc", "teacher.warmpu=0.2"])
    runs = plan_runs(["mr", "trec"], methods=["teacher", "nbsvm"], folds=[0, 1], seeds=[0, 1],
                     overrides=["teacher.encoder=enc", "teacher.epochs=2"])  # fmt: skip
    teachers = [r for r in runs if r.method == "teacher"]
    assert len(teachers) == 6 and {r.name for r in teachers} == {"Teacher"}  # seeded: 3 (dataset, fold) x 2
    assert dict(teachers[0].options) == {"teacher.encoder": "enc", "teacher.epochs": 2}
    assert all(not dict(r.options) for r in runs if r.method == "nbsvm")  # teacher.* reaches the teacher only


def test_teacher_runs_once_per_fold_and_a_cnn_distils_from_it(tmp_path, data_dir):
    pytest.importorskip("transformers")
    from tests.tiny_bert import make_tiny_bert

    encoder = make_tiny_bert(tmp_path / "bert")
    teacher = [f"teacher.encoder={encoder}", "teacher.epochs=1", "teacher.max_length=8", "teacher.lr=0.003"]
    runs = plan_runs(["cr"], methods=["teacher"], folds=[0], overrides=teacher)
    out = tmp_path / "bench"
    assert run_benchmark(runs, out, data_dir=str(data_dir), echo=None).ran == 1
    (record,) = read_results(out / "results.jsonl")
    folder = Path(record["teacher_dir"])
    assert (
        record["name"] == "Teacher" and folder == out / "teachers" / "cr-f0-s0" and (folder / "teacher.json").is_file()
    )
    assert 0 < record["accuracy"] <= 1 and record["test_texts_per_s"] > 0 and record["num_test"] > 300
    student = ["train.epochs=1", "model.num_filters=8", "distill.teacher=runner", "distill.augment=1"]
    runs = plan_runs(["cr"], methods=["cnn"], modes=["rand"], folds=[0, 1], overrides=student)
    report = run_benchmark(runs, out, data_dir=str(data_dir), echo=None)
    assert report.ran == 1 and len(report.failed) == 1 and "no teacher in" in report.failed[0][1]  # fold 1 has none
    cnn = read_results(out / "results.jsonl")[-1]
    assert cnn["options"]["distill.teacher"] == "runner" and cnn["fold"] == 0 and cnn["augmented_texts"] > 1000
    other = plan_runs(["cr"], methods=["cnn"], modes=["rand"], folds=[0], overrides=[*student, "data.dev_fraction=0.2"])
    report = run_benchmark(other, out, data_dir=str(data_dir), echo=None)  # not distilled from another split's teacher
    assert "another split: data.dev_fraction 0.1 (here 0.2)" in report.failed[0][1]
    moved = plan_runs(["cr"], methods=["teacher"], folds=[0], overrides=[*teacher[:-1], "teacher.lr=0.001"])
    report = run_benchmark(moved, out, data_dir=str(data_dir), echo=None)  # another setting: not silently reused
    assert "other settings" in report.failed[0][1]


def test_kept_models_of_runs_that_differ_only_by_options_do_not_overwrite_each_other(tmp_path, data_dir):
    small = ["train.epochs=1", "model.num_filters=4", "model.embedding_dim=8"]
    runs = [
        *plan_runs(["cr"], methods=["cnn"], modes=["rand"], folds=[0], overrides=small),
        *plan_runs(["cr"], methods=["cnn"], modes=["rand"], folds=[0], overrides=[*small, "train.hybrid=nbsvm"]),
    ]
    report = run_benchmark(runs, tmp_path, data_dir=str(data_dir), echo=None, keep_models=True)
    assert report.ran == 2, report.failed
    plain, hybrid = sorted(read_results(tmp_path / "results.jsonl"), key=lambda r: "train.hybrid" in r["options"])
    assert plain["model_dir"] != hybrid["model_dir"]
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == sorted(
        Path(r["model_dir"]).name for r in (plain, hybrid)
    )
    # each folder holds its own run's model: only the hybrid's has the linear part, and each scores as recorded
    assert (Path(hybrid["model_dir"]) / "linear.safetensors").is_file()
    assert not (Path(plain["model_dir"]) / "linear.safetensors").exists()
    for record in (plain, hybrid):
        metrics = json.loads((Path(record["model_dir"]) / "metrics.json").read_text(encoding="utf-8"))
        assert metrics["test"]["accuracy"] == record["accuracy"]


def test_character_models_run_through_the_runner(tmp_path, data_dir):
    """VDCNN and char-CNN take no embedding mode: a ``rand`` run passes none, and trains the model it names."""
    small = ["train.epochs=1", "tokenizer.kind=char", "train.batch_size=100"]
    runs = [
        *plan_runs(["cr"], methods=["cnn"], modes=["rand"], folds=[0], overrides=[
            *small, "model.name=char_cnn_small", "model.input_length=150", "data.max_len=150",
            "model.num_filters=8", "model.fc_dim=16"]),
        *plan_runs(["cr"], methods=["cnn"], modes=["rand"], folds=[0], overrides=[
            *small, "model.name=vdcnn9", "model.channels=[4,4,8,8]", "model.fc_dim=16", "data.max_len=100"]),
    ]  # fmt: skip
    report = run_benchmark(runs, tmp_path, data_dir=str(data_dir), echo=None, keep_models=True)
    assert report.ran == 2, report.failed
    for record in read_results(tmp_path / "results.jsonl"):
        saved = json.loads((Path(record["model_dir"]) / "textcnn.json").read_text(encoding="utf-8"))
        assert saved["model_name"] == record["options"]["model.name"] and "mode" not in saved["model_kwargs"]
        assert saved["model_kwargs"].get("channels", [4, 4, 8, 8]) == [4, 4, 8, 8]  # a list option reaches VDCNN
        assert 0.5 < record["accuracy"] <= 1
