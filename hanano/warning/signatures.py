"""XML-DSig enveloped signatures on foreign CAP alerts, checked against a partner's certificate.

A feed or partner registered with its signing certificate is trusted only through it: each of
its alerts must carry, as a child of <alert>, one enveloped signature whose single reference
covers the whole alert (URI ""), whose digest matches, and whose value verifies with that
certificate at the time of checking. signxml does the canonicalisation and the cryptography.
What is read afterwards is the content the signature covers, as signxml returns it, never the
document as received: anything outside the signed alert is never seen.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidSignature, SignXMLException
from signxml.verifier import SignatureConfiguration, XMLVerifier

from hanano.errors import invalid

DSIG = "http://www.w3.org/2000/09/xmldsig#"
MAX_PEM = 64 * 1024


class SignatureRefused(Exception):
    """The alert is not signed as its partner's certificate requires; str() is the reason."""


@dataclass(frozen=True)
class TrustedCert:
    """A partner's signing certificate, as registered: its PEM and its SHA-256 fingerprint."""

    pem: str
    sha256: str
    certificate: x509.Certificate

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()


def load_cert(pem: object, field: str = "cert") -> TrustedCert:
    """An X.509 certificate in PEM (the first of a chain: the signer's); anything else is a 422
    naming `field`."""
    if isinstance(pem, bytes):
        try:
            pem = pem.decode("ascii")
        except UnicodeDecodeError:
            raise invalid(field, "a PEM certificate is ASCII text") from None
    if not isinstance(pem, str) or "-----BEGIN CERTIFICATE-----" not in pem:
        raise invalid(field, "give the partner's signing certificate in PEM")
    if len(pem) > MAX_PEM:
        raise invalid(field, f"at most {MAX_PEM} characters")
    try:
        certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise invalid(field, f"not a readable X.509 certificate ({exc})") from None
    der = certificate.public_bytes(Encoding.DER)
    # Only the certificate itself is kept, re-encoded: no stray text travels into the log.
    clean = certificate.public_bytes(Encoding.PEM).decode("ascii")
    return TrustedCert(clean, hashlib.sha256(der).hexdigest(), certificate)


def check_current(trust: TrustedCert, now: datetime, field: str = "cert") -> None:
    """A certificate already expired can verify nothing: refuse to register it."""
    if trust.certificate.not_valid_after_utc <= now:
        expired = trust.certificate.not_valid_after_utc.isoformat()
        raise invalid(field, f"the certificate expired on {expired}")


def _parser() -> etree.XMLParser:
    # The document was already read once with any DTD refused; this parser would still neither
    # expand an entity nor fetch anything.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _check_shape(root: etree._Element) -> None:
    """The signature in the place CAP puts it, covering the whole alert."""
    if etree.QName(root).localname != "alert":
        raise SignatureRefused(
            f"the document's root is <{etree.QName(root).localname}>, not a signed CAP <alert>: "
            "with a signing certificate each alert must be a signed document of its own"
        )
    signatures = root.findall(f"{{{DSIG}}}Signature")
    if not signatures:
        raise SignatureRefused("the alert carries no enveloped XML-DSig signature")
    if len(signatures) > 1:
        raise SignatureRefused("the alert carries more than one signature")
    references = signatures[0].findall(f"{{{DSIG}}}SignedInfo/{{{DSIG}}}Reference")
    uris = [r.get("URI") for r in references]
    if uris != [""]:
        shown = ", ".join(repr(u) for u in uris) or "none"
        raise SignatureRefused(
            f"the signature does not cover the whole alert (its references: {shown}; "
            'an enveloped signature has one, to URI "")'
        )


def verify_enveloped(document: bytes, trust: TrustedCert, now: datetime) -> bytes:
    """The alert as signed (canonical XML, the signature left out), or SignatureRefused."""
    try:
        root = etree.fromstring(document, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise SignatureRefused(f"the document cannot be read for its signature: {exc}") from None
    _check_shape(root)
    config = SignatureConfiguration(location="./", expect_references=1, verification_time=now)
    try:
        result = XMLVerifier().verify(
            root, x509_cert=trust.certificate, parser=_parser(), expect_config=config
        )
    except InvalidDigest:
        raise SignatureRefused(
            "the digest does not match: the alert was changed after it was signed"
        ) from None
    except InvalidCertificate as exc:
        # signxml's message ends with advice to its callers, not to the operator.
        why = str(exc).split(" Use SignatureConfiguration", 1)[0]
        raise SignatureRefused(f"the partner's certificate does not check out: {why}") from None
    except InvalidSignature:
        raise SignatureRefused(
            f"the signature does not verify with the partner's certificate "
            f"(SHA-256 {trust.sha256}): signed by another key, or altered"
        ) from None
    except (SignXMLException, etree.LxmlError, ValueError) as exc:
        raise SignatureRefused(f"the signature cannot be checked: {exc}") from None
    if (
        isinstance(result, list)
        or result.signed_xml is None
        or etree.QName(result.signed_xml).localname != "alert"
    ):
        raise SignatureRefused("what the signature covers is not a CAP <alert>")
    signed: bytes = result.signed_data
    return signed
