"""TextTokenizer: vocabulary rules, special ids, encoding, robustness and exact serialisation."""

from __future__ import annotations

import json
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from textcnn.text.tokenizers import KINDS, SUBWORD_KINDS, TextTokenizer

TRAIN = [
    "It's a good movie, isn't it?",
    "A bad (very bad) movie!",
    "Good acting; good script.",
    "مرحبا بالعالم and café",
]
EDGE_TEXTS = ["", "   ", "\t\n", "\x00", "a\x00b", "😀🎬", "مرحبا بالعالم", "\ufeffhello", "<pad> <unk>", "a\ud800b"]


@cache
def fitted(kind: str) -> TextTokenizer:
    return TextTokenizer.create(kind, vocab_size=60).fit(TRAIN * 3)


def test_word_vocabulary_order_counts_then_token() -> None:
    tok = TextTokenizer.create("whitespace").fit(["b a c d", "b a", "c c z"])
    # <pad>, <unk>, then by count (c: 3, a/b: 2, d/z: 1), ties in code-point order
    assert tok.tokens() == ["<pad>", "<unk>", "c", "a", "b", "d", "z"]
    assert tok.get_vocab() == {token: i for i, token in enumerate(tok.tokens())}
    assert tok.vocab_size == 7


def test_min_count_and_max_size() -> None:
    texts = ["a a a b b c", "a b d"]
    assert TextTokenizer.create("whitespace", min_count=2).fit(texts).tokens() == ["<pad>", "<unk>", "a", "b"]
    assert TextTokenizer.create("whitespace", max_size=1).fit(texts).tokens() == ["<pad>", "<unk>", "a"]
    assert TextTokenizer.create("whitespace", max_size=0).fit(texts).vocab_size == 2


@pytest.mark.parametrize("kind", KINDS)
def test_special_tokens_and_contiguous_ids(kind: str) -> None:
    tok = fitted(kind)
    tokens = tok.tokens()
    assert tokens[:2] == ["<pad>", "<unk>"]
    assert (tok.pad_id, tok.unk_id) == (0, 1)
    assert len(tokens) == tok.vocab_size == len(set(tokens))
    if kind in SUBWORD_KINDS:
        assert tok.vocab_size <= 60


@pytest.mark.parametrize("kind", ["kim", "whitespace", "char"])
def test_word_kinds_encode_is_vocabulary_lookup(kind: str) -> None:
    tok = fitted(kind)
    vocab = tok.get_vocab()
    for text in [*TRAIN, "unseen words here", "Good GOOD good"]:
        assert tok.encode(text) == [vocab.get(t, 1) for t in tok.tokenize(text)]


def test_kim_kind_cleans_and_only_knows_training_words() -> None:
    tok = fitted("kim")
    assert tok.tokenize("It's GOOD, isn't it?") == ["it", "'s", "good", ",", "is", "n't", "it", "?"]
    assert tok.encode("brilliant")[0] == tok.unk_id
    cased = TextTokenizer.create("kim", lowercase=False).fit(["What is NASA ?"])
    assert cased.tokenize("What NASA") == ["What", "NASA"]


def test_char_kind_keeps_every_code_point() -> None:
    tok = TextTokenizer.create("char", lowercase=False).fit(["ab c"])
    assert tok.tokenize("aB c😀") == ["a", "B", " ", "c", "😀"]
    vocab = tok.get_vocab()
    assert tok.encode("aB c😀") == [vocab["a"], 1, vocab[" "], vocab["c"], 1]


@pytest.mark.parametrize("kind", KINDS)
def test_encode_batch_matches_encode_without_padding(kind: str) -> None:
    tok = fitted(kind)
    texts = [*TRAIN, *EDGE_TEXTS]
    batch = tok.encode_batch(texts)
    assert batch == [tok.encode(text) for text in texts]
    assert batch[len(TRAIN)] == []  # the empty text gives an empty list: no padding
    assert len({len(ids) for ids in batch}) > 1  # no padding to a common length


@pytest.mark.parametrize("kind", KINDS)
def test_edge_texts_give_valid_ids_and_never_pad(kind: str) -> None:
    tok = fitted(kind)
    for text in EDGE_TEXTS:
        ids = tok.encode(text)
        assert all(1 <= i < tok.vocab_size for i in ids), (text, ids)


def test_literal_pad_token_in_text_is_unknown_not_padding() -> None:
    tok = TextTokenizer.create("whitespace").fit(["<pad> x"])
    assert tok.encode("<pad> x") == [tok.unk_id, tok.get_vocab()["x"]]


@settings(max_examples=100, deadline=None)
@given(text=st.text(), kind=st.sampled_from(KINDS))
def test_any_unicode_encodes_to_valid_ids(text: str, kind: str) -> None:
    tok = fitted(kind)
    ids = tok.encode(text)
    assert all(isinstance(i, int) and 1 <= i < tok.vocab_size for i in ids)
    assert tok.encode_batch([text, text]) == [ids, ids]


def test_unfitted_tokenizer_raises_a_clear_error() -> None:
    tok = TextTokenizer.create("bpe")
    assert not tok.is_fitted and tok.vocab_size == 0
    for call in (lambda: tok.encode("x"), lambda: tok.encode_batch(["x"]), tok.tokens, lambda: tok.coverage(["x"])):
        with pytest.raises(ValueError, match=r"not fitted.*fit\("):
            call()
    assert TextTokenizer.create("kim").tokenize("Hi, you!") == ["hi", ",", "you", "!"]  # word kinds need no fit


