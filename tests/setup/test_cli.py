"""The command line reaches the same service as the pages and the API."""

import json

from plenary import cli
from plenary.consultations.models import Consultation


def test_new_set_show_from_the_command_line(vcc2, capsys):
    code = cli.main(
        [
            "consultation",
            "new",
            "vcc-2b",
            "acronym=VCC-2b",
            'title={"en": "A copy"}',
            "starts_on=2020-11-23",
            "speaker_capacity=250",
            "--copy-from",
            "vcc-2",
        ]
    )
    assert code == 0
    copy = Consultation.objects.get(slug="vcc-2b")
    assert (copy.speaker_capacity, copy.title_en, copy.title_fr) == (250, "A copy", "")
    capsys.readouterr()

    assert cli.main(["consultation", "set", "vcc-2b", "daily_start=15:00", "daily_end=12:00"]) == 2
    assert "daily_end" in capsys.readouterr().err
    assert cli.main(["consultation", "set", "vcc-2b", "contribution_max_pages=4"]) == 0
    assert json.loads(capsys.readouterr().out) == {"contribution_max_pages": [2, 4]}
    assert cli.main(["consultation", "show", "vcc-2b"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["settings"]["contribution_max_pages"] == 4
    assert shown["dates"]["days"][0]["day"] == "2020-11-23"
