"""ISO 4217 currency codes and their minor-unit exponents."""

from __future__ import annotations

# Active ISO 4217 codes (2024 list). Kept as data, not fetched: the domain does no I/O.
ISO_4217_CODES: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
    BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN
    ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD
    JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
    MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
    QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF
    XPF YER ZAR ZMW ZWG
    """.split()
)

_ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split()
)
_THREE_DECIMAL = frozenset("BHD IQD JOD KWD LYD OMR TND".split())
_FOUR_DECIMAL = frozenset("CLF UYW".split())


class UnknownCurrencyError(ValueError):
    """A currency code that is not an active ISO 4217 code."""

    def __init__(self, code: str) -> None:
        super().__init__(f"unknown currency {code!r}: expected an ISO 4217 code such as USD or EUR")
        self.code = code


def normalize_currency(code: str) -> str:
    """Return the upper-case ISO 4217 code, or raise `UnknownCurrencyError`."""
    upper = code.strip().upper()
    if upper not in ISO_4217_CODES:
        raise UnknownCurrencyError(code)
    return upper


def minor_unit_exponent(code: str) -> int:
    """Digits after the decimal point in the currency's minor unit (USD 2, JPY 0, KWD 3)."""
    upper = normalize_currency(code)
    if upper in _ZERO_DECIMAL:
        return 0
    if upper in _THREE_DECIMAL:
        return 3
    if upper in _FOUR_DECIMAL:
        return 4
    return 2
