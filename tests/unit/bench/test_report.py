from hub.bench.machine import MachineInfo, describe_machine
from hub.bench.report import BenchReport, Target, format_number


def _machine() -> MachineInfo:
    return MachineInfo("Test CPU", 2, "CPython 3.11", "Linux", "/tmp/x", "ext4")


def test_median_and_verdicts() -> None:
    report = BenchReport("title", _machine(), {}, ["durability line"])
    report.targets = [Target("produce", 1000), Target("rss", 300, at_least=False, label="< 300 MB")]
    for value in (900.0, 1500.0, 1200.0):
        report.add("produce", "rec/s", value)
    report.add("rss", "MB", 310.0)
    assert report.figures["produce"].median == 1200.0
    verdicts = {t.figure: ok for t, _, ok in report.verdicts()}
    assert verdicts == {"produce": True, "rss": False}
    assert not report.all_passed


def test_unmeasured_target_is_left_out() -> None:
    report = BenchReport("t", _machine(), {}, [], targets=[Target("never measured", 1)])
    report.add("other", "x", 2.0)
    assert report.verdicts() == []
    assert report.all_passed


def test_table_shows_figures_targets_and_header() -> None:
    report = BenchReport("my title", _machine(), {"records": 5}, ["cdchub: flush"])
    report.targets = [Target("produce", 1_000_000)]
    report.add("produce", "rec/s", 1_234_567.0)
    report.add("ratio", "x", 21.5, note="a note")
    table = report.format_table()
    assert table.startswith("my title\n")
    assert "Test CPU, 2 cores" in table
    assert "cdchub: flush" in table
    produce_line = next(line for line in table.splitlines() if line.startswith("produce"))
    assert "1,234,567" in produce_line and ">= 1,000,000" in produce_line
    assert produce_line.endswith("PASS")
    assert "ratio: a note" in table
    assert "targets met: 1/1" in table
    data = report.to_dict()
    assert data["figures"]["produce"]["median"] == 1_234_567.0
    assert data["targets"][0]["passed"] is True


def test_format_number() -> None:
    assert format_number(1_234_567.8) == "1,234,568"
    assert format_number(123.4) == "123"
    assert format_number(12.34) == "12.3"
    assert format_number(0.456) == "0.46"
    assert format_number(float("nan")) == "-"


def test_describe_machine(tmp_path) -> None:
    info = describe_machine(tmp_path)
    assert info.cores >= 1
    assert info.python.split()[1].startswith("3.")
    assert info.data_dir == str(tmp_path)
    assert info.cpu_model


def test_markdown_table() -> None:
    from hub.bench.report import markdown_table

    report = BenchReport("t", _machine(), {}, [], targets=[Target("rss", 300, at_least=False)])
    report.add("rss", "MB", 30.0)
    report.add("rss", "MB", 31.5)
    lines = markdown_table(report).splitlines()
    assert lines[0].startswith("| figure | median |")
    assert lines[2] == "| rss | 30.8 | MB | 30.0 / 31.5 | < 300 | **PASS** |"
