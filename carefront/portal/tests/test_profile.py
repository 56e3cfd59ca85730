from carefront.desk.services import ticket_create


def test_profile_page_shows_the_contact_details(carol_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        response = carol_client.get("/portal/profile/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "You sign in as carol@acme.example for Acme Ltd." in content
    assert 'value="Carol Jones"' in content
    assert "Same as my organisation (Europe/London)" in content
    assert ">Français<" in content
    assert 'for="id_time_zone"' in content


def test_contact_updates_name_language_and_time_zone(carol, carol_client):
    response = carol_client.post(
        "/portal/profile/", {"name": "Carol Smith", "language": "fr", "time_zone": "Europe/Paris"}
    )
    assert response.status_code == 302
    carol.refresh_from_db()
    assert (carol.name, carol.language, carol.time_zone) == ("Carol Smith", "fr", "Europe/Paris")
    page = carol_client.get("/portal/profile/")
    assert page.content.decode().startswith('<!doctype html>\n\n<html lang="fr">')


def test_empty_time_zone_means_the_account_zone(carol, carol_client):
    carol_client.post("/portal/profile/", {"name": "Carol", "language": "en", "time_zone": "Asia/Tokyo"})
    carol_client.post("/portal/profile/", {"name": "Carol", "language": "en", "time_zone": ""})
    carol.refresh_from_db()
    assert carol.time_zone == ""
    ticket_create(actor=None, requester=carol, subject="s", body="b")
    assert b"Times are shown in Europe/London." in carol_client.get("/portal/").content


def test_unknown_time_zone_or_language_is_refused(carol, carol_client):
    zone = carol_client.post("/portal/profile/", {"name": "Carol", "language": "en", "time_zone": "Mars/Olympus"})
    language = carol_client.post("/portal/profile/", {"name": "Carol", "language": "de", "time_zone": ""})
    assert zone.status_code == language.status_code == 400
    carol.refresh_from_db()
    assert carol.time_zone == ""
    assert carol.language == "en"
