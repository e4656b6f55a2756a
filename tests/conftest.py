import pytest


@pytest.fixture(autouse=True)
def _clear_hook_calls():
    from tests.testapp.cms_config import HOOK_CALLS

    HOOK_CALLS.clear()
    yield


pytest_plugins = ["pytester"]
