import gzip

import pytest
from hypothesis import given
from hypothesis import strategies as st

from textcnn.data.encoding import LineTally, decode_line, decode_lines, iter_lines, read_lines

_LINE = st.text(alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=30)


def test_cp1252_ellipsis_byte_does_not_split_a_line():
    decoded = decode_lines(b"0 wait\x85 what\n1 caf\xe9 \x96 ok\n")
    assert decoded.encoding == "cp1252" and decoded.detected
    assert decoded.lines == ["0 wait\u2026 what", "1 caf\u00e9 \u2013 ok"]
    assert decoded.replaced_lines == []


def test_declared_encoding_counts_lines_needing_replacement():
    decoded = decode_lines(b"ok\nsister\xf0city\nfine\n", encoding="utf-8")
    assert decoded.lines[1] == "sister\ufffdcity"
    assert decoded.replaced_lines == [2]
    assert decoded.report()["replacement_char_line_numbers"] == [2]
    assert decoded.report()["encoding_source"] == "declared"


def test_undecodable_in_both_falls_back_with_replacement():
    # 0x81 is undefined in cp1252 and invalid UTF-8; the UTF-8 line stays intact.
    decoded = decode_lines("na\u00efve\n".encode() + b"bad \x81 byte\n" + "\u00e9t\u00e9\n".encode())
    assert decoded.encoding == "utf-8"
    assert decoded.lines[0] == "na\u00efve" and decoded.lines[2] == "\u00e9t\u00e9"
    assert decoded.replaced_lines == [2]


def test_crlf_bom_and_missing_final_newline():
    decoded = decode_lines(b"\xef\xbb\xbfa\r\n\r\nb")
    assert decoded.lines == ["a", "", "b"]
    assert decoded.bom and decoded.crlf_lines == 2
    assert decode_lines(b"").lines == []
    assert decode_lines(b"\n\n").lines == ["", ""]


@given(st.lists(_LINE, max_size=8))
def test_utf8_round_trip(lines):
    data = "\n".join(lines).encode("utf-8") + (b"\n" if lines else b"")
    assert decode_lines(data).lines == lines


@given(st.lists(st.text(alphabet="ab \u2026\u00e9\u0152", max_size=10), max_size=8))
def test_cp1252_round_trip(lines):
    data = b"".join(line.encode("cp1252") + b"\n" for line in lines)
    assert decode_lines(data, encoding="cp1252").lines == lines


def test_mr_file_is_decoded_as_cp1252_without_extra_lines(data_dir):
    decoded = read_lines(data_dir / "kim" / "rt-polarity.all", encoding="cp1252")
    assert len(decoded.lines) == 10662
    assert any("\u2026" in line for line in decoded.lines)
    assert not any("\x85" in line or "\ufffd" in line for line in decoded.lines)


def test_decode_line_streaming_fallbacks():
    assert decode_line("\u00e9".encode()) == ("\u00e9", False)
    assert decode_line(b"\xe9") == ("\u00e9", False)  # cp1252
    assert decode_line(b"\x81", encoding="utf-8") == ("\ufffd", True)


def test_each_line_is_decoded_on_its_own():
    """A UTF-8 file with one cp1252 line keeps its UTF-8 lines intact (whole-file detection would not)."""
    decoded = decode_lines("\u00e9t\u00e9\n".encode() + b"caf\xe9\nplain\n")
    assert decoded.lines == ["\u00e9t\u00e9", "caf\u00e9", "plain"]
    assert decoded.encoding == "utf-8+cp1252" and decoded.report()["lines_by_encoding"] == {"utf-8": 1, "cp1252": 1}


def test_strict_refuses_a_line_that_needs_replacement_characters():
    with pytest.raises(ValueError, match=r"<bytes>: line 2 is not valid utf-8 or cp1252 \(strict\)"):
        decode_lines(b"ok\nbad \x81\n", strict=True)
    assert decode_lines(b"ok\ncaf\xe9\n", strict=True).lines == ["ok", "caf\u00e9"]


def test_iter_lines_streams_and_tallies(tmp_path):
    path = tmp_path / "in.txt.gz"
    path.write_bytes(gzip.compress(b"\xef\xbb\xbfa\r\ncaf\xe9\n\x81\n" + b"x\n" * 10))
    tally = LineTally(keep=1)
    assert list(iter_lines(path, tally=tally)) == ["a", "caf\u00e9", "\ufffd"] + ["x"] * 10
    assert (tally.lines, tally.not_utf8, tally.replaced, tally.replaced_lines, tally.crlf_lines, tally.bom) == (
        13, 2, 1, [3], 1, True)  # fmt: skip
    assert list(iter_lines(path, encoding="utf-8"))[1] == "caf\ufffd"
    broken = tmp_path / "cut.txt.gz"
    broken.write_bytes(gzip.compress(b"line\n" * 1000)[:40])
    with pytest.raises(ValueError, match=r"cut.txt.gz: not a complete gzip file"):
        list(iter_lines(broken))
    with pytest.raises(ValueError, match=r"cut.txt.gz: corrupt or truncated gzip file"):
        read_lines(broken)
    with pytest.raises(FileNotFoundError, match="gone.txt"):
        list(iter_lines(tmp_path / "gone.txt"))


def test_all_readers_of_lines_agree(tmp_path, monkeypatch):
    """Prediction inputs, labelled files, word2vec corpora and the Kim files are read by the same line reader."""
    from textcnn.data.files import read_texts
    from textcnn.text.word2vec import read_text_lines

    data = b"\xef\xbb\xbfone\r\nwait\x85 two\n\nf\xc3\xbcnf\rsix\n"
    path = tmp_path / "in.txt"
    path.write_bytes(data)
    expected = ["one", "wait\u2026 two", "", "f\u00fcnf\rsix"]
    assert list(read_texts(path)) == list(iter_lines(path)) == read_lines(path).lines == expected
    assert list(read_text_lines(path, encoding="cp1252"))[:3] == ["one", "wait\u2026 two", ""]  # BOM dropped too
