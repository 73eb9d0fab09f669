"""Sweeping a run's objects: which refusals of the engine mean "already going".

Two runs (or a page and its run) may remove the same object at once. The engine
answers 404 when it is gone and 409 Conflict while another removal is under
way or a container being removed still holds it: the sweep goes on. Any other
refusal is a real failure and must surface. No Docker: the engine is a stand-in.
"""
from __future__ import annotations

import docker.errors
import pytest
import requests

from harness import labels


def api_error(status: int, text: str) -> docker.errors.APIError:
    response = requests.Response()
    response.status_code = status
    return docker.errors.APIError(text, response=response, explanation=text)


class FakeApi:
    """An engine with one labelled container and one volume of run `r1`, refusing removal with `error`."""

    def __init__(self, error: Exception):
        self.error = error
        self.owned = {labels.HARNESS: "1", labels.RUN: "r1"}

    def containers(self, **_):
        return [{"Id": "c" * 64, "Labels": self.owned}]

    def networks(self, **_):
        return []

    def volumes(self, **_):
        return {"Volumes": [{"Name": "v" * 64, "Labels": self.owned}]}

    def images(self, **_):
        return []

    def remove_container(self, *_, **__):
        raise self.error

    def remove_volume(self, *_, **__):
        raise self.error


class FakeClient:
    def __init__(self, error: Exception):
        self.api = FakeApi(error)


@pytest.mark.parametrize("error", [
    api_error(409, "removal of container ccc is already in progress"),
    api_error(409, "remove vvv: volume is in use - [ccc]"),  # its container's removal is under way
    docker.errors.NotFound("No such container: ccc"),
])
def test_a_removal_already_under_way_is_not_a_failure(error):
    assert labels.remove_run(FakeClient(error), "r1") == []  # nothing removed by us, nothing raised


def test_any_other_refusal_surfaces():
    with pytest.raises(docker.errors.APIError, match="driver failed"):
        labels.remove_run(FakeClient(api_error(500, "driver failed removing container ccc")), "r1")


def test_conflict_is_read_from_the_status_not_the_words():
    assert labels.conflict(api_error(409, "anything at all"))
    assert not labels.conflict(api_error(500, "removal of container ccc is already in progress"))
