"""Foreign CAP documents as real national services send them: large ones (long descriptions,
hundreds of area outlines), and ones signed with XML-DSig by a partner's self-signed certificate,
made here with `cryptography` and signxml's signer."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import methods
from signxml.signer import XMLSigner

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier><sender>warnings@met.partner.example</sender>
  <sent>2026-11-25T10:00:00+00:00</sent><status>Actual</status><msgType>{msg_type}</msgType>
  <scope>Public</scope>{references}
"""
SENDER = "warnings@met.partner.example"
INFO = """  <info><language>{language}</language><category>Security</category>
    <event>Air raid</event><urgency>Expected</urgency><severity>Severe</severity>
    <certainty>Likely</certainty><expires>{expires}</expires>
    <headline>Air raid warning</headline>
    <description>{description}</description>
    <area><areaDesc>{pcode}</areaDesc>
      <geocode><valueName>OCHA_PCODE</valueName><value>{pcode}</value></geocode></area>
{areas}  </info>
"""
TAIL = "</alert>\n"
SENTENCE = "Aircraft are expected over the districts listed below; go to shelter. "
# Far enough ahead that the CLI, which runs on the wall clock, still sees the alert standing.
EXPIRES = "2099-01-01T00:00:00+00:00"


def _outline(index: int, points: int = 60) -> str:
    """A district's outline far from Aleppo (the partner's own country), lat,lon pairs."""
    lat = 30.0 + (index % 40) * 0.1
    lon = 40.0 + (index // 40) * 0.1
    ring = [
        (
            lat + 0.04 * math.sin(2 * math.pi * k / points),
            lon + 0.04 * math.cos(2 * math.pi * k / points),
        )
        for k in range(points)
    ]
    ring.append(ring[0])
    return " ".join(f"{a:.6f},{b:.6f}" for a, b in ring)


def _area(index: int) -> str:
    return (
        f"    <area><areaDesc>District {index}</areaDesc>"
        f"<polygon>{_outline(index)}</polygon>"
        f"<geocode><valueName>WARNCELL</valueName><value>{900000 + index}</value></geocode>"
        "</area>\n"
    )


def alert(
    identifier: str,
    pcode: str = "N0139",
    areas: str = "",
    description: str = "Aircraft expected; go to shelter.",
    expires: str = EXPIRES,
    cancels: str | None = None,
) -> bytes:
    """A CAP 1.2 alert at level warning (Expected, Severe) for one zone of ours, in English
    and Arabic; with `cancels`, the Cancel of the partner's alert of that identifier."""
    references = f"<references>{SENDER},{cancels},2026-11-25T10:00:00+00:00</references>"
    body = HEAD.format(
        identifier=identifier,
        msg_type="Cancel" if cancels else "Alert",
        references=references if cancels else "",
    )
    for language in ("en", "ar"):
        body += INFO.format(
            language=language,
            description=description,
            areas=areas,
            pcode=pcode,
            expires=expires,
        )
    return (body + TAIL).encode()


def large_cap(target_bytes: int, identifier: str = "met-large-1") -> bytes:
    """A valid CAP 1.2 alert of exactly `target_bytes`: two languages, long descriptions and as
    many district outlines as it takes; its one area of ours is Al-Sakhour (N0139)."""
    description = SENTENCE * 40
    fixed = len(alert(identifier, description=description))
    per_area = len(_area(99_999).encode())  # the longest an index makes it
    count = max(0, (target_bytes - fixed) // (2 * per_area))
    areas = "".join(_area(i) for i in range(count))
    document = alert(identifier, areas=areas, description=description)
    pad = target_bytes - len(document)
    if pad > 0:  # the remainder as more description, so the size is what was asked
        document = document.replace(b"</description>", b" " * pad + b"</description>", 1)
    return document


@dataclass(frozen=True)
class Signer:
    """A partner agency's signing key and its self-signed certificate."""

    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.cert.public_bytes(serialization.Encoding.DER)).hexdigest()

    def sign(self, document: bytes, reference_uri: str | None = None) -> bytes:
        """The document with an enveloped XML-DSig signature appended to its root."""
        rsa_key = isinstance(self.key, rsa.RSAPrivateKey)
        signer = XMLSigner(
            method=methods.enveloped,
            signature_algorithm="rsa-sha256" if rsa_key else "ecdsa-sha256",
            digest_algorithm="sha256",
        )
        root = etree.fromstring(document, parser=etree.XMLParser(huge_tree=True))
        signed = signer.sign(root, key=self.key, cert=[self.cert], reference_uri=reference_uri)
        out: bytes = etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
        return out


def make_signer(
    name: str,
    kind: str = "ec",
    not_before: datetime = datetime(2020, 1, 1, tzinfo=UTC),
    not_after: datetime = datetime(2040, 1, 1, tzinfo=UTC),
) -> Signer:
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = (
        ec.generate_private_key(ec.SECP256R1())
        if kind == "ec"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return Signer(key, cert)
