from hypothesis import given
from hypothesis import strategies as st

from textcnn.data.encoding import decode_line, decode_lines, read_lines

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
