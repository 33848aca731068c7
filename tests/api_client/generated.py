"""A Python client generated from the API's own OpenAPI document, as an integrator would make it:
``openapi-python-client generate --path schema.json --meta none``, then imported and called by
operation name (the schema's ``operation_id``).

``schema_document`` is what ``/api/schema/`` serves (drf-spectacular's generator and JSON renderer);
``generate`` writes it and the client package into a folder; ``Api`` finds an operation's module in
the package whatever its tag, builds the body model from a plain dict and calls it.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

PACKAGE = "vh_api_client"
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
METHODS = {"get", "put", "patch", "post", "delete"}
#: The generator's settings, as an integrator gives them (docs/api.md): a PDF (a contract) is a file.
GENERATOR_CONFIG = {"content_type_overrides": {"application/pdf": "application/octet-stream"}}


@cache
def schema_document() -> dict:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))


def schema_operations(document: dict) -> list[tuple[str, str, dict]]:
    """(METHOD, path, operation) of every operation of the document."""
    return [(method.upper(), path, operation)
            for path, item in document["paths"].items() for method, operation in item.items() if method in METHODS]


def operation_ids() -> frozenset[str]:
    return frozenset(operation["operationId"] for _method, _path, operation in schema_operations(schema_document()))


def missing(*names: str) -> str:
    """The reason to skip a scenario until the operations it uses are in the schema ("" when they are)."""
    absent = [name for name in names if name not in operation_ids()]
    return f"not in the schema yet: {', '.join(absent)}" if absent else ""


def request_schema(operation_id: str) -> dict:
    """The (resolved) JSON schema of the operation's request body."""
    document = schema_document()
    operation = next(operation for _method, _path, operation in schema_operations(document)
                     if operation["operationId"] == operation_id)
    [content] = operation["requestBody"]["content"].values()
    schema = content["schema"]
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def generate(folder: Path) -> ModuleType:
    """Write the schema, generate the client package from it (a warning fails: the document must be
    one the generator reads entirely) and import it."""
    schema_file = folder / "schema.json"
    schema_file.write_text(json.dumps(schema_document()))
    config_file = folder / "generator.json"  # YAML's subset: JSON reads as YAML
    config_file.write_text(json.dumps(GENERATOR_CONFIG))
    # The generator formats its output with ruff, installed beside it.
    environment = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(GENERATOR), "generate", "--path", str(schema_file), "--output-path", str(folder / PACKAGE),
         "--meta", "none", "--config", str(config_file), "--fail-on-warning"],
        capture_output=True, text=True, env=environment, timeout=120, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"openapi-python-client failed:\n{result.stdout}\n{result.stderr}")
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    return importlib.import_module(PACKAGE)


class Api:
    """The generated package, called by operation name: ``api.call("me_retrieve", client)``."""

    def __init__(self, package: ModuleType) -> None:
        self.package = package
        api = importlib.import_module(f"{package.__name__}.api")
        self.modules = {
            info.name.rpartition(".")[2]: info.name
            for info in pkgutil.walk_packages(api.__path__, prefix=f"{api.__name__}.") if not info.ispkg
        }

    def module(self, operation_id: str) -> ModuleType:
        return importlib.import_module(self.modules[operation_id])

    def client(self, base_url: str, token: str | None = None):
        """A client raising on any status the schema does not document for the operation."""
        if token is None:
            return self.package.Client(base_url=base_url, raise_on_unexpected_status=True)
        return self.package.AuthenticatedClient(base_url=base_url, token=token, prefix="Token",
                                                raise_on_unexpected_status=True)

    def call(self, operation_id: str, client, body: dict | None = None, path: tuple = (), **query: Any):
        """``sync_detailed``: the response, its ``status_code`` and ``parsed`` (the generated model).
        ``path``: the path parameters in the order of the path, whatever their names."""
        function = self.module(operation_id).sync_detailed
        if body is not None:
            query["body"] = self.body_model(function).from_dict(body)
        return function(*path, client=client, **query)

    @staticmethod
    def body_model(function) -> type:
        annotation = inspect.signature(function).parameters["body"].annotation
        return next(t for t in getattr(annotation, "__args__", (annotation,)) if hasattr(t, "from_dict"))
