"""The tantivy engine waits for the index's single writer (held by a `reindex`, say) without
stopping the searches of its process."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from service.search.interface import SearchRequest
from service.search.tantivy_engine import TantivyEngine


def test_a_write_waiting_for_another_writer_does_not_stop_searches(tmp_path: Path) -> None:
    # given: a rebuild holds the writer (as `reindex` would, from another process)
    rebuilding = TantivyEngine(tmp_path).rebuild()
    engine = TantivyEngine(tmp_path, writer_timeout=5)
    waiting = threading.Thread(target=engine.apply, args=([], [], 7))
    waiting.start()
    time.sleep(0.2)
    try:
        # when
        result = engine.search(SearchRequest(text="lampadaire"))
        # then: the search answered while the write was still waiting for its turn
        assert result.total == 0
        assert waiting.is_alive()
    finally:
        rebuilding.commit(0)
        waiting.join(timeout=10)
    # and the write went through once the rebuild had committed
    assert not waiting.is_alive()
    assert engine.position() == 7
