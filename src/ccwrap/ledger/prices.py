"""A gateway's prices and the cost of usage at them (stdlib only).

Prices are per million tokens, in the gateway's own currency, as the profile states them
(``price_input``, ``price_output``, ``price_cache_write_5m``, ``price_cache_write_1h``,
``price_cache_read``, ``price_currency``). A profile without prices has no cost: ccwrap never falls
back to Anthropic's list prices (the numbers Claude Code's own cost shows) unless the profile
carries them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PER = 1_000_000
PRICE_FIELDS = (
    "price_input",
    "price_output",
    "price_cache_write_5m",
    "price_cache_write_1h",
    "price_cache_read",
)


@dataclass(frozen=True)
class Prices:
    input: float = 0.0
    output: float = 0.0
    cache_write_5m: float = 0.0
    cache_write_1h: float = 0.0
    cache_read: float = 0.0
    currency: str = ""

    @classmethod
    def of(cls, profile: Any) -> Prices | None:
        """The profile's prices, or None when it states none."""
        values = [getattr(profile, name, None) for name in PRICE_FIELDS]
        if all(v is None for v in values):
            return None
        numbers = [float(v) if isinstance(v, (int, float)) else 0.0 for v in values]
        currency = getattr(profile, "price_currency", None)
        return cls(
            input=numbers[0],
            output=numbers[1],
            cache_write_5m=numbers[2],
            cache_write_1h=numbers[3],
            cache_read=numbers[4],
            currency=currency if isinstance(currency, str) else "",
        )

    def cost(
        self,
        *,
        input_tokens: int | None,
        output_tokens: int | None,
        cache_read_input_tokens: int | None,
        cache_creation_input_tokens: int | None,
        cache_creation_5m_input_tokens: int | None = None,
        cache_creation_1h_input_tokens: int | None = None,
    ) -> float:
        """The cost of one answer's usage; cache writes without a 5m/1h split count as 5m."""
        one_hour = cache_creation_1h_input_tokens or 0
        five = cache_creation_5m_input_tokens or 0
        rest = max(0, (cache_creation_input_tokens or 0) - five - one_hour)
        return (
            (input_tokens or 0) * self.input
            + (output_tokens or 0) * self.output
            + (cache_read_input_tokens or 0) * self.cache_read
            + (five + rest) * self.cache_write_5m
            + one_hour * self.cache_write_1h
        ) / PER


def format_cost(cost: float | None, currency: str = "") -> str:
    if cost is None:
        return "—"
    figure = f"{cost:.4f}" if cost < 1 else f"{cost:.2f}"
    if currency in ("USD", "$"):
        return f"${figure}"
    return f"{figure} {currency}".strip()
