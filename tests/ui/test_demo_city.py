"""The demo's city: teams at neighbourhood centres, hospitals, a login, aircraft before strikes,
and who decides while nobody is logged in as dispatcher."""

from datetime import date

from fastapi.testclient import TestClient

from hanano.access.users import create_user, hash_password
from hanano.service import Service
from hanano.sim.demo_city import demo_login, dispatcher_on_watch, seed_city, sky_plan
from hanano.sim.scenario import bombardment_day, load_impact_sites
from tests.helpers import auth


def test_seed_city_places_teams_and_hospitals(
    client: TestClient, aleppo: Service, tokens: dict[str, str]
) -> None:
    assert seed_city(aleppo, "test") == (12, 3)
    teams = client.get("/api/v1/teams", headers=auth(tokens["dispatcher"])).json()["teams"]
    names = {t["name"] for t in teams}
    assert "Hanano" in names and len(names) == 12
    hanano = next(t for t in teams if t["name"] == "Hanano")
    centre = aleppo.city().neighbourhoods["N0129"]
    assert (hanano["base"]["lat"], hanano["base"]["lon"]) == (
        centre.centroid_lat,
        centre.centroid_lon,
    )


def test_demo_login_works_and_a_dispatcher_on_watch_takes_over(
    client: TestClient, aleppo: Service
) -> None:
    password = demo_login(aleppo, "test")
    hashed = hash_password("a spotter's passphrase")
    aleppo.execute(lambda tx: create_user(tx, "test", "spotter1", "spotter", hashed))
    assert not dispatcher_on_watch(aleppo)
    for username, secret in (("spotter1", "a spotter's passphrase"), ("dispatcher", password)):
        csrf = client.get("/api/v1/session").json()["csrf"]
        response = client.post(
            "/api/v1/session",
            json={"username": username, "password": secret},
            headers={"X-CSRF-Token": csrf},
        )
        assert response.status_code == 200
        on_watch = dispatcher_on_watch(aleppo)
        assert on_watch == (username == "dispatcher")
        if username == "spotter1":
            client.delete("/api/v1/session", headers={"X-CSRF-Token": response.json()["csrf"]})
    csrf = client.get("/api/v1/session").json()["csrf"]
    client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})
    assert not dispatcher_on_watch(aleppo)


def test_sky_plan_sees_aircraft_before_some_strikes(aleppo: Service) -> None:
    city = aleppo.city()
    names = {p: n.name_ar for p, n in city.neighbourhoods.items()}
    plan = bombardment_day(load_impact_sites(), names, city.locate, day=date(2014, 2, 13))
    sky = sky_plan(plan, city.locate)
    assert sky and len(sky) % 2 == 0
    assert [at for at, _ in sky] == sorted(at for at, _ in sky)
    overs = [body for _, body in sky if body["activity"] == "over"]
    assert all(body["pcode"] in city.neighbourhoods for body in overs)
    assert len({body["id"] for _, body in sky}) == len(sky)
