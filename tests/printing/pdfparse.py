"""Just enough PDF reading to check what our forms draw: objects, decoded streams, text through
the fonts' ToUnicode maps, and filled rectangles (QR modules, barcode bars).

It reads reportlab's own output (uncompressed object table, Flate/ASCII85 streams, one-byte
subset font codes); it is not a general PDF parser.
"""

from __future__ import annotations

import base64
import re
import zlib
from dataclasses import dataclass, field

_OBJ = re.compile(rb"(\d+) 0 obj\s*")
_NUM = rb"(-?[\d.]+)"


def _decode_stream(dictionary: bytes, raw: bytes) -> bytes:
    if b"ASCII85Decode" in dictionary:
        raw = base64.a85decode(raw.strip().removesuffix(b"~>"), adobe=False)
    if b"FlateDecode" in dictionary:
        raw = zlib.decompress(raw)
    return raw


def _literal(data: bytes, start: int) -> tuple[bytes, int]:
    """A PDF literal string starting after '(' at ``start``; returns (bytes, index after ')')."""
    out = bytearray()
    depth = 1
    i = start
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    while i < len(data):
        ch = data[i: i + 1]
        if ch == b"\\":
            nxt = data[i + 1: i + 2]
            if nxt in escapes:
                out += escapes[nxt]
                i += 2
            elif nxt.isdigit():
                digits = re.match(rb"[0-7]{1,3}", data[i + 1: i + 4]).group(0)
                out.append(int(digits, 8) & 0xFF)
                i += 1 + len(digits)
            else:
                out += nxt
                i += 2
            continue
        if ch == b"(":
            depth += 1
        elif ch == b")":
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out += ch
        i += 1
    raise ValueError("unterminated string")


@dataclass
class Pdf:
    data: bytes
    objects: dict[int, bytes] = field(default_factory=dict)
    streams: dict[int, bytes] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: bytes) -> Pdf:
        assert data.startswith(b"%PDF-1."), "not a PDF header"
        assert data.rstrip().endswith(b"%%EOF"), "no %%EOF trailer"
        pdf = cls(data)
        for match in _OBJ.finditer(data):
            number = int(match.group(1))
            end = data.find(b"endobj", match.end())
            stream_at = data.find(b"stream", match.end(), end)
            if stream_at == -1:
                pdf.objects[number] = data[match.end(): end]
                continue
            dictionary = data[match.end(): stream_at]
            length = int(re.search(rb"/Length (\d+)", dictionary).group(1))
            body_start = stream_at + len(b"stream") + (2 if data[stream_at + 6: stream_at + 8] == b"\r\n" else 1)
            pdf.objects[number] = dictionary
            pdf.streams[number] = _decode_stream(dictionary, data[body_start: body_start + length])
        assert b"startxref" in data and b"trailer" in data
        return pdf

    def page_contents(self) -> list[bytes]:
        pages = [n for n, obj in self.objects.items() if re.search(rb"/Type /Page\b", obj)]
        contents = []
        for number in pages:
            ref = re.search(rb"/Contents (\d+) 0 R", self.objects[number])
            contents.append(self.streams[int(ref.group(1))])
        return contents

    def font_maps(self) -> dict[bytes, dict[int, str]]:
        """Font resource name (``F1+0``) -> code -> text, from each font's ToUnicode CMap."""
        maps: dict[bytes, dict[int, str]] = {}
        for obj in self.objects.values():
            name = re.search(rb"/Name /(\S+)", obj)
            to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", obj)
            if not (name and to_unicode and b"/Type /Font" in obj):
                continue
            cmap = self.streams[int(to_unicode.group(1))]
            table: dict[int, str] = {}
            for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
                for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                    table[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
            for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
                for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                    first = int.from_bytes(bytes.fromhex(dst.decode()), "big")
                    for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                        table[code] = chr(first + offset)
            maps[name.group(1)] = table
        return maps

    def text(self) -> str:
        """All text drawn with a mapped font, one line per text object."""
        maps = self.font_maps()
        lines: list[str] = []
        for content in self.page_contents():
            font: dict[int, str] = {}
            i = 0
            current: list[str] = []
            for token in re.finditer(rb"/(\S+) [\d.]+ Tf|\(|\bET\b", content):
                if token.start() < i:
                    continue
                if token.group(0) == b"ET":
                    lines.append("".join(current))
                    current = []
                    i = token.end()
                elif token.group(1):
                    font = maps.get(token.group(1), {})
                    i = token.end()
                else:
                    raw, i = _literal(content, token.end())
                    current.append("".join(font.get(b, "\ufffd") for b in raw))
        return "\n".join(lines)

    def filled_rects(self) -> list[tuple[float, float, float, float]]:
        """Every ``x y w h re`` in the page content (our fills carry no transform of their own)."""
        rects = []
        for content in self.page_contents():
            for m in re.finditer(_NUM + rb" " + _NUM + rb" " + _NUM + rb" " + _NUM + rb" re\b", content):
                rects.append(tuple(float(v) for v in m.groups()))
        return rects


def compact(text: str) -> str:
    """Whitespace-free: line breaks and justification split words differently on each layout."""
    return re.sub(r"\s+", "", text)
