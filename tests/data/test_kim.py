import pytest

from textcnn.data.kim import parse_label_lines, read_kim_file
from textcnn.data.registry import load_dataset


def test_cv_folds_cover_the_file_once(data_dir):
    tests = []
    for fold in range(10):
        splits = load_dataset("cr", data_dir, fold=fold, seed=5)
        assert len(splits.train) + len(splits.dev) + len(splits.test) == 3775
        tests.extend(splits.test.texts)
    # every line is a test example in exactly one fold (compare multisets: CR has duplicate texts)
    all_texts = [line.split(" ", 1)[1].strip() for line in (data_dir / "kim" / "custrev.all").read_text().splitlines()]
    assert sorted(tests) == sorted(all_texts)


def test_cv_depends_on_seed_and_fold(data_dir):
    a = load_dataset("mr", data_dir, fold=0, seed=0)
    assert a.test.texts == load_dataset("mr", data_dir, fold=0, seed=0).test.texts
    assert a.test.texts != load_dataset("mr", data_dir, fold=0, seed=1).test.texts
    assert set(a.test.texts).isdisjoint(load_dataset("mr", data_dir, fold=1, seed=0).test.texts)
    assert a.report["split"]["fold"] == 0 and a.report["files"]["rt-polarity.all"]["encoding"] == "cp1252"


def test_mr_and_subj_decode_cp1252(data_dir):
    for name in ("mr", "subj"):
        texts = [t for _, s in load_dataset(name, data_dir).items() for t in s.texts]
        assert any("\u2026" in t or "\u00e9" in t for t in texts)
        assert not any("\x85" in t or "\ufffd" in t for t in texts)


@pytest.mark.parametrize(("name", "lines"), [("cr", [769, 1368, 3691, 3775]), ("mpqa", [6415, 7294, 10606])])
def test_label_only_lines_are_kept_or_skipped(name, lines, data_dir):
    kept = load_dataset(name, data_dir)
    n_empty = sum(t == "" for _, s in kept.items() for t in s.texts)
    assert n_empty == len(lines)
    file_report = next(iter(kept.report["files"].values()))
    assert file_report["empty_example_line_numbers"] == lines
    assert kept.report["empty_examples"]["action"] == "kept" and "rule" in kept.report["empty_examples"]
    skipped = load_dataset(name, data_dir, skip_empty=True)
    assert sum(len(s) for _, s in skipped.items()) == sum(len(s) for _, s in kept.items()) - len(lines)
    assert skipped.report["empty_examples"]["action"] == "dropped"


def test_trec_reports_the_stray_byte(data_dir):
    splits = load_dataset("trec", data_dir, dev_fraction=0.0)
    assert splits.dev is None
    assert splits.report["files"]["TREC.train.all"]["replacement_char_line_numbers"] == [66]
    assert "sister\ufffdcity" in splits.train.texts[65]


def test_trec_fine_labels(data_dir):
    splits = load_dataset("trec", data_dir, fine=True)
    assert splits.num_classes == 50 and splits.label_names == sorted(splits.label_names)
    assert len(splits.train) + len(splits.dev) == 5452 and len(splits.test) == 500
    assert splits.label_names[splits.test.labels[0]] == "NUM:dist"


def test_trec_fine_unseen_test_label_is_an_error(tmp_path):
    from textcnn.data.kim import load_trec

    (tmp_path / "kim" / "raw").mkdir(parents=True)
    (tmp_path / "kim" / "raw" / "TREC.train").write_text("A:x q1 ?\nA:x q2 ?\nB:y q3 ?\nB:y q4 ?\n")
    (tmp_path / "kim" / "raw" / "TREC.test").write_text("A:x q5 ?\nC:z q6 ?\n")
    with pytest.raises(ValueError, match=r"TREC.test: line 2 .*'C:z'.*does not occur"):
        load_trec(tmp_path, fine=True, dev_fraction=0.0)


def test_sst_phrases_train_sentence_eval(data_dir):
    sst2 = load_dataset("sst2", data_dir, phrases=True)
    assert sst2.train.class_counts(2) == [34944, 42672] and len(sst2.train) == 77616
    assert (len(sst2.dev), len(sst2.test)) == (872, 1821)
    assert sst2.report["phrases"]["distinct_phrases"] == 159274 and sst2.report["phrases"]["neutral_dropped"] > 0
    assert all(t == t.lower() for t in sst2.train.texts[:1000])
    sentences = set(load_dataset("sst2", data_dir).train.texts)
    assert len(sentences & set(sst2.train.texts)) > 0.95 * len(sentences)


def test_sst1_phrases_counts(data_dir):
    sst1 = load_dataset("sst1", data_dir, phrases=True)
    assert sst1.train.class_counts(5) == [7233, 27711, 81658, 33361, 9311]


def test_bad_label_names_file_and_line(tmp_path):
    path = tmp_path / "x.all"
    path.write_text("0 fine\nx broken\n")
    with pytest.raises(ValueError, match=r"x.all: line 2 has an invalid label 'x'"):
        read_kim_file(path, skip_empty=False)


def test_parse_label_lines_rules():
    parsed = parse_label_lines(["1 a b ", "0", "", "2\t c"])
    assert parsed.raw_labels == ["1", "0", "2"] and parsed.texts == ["a b", "", "c"]
    assert parsed.empty_lines == [2] and parsed.blank_lines == [3] and parsed.line_numbers == [1, 2, 4]
    tab = parse_label_lines(["pos\ta b", "\tno label"], sep="\t")
    assert tab.texts == ["a b"] and tab.unlabelled_lines == [2]
