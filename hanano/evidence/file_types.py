"""What a photo or video is, from its first bytes, and the file suffix that goes with its type.

A client's Content-Type or file name says what the sender believes, or wants believed; the bytes
say what the file is.
"""

from __future__ import annotations

_FTYP_BRANDS: dict[bytes, tuple[str, str]] = {
    b"heic": ("image/heic", ".heic"),
    b"heix": ("image/heic", ".heic"),
    b"mif1": ("image/heif", ".heif"),
    b"msf1": ("image/heif", ".heif"),
    b"avif": ("image/avif", ".avif"),
    b"qt  ": ("video/quicktime", ".mov"),
    b"3gp4": ("video/3gpp", ".3gp"),
    b"3gp5": ("video/3gpp", ".3gp"),
    b"3gp6": ("video/3gpp", ".3gp"),
    b"3g2a": ("video/3gpp2", ".3g2"),
}
_MP4_BRANDS = (b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ")


_PREFIXES: tuple[tuple[bytes, tuple[str, str]], ...] = (
    (b"\xff\xd8\xff", ("image/jpeg", ".jpg")),
    (b"\x89PNG\r\n\x1a\n", ("image/png", ".png")),
    (b"GIF87a", ("image/gif", ".gif")),
    (b"GIF89a", ("image/gif", ".gif")),
    (b"II*\x00", ("image/tiff", ".tiff")),
    (b"MM\x00*", ("image/tiff", ".tiff")),
)
_RIFF: dict[bytes, tuple[str, str]] = {
    b"WEBP": ("image/webp", ".webp"),
    b"AVI ": ("video/x-msvideo", ".avi"),
}
_EBML = b"\x1a\x45\xdf\xa3"


def sniff(head: bytes) -> tuple[str, str] | None:
    """The media type and file suffix of a photo or video, from its first bytes; None if neither.

    A client's Content-Type or file name says what the sender believes, or wants believed; the
    bytes say what the file is.
    """
    for prefix, found in _PREFIXES:
        if head.startswith(prefix):
            return found
    if head[:4] == b"RIFF":
        return _RIFF.get(head[8:12])
    if head[4:8] == b"ftyp":
        return _iso_media(head[8:12])
    if head.startswith(_EBML):
        return ("video/webm", ".webm") if b"webm" in head else ("video/x-matroska", ".mkv")
    return None


def _iso_media(brand: bytes) -> tuple[str, str] | None:
    """ISO base media files (MP4, QuickTime, 3GP, HEIF) by their major brand."""
    if brand in _FTYP_BRANDS:
        return _FTYP_BRANDS[brand]
    if brand in _MP4_BRANDS or brand.startswith(b"mp4"):
        return "video/mp4", ".mp4"
    if brand.startswith(b"3gp"):
        return "video/3gpp", ".3gp"
    return None


def suffix_for(media_type: str) -> str:
    for known, suffix in _ALL_SUFFIXES:
        if known == media_type:
            return suffix
    return ".bin"


_ALL_SUFFIXES = (
    ("image/jpeg", ".jpg"),
    ("image/png", ".png"),
    ("image/gif", ".gif"),
    ("image/webp", ".webp"),
    ("image/tiff", ".tiff"),
    ("video/x-msvideo", ".avi"),
    ("video/mp4", ".mp4"),
    ("video/webm", ".webm"),
    ("video/x-matroska", ".mkv"),
    *_FTYP_BRANDS.values(),
)
