"""The client generated from the schema, once per run (a few seconds)."""

from __future__ import annotations

import pytest

from tests.api_client.generated import Api, generate


@pytest.fixture(scope="session")
def api(tmp_path_factory) -> Api:
    return Api(generate(tmp_path_factory.mktemp("generated-client")))
