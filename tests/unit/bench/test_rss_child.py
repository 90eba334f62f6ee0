from hub.bench.rss_child import measure_peak_rss, peak_rss_of_this_process


def test_parent_memory_does_not_count_in_the_child_peak(tmp_path) -> None:
    ballast = b"\x01" * 120_000_000  # resident in the parent while the child runs
    assert peak_rss_of_this_process() > 120_000_000
    seen: list[float] = []
    result = measure_peak_rss(tmp_path, 2000, 10, 100, 500, tick=seen.append)
    assert len(ballast) == 120_000_000
    assert 5_000_000 < result.peak_rss_bytes < 100_000_000
    assert result.records == 2000 and result.seconds > 0
    assert (tmp_path / "log" / "bench-0").is_dir()
