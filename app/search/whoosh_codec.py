"""A Whoosh codec whose postings numpy reads directly, and positions stored as arrays.

whoosh3 writes each block of postings as one pickled, zlib-compressed tuple of Python ints
and floats plus one pickle per posting for its positions. Reading a common word (tens of
thousands of posts at 150k) unpickles all of it: profiled, most of a search's time at 150k
went to `pickle.loads` and Whoosh's phrase matcher decoding positions one posting at a time.

Here a block's data is raw little-endian arrays: document numbers (uint32), weights
(float32, absent when all are 1.0), then the values' byte lengths (uint32) and the values
(zlib-compressed on their own, so reading ids and weights never touches them). `JxPositions`
stores a posting's positions as uint32s, so a block's positions are one flat array.
Whoosh's own matchers read these blocks too (every query shape still works); block headers,
term infos, lengths and columns are whoosh3's, unchanged. A segment records its codec, so
segments written before keep their format and stay readable; merges rewrite them in this one.
"""

from __future__ import annotations

import sys
import zlib
from array import array
from pickle import dumps
from typing import cast

import numpy as np
from whoosh.codec.whoosh3 import (
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3LeafMatcher,
    W3PostingsWriter,
)
from whoosh.formats import Positions
from whoosh.util.numeric import length_to_byte

BLOCK_LIMIT = 128  # postings per block, as whoosh3: Whoosh's matchers skip by blocks
COMPRESS_MIN = 256  # values blobs smaller than this are stored as they are
_WEIGHTS, _VALUES, _ZLIB = 1, 2, 4  # flag bits of a block's first byte
_U4, _F4 = np.dtype("<u4"), np.dtype("<f4")
_NATIVE_U4 = sys.byteorder == "little" and array("I").itemsize == 4


class JxPositions(Positions):
    """Positions as a uint32 array per posting (Whoosh pickles a list of deltas)."""

    def word_values(self, value, analyzer, **kwargs):
        """(word, frequency, weight, positions) per distinct word; one pass if the analyzer
        offers `index_terms` (whoosh_analysis), else Whoosh's token chain."""
        one_pass = hasattr(analyzer, "index_terms") and kwargs.get("mode", "index") == "index"
        terms = analyzer.index_terms(value) if one_pass else None
        if terms is None:
            yield from super().word_values(value, analyzer, **kwargs)
            return
        positions: dict[str, list[int]] = {}
        for word, place in terms:
            found = positions.get(word)
            if found is None:
                positions[word] = [place]
            else:
                found.append(place)
        boost = self.field_boost
        for word, places in positions.items():
            # Whoosh's weight: the sum of its tokens' boosts (1.0 each) times the field's.
            yield word, len(places), float(len(places)) * boost, self.encode(places)

    def encode(self, poslist) -> bytes:
        if _NATIVE_U4:  # array is ~3x quicker than numpy for a few numbers
            return array("I", poslist).tobytes()
        return np.asarray(poslist, dtype=_U4).tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return np.frombuffer(valuestring, dtype=_U4).tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 4


class JxCodec(W3Codec):
    """whoosh3 with JxPostingsWriter / JxLeafMatcher for the inverted index's postings."""

    def __init__(self, blocklimit: int = BLOCK_LIMIT, compression: int = 3) -> None:
        super().__init__(blocklimit=blocklimit, compression=compression)

    def postings_writer(self, dbfile, byteids=False):
        if byteids:  # term vectors (unused here) stay whoosh3's
            return super().postings_writer(dbfile, byteids=True)
        return JxPostingsWriter(dbfile, self._blocklimit, compression=self._compression)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term, scorer)
        offset, length = terminfo.extent()
        # whoosh3 instantiates its own matcher the same way (copy() is never used).
        return JxLeafMatcher(  # type: ignore[abstract]
            dbfile, offset, length, format_, term=term, scorer=scorer
        )


