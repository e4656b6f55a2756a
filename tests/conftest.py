import pytest

from tests.clock import CLOCKS

pytest_plugins = ["pytester"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "calendar: date-sensitive; also runs under each fixed clock of tests/clock.py"
    )


def pytest_generate_tests(metafunc):
    if metafunc.definition.get_closest_marker("calendar") is not None:
        metafunc.fixturenames.insert(0, "clock")  # before the fixtures that build content
        metafunc.parametrize("clock", list(CLOCKS), indirect=True)


@pytest.fixture
def clock(request, settings):
    """The frozen clock a ``calendar`` test runs under (None: the real clock)."""
    import time_machine

    chosen = CLOCKS[request.param]
    if chosen is None:
        yield None
        return
    settings.TIME_ZONE = chosen.time_zone
    with time_machine.travel(chosen.when, tick=True):
        yield chosen


@pytest.fixture(autouse=True)
def _clear_hook_calls():
    from tests.testapp.cms_config import HOOK_CALLS, HOOK_FAILURES

    HOOK_CALLS.clear()
    HOOK_FAILURES.clear()
    yield
    HOOK_FAILURES.clear()
