import pytest

from textcnn.data.sst_trees import load_sst_phrases, parse_tree_phrases


def test_parse_tree_phrases_post_order():
    assert parse_tree_phrases("(3 (2 It) (4 (2 is) (4 great)))") == [
        ("It", 2),
        ("is", 2),
        ("great", 4),
        ("is great", 4),
        ("It is great", 3),
    ]


@pytest.mark.parametrize("bad", ["(3 (2 a)", "(x a)", "(2 a))"])
def test_malformed_trees_raise(bad):
    with pytest.raises(ValueError, match="line 7"):
        parse_tree_phrases(bad, where="line 7")


def test_dev_tree_counts(data_dir):
    split, report = load_sst_phrases(data_dir / "sst_trees" / "dev.txt", binary=False)
    assert report["trees"] == 1101 and report["labelled_nodes"] == 41447
    assert split.class_counts(5) == [1004, 4101, 13377, 4900, 1390]
