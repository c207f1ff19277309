"""MD4 fallback for pywinrm's NTLM, shared by the pywinrm test clients
(testdata/pywinrm_ntlm.py here and fleet/testdata/pywinrm_client.py).

Importing this module makes hashlib.new("md4") work where OpenSSL 3 does not
load its legacy provider; import it before winrm.
"""
import hashlib
import struct


def _md4(data):
    """MD4 (RFC 1320). OpenSSL 3 ships MD4 in its legacy provider only, which
    is usually not loaded, and ntlm-auth has no fallback of its own."""
    def F(x, y, z): return (x & y) | (~x & z)
    def G(x, y, z): return (x & y) | (x & z) | (y & z)
    def H(x, y, z): return x ^ y ^ z
    def rol(v, s):
        v &= 0xffffffff
        return ((v << s) | (v >> (32 - s))) & 0xffffffff
    msg = bytearray(data)
    n = len(msg)
    msg.append(0x80)
    while len(msg) % 64 != 56:
        msg.append(0)
    msg += struct.pack("<Q", (n * 8) & 0xffffffffffffffff)
    a, b, c, d = 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476
    rounds = (
        (F, 0, (3, 7, 11, 19), [i for i in range(16)]),
        (G, 0x5a827999, (3, 5, 9, 13), [(i % 4) * 4 + i // 4 for i in range(16)]),
        (H, 0x6ed9eba1, (3, 9, 11, 15), [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15]),
    )
    for off in range(0, len(msg), 64):
        X = struct.unpack("<16I", msg[off:off + 64])
        aa, bb, cc, dd = a, b, c, d
        for f, k, shifts, order in rounds:
            for i in range(16):
                s, x = shifts[i % 4], X[order[i]]
                if i % 4 == 0:
                    a = rol(a + f(b, c, d) + x + k, s)
                elif i % 4 == 1:
                    d = rol(d + f(a, b, c) + x + k, s)
                elif i % 4 == 2:
                    c = rol(c + f(d, a, b) + x + k, s)
                else:
                    b = rol(b + f(c, d, a) + x + k, s)
        a, b = (a + aa) & 0xffffffff, (b + bb) & 0xffffffff
        c, d = (c + cc) & 0xffffffff, (d + dd) & 0xffffffff
    return struct.pack("<4I", a, b, c, d)


class _PyMD4:
    def __init__(self, data=b""):
        self._data = bytes(data)

    def update(self, data):
        self._data += bytes(data)

    def digest(self):
        return _md4(self._data)

    def hexdigest(self):
        return self.digest().hex()


assert _md4(b"abc").hex() == "a448017aaf21d8525fc10ae87aa6729d"
_hashlib_new = hashlib.new


def _new(name, data=b"", **kw):
    if name.lower() == "md4":
        try:
            return _hashlib_new(name, data, **kw)
        except ValueError:
            return _PyMD4(data)
    return _hashlib_new(name, data, **kw)


hashlib.new = _new
