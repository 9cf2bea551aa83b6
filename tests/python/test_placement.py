import pytest

from hearth_worker.placement import parse_cpu_list


def test_cpu_lists_parse_like_the_launcher_writes_them():
    assert parse_cpu_list("0-2,5") == [0, 1, 2, 5]
    assert parse_cpu_list("3") == [3]
    assert parse_cpu_list("") == []


def test_malformed_cpu_list_is_an_error():
    with pytest.raises(ValueError):
        parse_cpu_list("0-x")
