"""A tiny random BERT with its WordPiece tokenizer, written to a folder (shared by the contextual-feature and
distillation tests; needs ``transformers``)."""

from __future__ import annotations

from pathlib import Path

import torch

# "superb" = super ##b and "awful" = aw ##ful: two subwords each.
VOCAB = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "film", "was", "a", "plot", "and", "it", "good", "great",
    "super", "##b", "aw", "##ful", "bad", "dull",
]  # fmt: skip
HIDDEN = 32


def make_tiny_bert(path: Path, *, max_position_embeddings: int = 64, seed: int = 0) -> Path:
    """Write a random 2-layer BERT (hidden 32) and its WordPiece tokenizer to ``path``."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    ids = {t: i for i, t in enumerate(VOCAB)}
    tok = Tokenizer(models.WordPiece(ids, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    import transformers

    fast = transformers.BertTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]",
        mask_token="[MASK]", model_max_length=max_position_embeddings,
    )  # fmt: skip
    fast.save_pretrained(path)
    torch.manual_seed(seed)
    config = transformers.BertConfig(
        vocab_size=len(VOCAB), hidden_size=HIDDEN, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
        max_position_embeddings=max_position_embeddings,
    )  # fmt: skip
    transformers.BertModel(config).eval().save_pretrained(path)
    return path


def bert_sentiment(n: int, seed: int) -> tuple[list[str], list[str]]:
    """Short texts whose label (``pos``/``neg``) is given by one sentiment word among filler words, every word in the
    tiny BERT's vocabulary (so a teacher fine-tuned from :func:`make_tiny_bert` can learn them)."""
    import random

    rng = random.Random(seed)
    texts, labels = [], []
    for _ in range(n):
        pos = rng.random() < 0.5
        words = rng.choices(["the", "film", "was", "a", "plot", "and", "it"], k=rng.randint(2, 8))
        sentiment = ["good", "great", "superb"] if pos else ["bad", "awful", "dull"]
        words.insert(rng.randint(0, len(words)), rng.choice(sentiment))
        texts.append(" ".join(words))
        labels.append("pos" if pos else "neg")
    return texts, labels
