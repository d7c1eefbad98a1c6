#!/usr/bin/env python3
"""verify-code.py: an independent verifier of Everato ticket codes.

Written from docs/ticket-codes.md alone, with PyNaCl (libsodium's Python
binding, not Everato's C code) for Ed25519 and hashlib for BLAKE2b.

    verify-code.py KEYS_JSON CODE...

KEYS_JSON is the body of GET /api/v1/public/ticket-keys. For each code it
prints one line: "valid <key id> <ticket id> <event id> <ticket type id>
<issued at>" or "invalid <reason>". Exit status 0 when every code is valid.
"""
import base64
import hashlib
import json
import re
import struct
import sys
import uuid

import nacl.exceptions
import nacl.signing

PREFIX = "EV1."
CONTEXT = b"everato ticket code v1\n"
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{8}$")


def key_id_of(public_key):
    digest = hashlib.blake2b(public_key, digest_size=32).digest()
    return base64.urlsafe_b64encode(digest[:6]).decode().rstrip("=")


def b32decode_strict(text):
    if not re.fullmatch(r"[A-Z2-7]*", text):
        raise ValueError("not upper-case base32")
    padded = text + "=" * (-len(text) % 8)
    data = base64.b32decode(padded)
    # Zero trailing bits: encoding the bytes again gives the same text.
    if base64.b32encode(data).decode().rstrip("=") != text:
        raise ValueError("non-zero trailing bits")
    return data


def verify(code, keys):
    if len(code) != 211 or not code.startswith(PREFIX):
        return "invalid length or prefix"
    try:
        data = b32decode_strict(code[len(PREFIX):])
    except (ValueError, base64.binascii.Error) as e:
        return "invalid encoding: %s" % e
    if len(data) != 129:
        return "invalid size"
    if data[0] != 1:
        return "invalid version"
    kid = data[1:9].decode("ascii", "replace")
    if not KEY_ID.match(kid):
        return "invalid key id"
    key = keys.get(kid)
    if key is None:
        return "invalid unknown key %s" % kid
    try:
        nacl.signing.VerifyKey(key).verify(CONTEXT + data[:65], data[65:])
    except nacl.exceptions.BadSignatureError:
        return "invalid signature"
    ticket, event, ttype = (str(uuid.UUID(bytes=data[o:o + 16])) for o in (9, 25, 41))
    issued = struct.unpack(">q", data[57:65])[0]
    return "valid %s %s %s %s %d" % (kid, ticket, event, ttype, issued)


def main():
    listing = json.loads(sys.argv[1])
    keys = {}
    for k in listing["keys"]:
        if k["algorithm"] != "Ed25519":
            continue
        public_key = base64.b64decode(k["public_key"], validate=True)
        if len(public_key) != 32 or key_id_of(public_key) != k["id"]:
            print("bad key %s" % k["id"])
            return 2
        keys[k["id"]] = public_key
    ok = True
    for code in sys.argv[2:]:
        line = verify(code, keys)
        ok = ok and line.startswith("valid ")
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