class JxPostingsWriter(W3PostingsWriter):
    """Writes each block's data as raw arrays (see the module docstring)."""

    def __init__(self, postfile, blocklimit: int, compression: int = 3) -> None:
        super().__init__(postfile, blocklimit, byteids=False, compression=compression)

    def add_posting(self, id_, weight, vbytes, length=None):
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        # Every value is kept (whoosh3 drops empty ones), so values line up with ids.
        self._values.append(vbytes)
        if length:
            if self._minlength is None or length < self._minlength:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length

    def _write_block(self, last=False):
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        assert self._terminfo is not None, "a block outside a term"
        self._terminfo.add_block(self)
        ids, values = self._ids, self._values
        flags = 0
        parts = [np.asarray(ids, dtype=_U4).tobytes()]
        weights = np.asarray(self._weights, dtype=_F4)
        if bool(np.any(weights != 1.0)):
            flags |= _WEIGHTS
            parts.append(weights.tobytes())
        blob = b"".join(values)
        if blob:
            flags |= _VALUES
            parts.append(np.fromiter(map(len, values), dtype=_U4, count=len(values)).tobytes())
            if self._compression and len(blob) >= COMPRESS_MIN:
                flags |= _ZLIB
                blob = zlib.compress(blob, self._compression)
            parts.append(blob)
        databytes = bytes([flags]) + b"".join(parts)
        # The block header whoosh3's matchers read to skip blocks, as whoosh3 writes it.
        infobytes = dumps(
            (
                len(ids),
                ids[-1],
                self._maxweight,
                0,
                length_to_byte(self._minlength),
                length_to_byte(self._maxlength),
            ),
            2,
        )
        size = len(infobytes) + len(databytes)
        self._postfile.write_int(-size if last else size)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


class JxLeafMatcher(W3LeafMatcher):
    """Reads JxPostingsWriter blocks; `arrays()` and `positions()` give them to numpy."""

    def _read_data(self):
        self._data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)

    def _block(self) -> tuple[bytes, int]:
        """This block's raw data and its number of postings."""
        if self._data is None:
            self._read_data()
        return cast(bytes, self._data), cast(int, self._blocklength)

    def arrays(self) -> tuple[np.ndarray, np.ndarray | None]:
        """This block's doc numbers (uint32) and weights (float32; None when all are 1.0)."""
        raw, n = self._block()
        ids = np.frombuffer(raw, dtype=_U4, count=n, offset=1)
        weights = None
        if raw[0] & _WEIGHTS:
            weights = np.frombuffer(raw, dtype=_F4, count=n, offset=1 + 4 * n)
        return ids, weights

    def _value_parts(self) -> tuple[np.ndarray, bytes] | None:
        """(byte length of each value, all values joined), or None when there are none."""
        raw, n = self._block()
        if not raw[0] & _VALUES:
            return None
        start = 1 + 4 * n * (2 if raw[0] & _WEIGHTS else 1)
        lengths = np.frombuffer(raw, dtype=_U4, count=n, offset=start)
        blob = raw[start + 4 * n :]
        if raw[0] & _ZLIB:
            blob = zlib.decompress(blob)
        return lengths, blob

    def positions(self) -> tuple[np.ndarray, np.ndarray]:
        """(positions per posting, every posting's positions in one array): JxPositions only."""
        parts = self._value_parts()
        if parts is None:
            return np.zeros(self._block()[1], dtype=np.int64), np.zeros(0, dtype=_U4)
        lengths, blob = parts
        return (lengths // 4).astype(np.int64), np.frombuffer(blob, dtype=_U4)

    def _read_ids(self):
        self._ids = self.arrays()[0].tolist()  # Python ints, as Whoosh's callers expect

    def _read_weights(self):
        weights = self.arrays()[1]
        count = self._block()[1]
        self._weights = [1.0] * count if weights is None else weights.tolist()

    def _read_values(self):
        parts = self._value_parts()
        if parts is None:
            empty = None if self._fixedsize == 0 else b""
            self._values = (empty,) * self._block()[1]
            return
        lengths, blob = parts
        ends = np.cumsum(lengths).tolist()
        starts = [0, *ends[:-1]]
        self._values = tuple(blob[a:b] for a, b in zip(starts, ends, strict=True))
