"""Text handling: tokenizers with their vocabulary, pretrained word vectors, in-domain word2vec.

- :mod:`textcnn.text.kim_clean`: Kim's (2014) ``clean_str`` as a pure-Python reference.
- :mod:`textcnn.text.tokenizers`: :class:`TextTokenizer` (kim, whitespace, char, wordpiece, bpe, unigram), built on
  Hugging Face ``tokenizers`` and saved as JSON.
- :mod:`textcnn.text.vectors` / :mod:`textcnn.text.vectors_io`: word2vec / GloVe / fastText / gensim vectors, the
  ``glove-6b-50d`` named source, and the Kim-style embedding matrix.
- :mod:`textcnn.text.word2vec`: train word2vec on in-domain text with gensim (imported only when used).
"""

from textcnn.text.kim_clean import kim_clean
from textcnn.text.tokenizers import PAD_ID, PAD_TOKEN, UNK_ID, UNK_TOKEN, TextTokenizer, TokenizerConfig
from textcnn.text.vectors import WordVectors, build_embedding_matrix, format_coverage, load_vectors, text_coverage

__all__ = [
    "PAD_ID",
    "PAD_TOKEN",
    "UNK_ID",
    "UNK_TOKEN",
    "TextTokenizer",
    "TokenizerConfig",
    "WordVectors",
    "build_embedding_matrix",
    "format_coverage",
    "kim_clean",
    "load_vectors",
    "text_coverage",
]
