"""The sweep's own machinery (its matches are tested with the rules in
test_matching.py and test_prefilter.py)."""

from __future__ import annotations

import gc

import pytest

from dsr_app.sweep import _collector_paused


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_is_paused_while_building_and_then_as_it_was(enabled):
    (gc.enable if enabled else gc.disable)()
    try:
        with _collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() == enabled
        with pytest.raises(ValueError), _collector_paused():
            raise ValueError
        assert gc.isenabled() == enabled
    finally:
        gc.enable()
