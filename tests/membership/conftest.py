"""What the membership tests share: the shipped 2019-2022 Council as (region, state) pairs,
a 2023-2026-like Council made from it with a few states swapped, and the secretariat's
browser signed in with its second factor."""

import datetime
from pathlib import Path

import pytest
import yaml

from tests.api.conftest import activate_totp

SHIPPED = Path(__file__).resolve().parents[2] / "src/plenary/scenarios/vcc2/council-2019-2022.yaml"
# Out: the Bahamas (A), Burkina Faso (D), Iran (E); in: Colombia, Zambia, Bangladesh.
SWAPS = {"BS": "CO", "BF": "ZM", "IR": "BD"}
STARTS, ENDS = datetime.date(2023, 1, 1), datetime.date(2026, 12, 31)


def shipped_seats() -> list[tuple[str, str]]:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    return [
        (region, iso2) for region, block in data["regions"].items() for iso2 in block["members"]
    ]


def seats_2023() -> list[tuple[str, str]]:
    return [(region, SWAPS.get(iso2, iso2)) for region, iso2 in shipped_seats()]


def as_csv(seats, header=True) -> str:
    lines = ["region,state"] if header else []
    return "\n".join(lines + [f"{region},{state}" for region, state in seats]) + "\n"


@pytest.fixture
def secretariat_client(client, secretariat_user):
    client.force_login(activate_totp(secretariat_user))
    return client


@pytest.fixture
def focal_client(client, focal_ch):
    client.force_login(focal_ch)
    return client
