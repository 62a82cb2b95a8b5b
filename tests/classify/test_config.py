"""Experiment configs: YAML in safely, unknown keys and wrong types named, overrides, shipped configs valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from textcnn.classify.config import ExperimentConfig, from_dict, load_config

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "configs").rglob("*.yaml"))


def test_every_dataset_and_mode_has_a_valid_config():
    names = {p.stem for p in CONFIGS}
    for ds in ("mr", "sst1", "sst2", "subj", "trec", "cr", "mpqa"):
        for mode in ("rand", "static", "non-static", "multichannel"):
            assert f"{ds}-{mode}" in names
    for path in CONFIGS:
        config = load_config(path)
        assert config.data.dataset is not None


def test_round_trip_through_yaml(tmp_path):
    config = load_config(None, ["data.dataset=mr", "model.mode=static", "embeddings.vectors=glove-6b-50d"])
    path = tmp_path / "c.yaml"
    path.write_text(config.to_yaml())
    assert load_config(path) == config


def test_overrides_parse_yaml_values():
    config = load_config(
        None,
        [
            "data.dataset=trec",
            "model.filter_widths=[2,3]",
            "model.max_norm=null",
            "train.lr=0.5",
            "data.options.fine=true",
        ],
    )
    assert config.model.args["filter_widths"] == [2, 3]
    assert config.model.args["max_norm"] is None
    assert config.train.lr == 0.5
    assert config.data.options == {"fine": True}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["data.dataset=mr", "model.widths=[3]"], "unknown config key 'model.widths'"),
        (["data.dataset=mr", "training.epochs=3"], "unknown config key 'training'"),
        (["data.dataset=mr", "train.epochs=three"], "'train.epochs' has the wrong type"),
        (["data.dataset=mr", "model.filter_widths=[3, x]"], r"model.filter_widths\[1\]"),
        (["data.dataset=mr", "model.num_filters=0"], "model: num_filters must be >= 1"),
        (["data.dataset=mr", "model.name=vgg16"], "'vgg16' is an image model"),
        (["data.dataset=mr", "model.name=nope"], "model.name: unknown model 'nope'"),
        (["data.dataset=mr", "model.vocab_size=9"], "model.vocab_size is set from the data"),
        (["data.dataset=mr", "data.max_len=3"], "larger than data.max_len 3"),
        (["data.dataset=mr", "model.mode=static"], "needs pretrained vectors"),
        (["model.mode=rand"], "data.dataset is required"),
        (["data.dataset=mr", "train.batch_size=-5"], "train.batch_size must be >= 1"),
        (["nonsense"], "must look like key.sub=value"),
    ],
)
def test_bad_configs_name_the_key(overrides, message):
    with pytest.raises(ValueError, match=message):
        load_config(None, overrides)


def test_error_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("data:\n  dataset: mr\n  foldd: 2\n")
    with pytest.raises(ValueError, match=r"bad.yaml: unknown config key 'data.foldd'"):
        load_config(path)
    with pytest.raises(FileNotFoundError, match="missing.yaml"):
        load_config(tmp_path / "missing.yaml")


def test_yaml_python_tags_are_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(f"data: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ValueError, match="not a valid YAML config"):
        load_config(path)
    assert not marker.exists()


def test_from_dict_defaults():
    assert from_dict({}) == ExperimentConfig()


def test_max_norm_null_builds_a_head_without_the_constraint():
    from textcnn.models import create_model

    config = load_config(None, ["data.dataset=trec", "model.num_filters=50", "model.max_norm=null"])
    built = create_model(config.model.name, vocab_size=50, **config.model.args)
    assert built.head.fc.max_norm is None
    assert built.convs[0].conv.out_channels == 50
    default = load_config(None, ["data.dataset=trec"])
    assert create_model("kim_cnn", vocab_size=50, **default.model.args).head.fc.max_norm == 3.0


def test_unset_model_arguments_take_the_builders_defaults_which_live_only_there():
    import inspect

    from textcnn.models.kim_cnn import kim_cnn

    config = load_config(None, ["data.dataset=mr", "model.dropout=0.3"])
    assert config.model.args == {"dropout": 0.3}  # nothing else is written down
    resolved = config.model.resolved()
    assert resolved["dropout"] == 0.3
    assert resolved["num_filters"] == inspect.signature(kim_cnn).parameters["num_filters"].default


def test_an_unknown_model_argument_names_it_and_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"'model.num_filter'.*its arguments: .*num_filters"):
        load_config(None, ["data.dataset=mr", "model.num_filter=5"])
