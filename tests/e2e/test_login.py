from tests.e2e.conftest import assert_accessible, login


def test_demo_patient_signs_in_and_lands_on_home(page, ana):
    login(page, "ana")
    page.wait_for_url("**/me/")
    assert page.get_by_role("heading", level=1).is_visible()


def test_wrong_password_shows_an_error_and_no_session(page, ana):
    login(page, "ana", "not-the-password")
    error = page.locator("#login-error")
    assert "did not match" in error.inner_text()
    assert page.url.endswith("/accounts/login/")
    assert not [c for c in page.context.cookies() if "sessionid" in c["name"]]
    assert_accessible(page)
