import pytest

from messaging.gateways.flow import flow_store


@pytest.fixture(autouse=True)
def _flow_reset():
    """Gateway pauses, circuits and token buckets (Redis, shared with worker processes)
    start empty in every test and are left empty for the next."""
    flow_store().reset()
    yield
    flow_store().reset()