def test_bad_arguments_are_value_errors_naming_the_value() -> None:
    with pytest.raises(ValueError, match="'sentencepiece'"):
        TextTokenizer.create("sentencepiece")
    with pytest.raises(ValueError, match="min_count"):
        TextTokenizer.create("kim", min_count=0)
    with pytest.raises(ValueError, match="single str"):
        TextTokenizer.create("kim").fit("one text")
    with pytest.raises(ValueError, match="text 1 is a NoneType"):
        fitted("kim").encode_batch(["fine", None])


def test_coverage_counts_tokens_and_types() -> None:
    tok = TextTokenizer.create("whitespace").fit(["a b c"])
    report = tok.coverage(["a a x", "y b x"])
    assert report["tokens"] == 6 and report["types"] == 4
    assert report["token_coverage"] == pytest.approx(3 / 6)
    assert report["type_coverage"] == pytest.approx(2 / 4)
    assert (report["oov_tokens"], report["oov_types"]) == (3, 2)
    assert report["top_oov"] == [("x", 2), ("y", 1)]
    assert fitted("wordpiece").coverage([])["tokens"] == 0


def test_coverage_of_real_dev_split(data_dir) -> None:
    kim = data_dir / "kim"

    def texts(name: str) -> list[str]:
        return [line.split(" ", 1)[1] for line in (kim / name).read_text(encoding="utf-8").splitlines()]

    tok = TextTokenizer.create("whitespace").fit(texts("stsa.binary.train"))
    report = tok.coverage(texts("stsa.binary.dev"))
    assert 0.9 < report["token_coverage"] < 1.0
    assert report["type_coverage"] < report["token_coverage"]


@pytest.mark.parametrize("kind", KINDS)
def test_to_str_round_trips_exactly(kind: str, tmp_path) -> None:
    tok = fitted(kind)
    text = tok.to_str()
    again = TextTokenizer.from_str(text)
    assert again.to_str() == text
    assert again.config == tok.config
    assert again.encode_batch(TRAIN + EDGE_TEXTS) == tok.encode_batch(TRAIN + EDGE_TEXTS)
    path = tok.save(tmp_path / "tok.json")
    assert TextTokenizer.load(path).to_str() == text
    assert json.loads(text)["tokenizer"]["model"]["type"]  # the embedded document is the tokenizers JSON


def test_unfitted_tokenizer_round_trips() -> None:
    tok = TextTokenizer.create("unigram", lowercase=False, vocab_size=100)
    again = TextTokenizer.from_str(tok.to_str())
    assert not again.is_fitted and again.config == tok.config


def test_load_errors_name_the_file_or_key(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="missing.json"):
        TextTokenizer.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.json"):
        TextTokenizer.load(bad)
    data = json.loads(fitted("kim").to_str())
    data["config"]["stemming"] = True
    with pytest.raises(ValueError, match="stemming"):
        TextTokenizer.from_str(json.dumps(data))
    with pytest.raises(ValueError, match="textcnn-tokenizer"):
        TextTokenizer.from_str(json.dumps(data["tokenizer"]))


def test_subword_tokenizers_train_on_real_text(data_dir) -> None:
    lines = (data_dir / "kim" / "TREC.train.all").read_text(encoding="utf-8", errors="replace").splitlines()
    texts = [line.split(" ", 1)[1] for line in lines[:2000]]
    for kind in SUBWORD_KINDS:
        tok = TextTokenizer.create(kind, vocab_size=500).fit(texts)
        assert 100 < tok.vocab_size <= 500
        ids = tok.encode_batch(texts[:200])
        unknown = sum(i == tok.unk_id for seq in ids for i in seq)
        assert unknown / sum(map(len, ids)) < 0.01, kind


def test_special_tokens_in_training_text_keep_their_ids() -> None:
    # WordLevelTrainer alone would move <pad>/<unk> when the corpus spells them
    tok = TextTokenizer.create("whitespace", max_size=2).fit(["<pad> x", "<unk> y y", "<pad> <pad> z"])
    assert tok.tokens() == ["<pad>", "<unk>", "y", "x"]


def _rust_ids(tokenizer: TextTokenizer, texts: list[str]) -> list[list[int]]:
    encodings = tokenizer.hf_tokenizer.encode_batch_fast(texts, add_special_tokens=False)
    return [encoding.ids for encoding in encodings]


@pytest.mark.parametrize("lowercase", [True, False])
@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs",))), max_size=8))
def test_kim_python_fast_path_equals_the_rust_pipeline(texts: list[str], lowercase: bool) -> None:
    corpus = ["It's a (truly) great film, isn't it?", "Don't we'll you'd they're I've", "A B c!"]
    tokenizer = TextTokenizer.create("kim", lowercase=lowercase).fit(corpus)
    texts = [*texts, *corpus, "", "  ", "\x00é😀 ok"]
    assert tokenizer.encode_batch(texts) == _rust_ids(tokenizer, texts)


def test_kim_fast_path_on_real_sentences(data_dir) -> None:
    lines = (data_dir / "kim" / "rt-polarity.all").read_bytes().decode("cp1252").split("\n")[:3000]
    texts = [line[2:] for line in lines]
    tokenizer = TextTokenizer.create("kim").fit(texts[:2000])
    assert tokenizer.encode_batch(texts) == _rust_ids(tokenizer, texts)
