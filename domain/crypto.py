"""Encryption at rest for protected fields (the reporter's identity, 保护举报人).

Keys, in order of precedence:
1. `configure_field_keys(...)` (the web app may call it from its config);
2. env `DUBAN_FIELD_KEY`: one or more comma-separated Fernet keys; the first
   encrypts, all decrypt (key rotation);
3. env `DUBAN_SECRET_KEY`: a Fernet key is derived from it with HKDF-SHA256.
Without any of them, reading or writing an encrypted column raises FieldKeyMissing.
"""
import base64
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text, TypeDecorator

FIELD_KEY_ENV = "DUBAN_FIELD_KEY"
SECRET_KEY_ENV = "DUBAN_SECRET_KEY"

_configured: MultiFernet | None = None
_from_env: dict[tuple, MultiFernet] = {}


class FieldKeyMissing(RuntimeError):
    pass


def derive_field_key(secret: str | bytes) -> bytes:
    """A Fernet key derived from the application's secret key."""
    raw = secret.encode() if isinstance(secret, str) else secret
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=b"duban-field-encryption", info=b"field-key-v1")
    return base64.urlsafe_b64encode(hkdf.derive(raw))


def generate_field_key() -> str:
    return Fernet.generate_key().decode()


def configure_field_keys(*keys: str | bytes) -> None:
    """Use these Fernet keys (first one encrypts); no keys: back to the environment."""
    global _configured
    _configured = MultiFernet([Fernet(k) for k in keys]) if keys else None


def _cipher() -> MultiFernet:
    if _configured is not None:
        return _configured
    env = (os.environ.get(FIELD_KEY_ENV, ""), os.environ.get(SECRET_KEY_ENV, ""))
    cipher = _from_env.get(env)
    if cipher is None:
        if env[0].strip():
            keys = [k.strip() for k in env[0].split(",") if k.strip()]
        elif env[1]:
            keys = [derive_field_key(env[1])]
        else:
            raise FieldKeyMissing(f"set {FIELD_KEY_ENV} or {SECRET_KEY_ENV} to store protected fields")
        cipher = _from_env[env] = MultiFernet([Fernet(k) for k in keys])
    return cipher


def encrypt(text: str) -> str:
    return _cipher().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _cipher().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise FieldKeyMissing("cannot decrypt a protected field: wrong or rotated-out key") from exc


class EncryptedString(TypeDecorator):
    """A string column stored as a Fernet token; Python code sees the plaintext."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return encrypt(str(value))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return decrypt(value)
