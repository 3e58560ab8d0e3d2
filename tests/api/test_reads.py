"""The REST API reads the same data as the pages; OpenAPI at /api/v1/openapi.json."""


def test_openapi_schema_lists_the_endpoints(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/v1/consultations",
        "/api/v1/consultations/{slug}/agenda",
        "/api/v1/states",
    } <= set(schema["paths"])


def test_agenda_by_group(client, vcc2):
    groups = client.get("/api/v1/consultations/vcc-2/agenda?lang=zh-hans").json()
    assert [len(group["items"]) for group in groups] == [17, 17, 32]
    assert groups[0]["items"][1]["subject"] == "世界电信和信息社会日（第68号决议）"
    assert {"symbol": "C20/40", "kind": "council", "pending": True} in groups[0]["items"][6][
        "documents"
    ]


def test_states_on_a_date(client, vcc2):
    states = client.get("/api/v1/states?on=2020-11-16&lang=fr").json()
    assert sum(not s["observer"] for s in states) == 193
    assert sum(s["council"] for s in states) == 48
    palestine = next(s for s in states if s["iso2"] == "PS")
    assert palestine == {
        "iso2": "PS",
        "iso3": "PSE",
        "name": "État de Palestine",
        "region": None,
        "observer": True,
        "council": False,
        "has_right_to_vote": False,
    }


def test_bad_date_is_a_422_with_a_message(client, vcc2):
    response = client.get("/api/v1/states?on=yesterday")
    assert response.status_code == 422
    assert response.json()["detail"]


def test_unknown_consultation_is_404(client, vcc2):
    assert client.get("/api/v1/consultations/none/agenda").status_code == 404


def test_plan_is_404_until_published_then_lists_slots(client, vcc2):
    from plenary.planning import services

    assert client.get("/api/v1/consultations/vcc-2/plan").status_code == 404
    services.publish_plan(vcc2.consultation, actor=None)
    plan = client.get("/api/v1/consultations/vcc-2/plan").json()
    assert plan["version"] == 1
    assert len(plan["slots"]) == 34
    assert plan["slots"][0]["start"].startswith("2020-11-16T11:00:00")


def test_unknown_language_parameter_falls_back_to_english(client, vcc2):
    groups = client.get("/api/v1/consultations/vcc-2/agenda?lang=xx").json()
    assert groups[0]["items"][0]["subject"].startswith("List of candidates")
