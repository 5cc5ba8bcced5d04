from scoring import histogram, summary


def test_boundaries_go_to_the_bin_they_start_and_100_to_the_last():
    bins = histogram([0, 9.99, 10, 49.99, 50, 99.99, 100, 120, -5])
    assert [b.count for b in bins] == [3, 1, 0, 0, 1, 1, 0, 0, 0, 3]
    assert (bins[-1].lower, bins[-1].upper) == (90, 100)
    assert sum(b.count for b in bins) == 9


def test_summary_rounds_and_handles_small_samples():
    s = summary([50.0, 60.0, 70.0, 81.0])
    assert (s.n, s.mean, s.median, s.minimum, s.maximum) == (4, 65.25, 65.0, 50.0, 81.0)
    assert s.sd == 13.3  # sqrt(530.75 / 3) = 13.301
    assert summary([]).mean is None
    assert summary([42.0]).sd is None
