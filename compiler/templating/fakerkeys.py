"""Every ``{{faker 'Category.key'}}`` key of agent-benchmark, mapped onto the Faker library.

Keys follow agent-benchmark's documentation (docs "Faker Integration"); each maps to a
function of a seeded ``faker.Faker`` and the engine's frozen clock, so the values are
reproducible from the plan's seed. Date-like keys use the frozen clock as their upper
bound instead of the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

__all__ = ["CLOCK_KEYS", "FAKER_KEYS", "FakerFn"]

FakerFn = Callable[[Any, datetime], str]
"""``(faker.Faker, frozen now) -> value``."""


def _phone_formatted(f: Any, now: datetime) -> str:
    # North American style "(555) 123-4567": area and exchange codes never start with 0/1.
    return f"({f.numerify('%##')}) {f.numerify('%##')}-{f.numerify('####')}"


FAKER_KEYS: dict[str, FakerFn] = {
    "Name.first_name": lambda f, now: str(f.first_name()),
    "Name.last_name": lambda f, now: str(f.last_name()),
    "Name.full_name": lambda f, now: str(f.name()),
    "Name.prefix": lambda f, now: str(f.prefix()),
    "Name.suffix": lambda f, now: str(f.suffix()),
    "Address.street": lambda f, now: str(f.street_address()),
    "Address.street_name": lambda f, now: str(f.street_name()),
    "Address.street_number": lambda f, now: str(f.building_number()),
    "Address.city": lambda f, now: str(f.city()),
    "Address.state": lambda f, now: str(f.state()),
    "Address.state_abbrev": lambda f, now: str(f.state_abbr()),
    "Address.country": lambda f, now: str(f.country()),
    "Address.country_code": lambda f, now: str(f.country_code()),
    "Address.postcode": lambda f, now: str(f.postcode()),
    "Phone.number": lambda f, now: str(f.phone_number()),
    "Phone.number_formatted": _phone_formatted,
    "Internet.email": lambda f, now: str(f.email()),
    "Internet.username": lambda f, now: str(f.user_name()),
    "Internet.url": lambda f, now: str(f.url()),
    "Internet.ipv4": lambda f, now: str(f.ipv4()),
    "Internet.ipv6": lambda f, now: str(f.ipv6()),
    "Internet.mac": lambda f, now: str(f.mac_address()),
    "Company.name": lambda f, now: str(f.company()),
    "Company.suffix": lambda f, now: str(f.company_suffix()),
    "Company.profession": lambda f, now: str(f.job()),
    "Lorem.word": lambda f, now: str(f.word()),
    # agent-benchmark's sentence has five words.
    "Lorem.sentence": lambda f, now: str(f.sentence(nb_words=5, variable_nb_words=False)),
    "Lorem.paragraph": lambda f, now: str(f.paragraph()),
    "Finance.credit_card": lambda f, now: str(f.credit_card_number()),
    "Finance.currency": lambda f, now: str(f.currency_code()),
    "Misc.uuid": lambda f, now: str(f.uuid4()),
    # Go prints booleans in lower case.
    "Misc.boolean": lambda f, now: "true" if f.boolean() else "false",
    "Misc.date": lambda f, now: str(f.date(end_datetime=now)),
    "Misc.time": lambda f, now: str(f.time(end_datetime=now)),
    "Misc.timestamp": lambda f, now: str(int(f.unix_time(end_datetime=now))),
    "Misc.digit": lambda f, now: str(f.random_digit()),
}
"""Key -> generator, exactly the keys agent-benchmark documents."""


CLOCK_KEYS = frozenset(FAKER_KEYS[k] for k in ("Misc.date", "Misc.time", "Misc.timestamp"))
"""The keys whose values depend on the frozen clock (reading them puts the clock in the plan)."""
