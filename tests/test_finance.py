"""Tests for msomodel.finance: reference values, cross-checks, properties, loans."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from msomodel import finance as fin

REFERENCE_CSV = Path(__file__).parent / "data" / "npf_reference.csv"


def _reference_rows():
    with REFERENCE_CSV.open() as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return [
        pytest.param(func, rate, [float(v) for v in values.split()], float(expected),
                     int(decimals), id=f"{func}{values.split()[:3]}")
        for func, rate, values, expected, decimals in csv.reader(lines)
    ]


def _realistic(rng, n, months=61, no_change=0):
    """Med-spa-like monthly series: set-up cost, ramp-up losses, then mostly profits."""
    cf = rng.normal(6_000.0, 4_000.0, (n, months))
    cf[:, 0] = -rng.uniform(50_000.0, 400_000.0, n)
    ramp = rng.integers(1, 10, n)
    cf[np.arange(months) < ramp[:, None]] = -np.abs(cf[np.arange(months) < ramp[:, None]])
    cf[:, 1:] = np.where(np.arange(1, months) < ramp[:, None], cf[:, 1:], np.abs(cf[:, 1:]))
    cf[:no_change] = -np.abs(cf[:no_change])
    return cf


def _from_rates(rates, scale=100.0):
    """Cash flows (index 0 first) whose NPV has exactly the given real roots."""
    x = 1.0 / (1.0 + np.asarray(rates))
    return -scale * np.poly(x)[::-1]


# --------------------------------------------------------------------- reference values


@pytest.mark.parametrize(("func", "rate", "values", "expected", "decimals"), _reference_rows())
def test_numpy_financial_published_values(func, rate, values, expected, decimals):
    got = fin.irr(values) if func == "irr" else fin.npv(float(rate), values)
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert round(float(got), decimals) == pytest.approx(expected, abs=10.0**-decimals / 2)
        assert got == pytest.approx(npf.irr(values) if func == "irr" else npf.npv(
            float(rate), values), rel=1e-12, abs=1e-13)


def test_reference_csv_is_not_empty():
    assert len(_reference_rows()) >= 9


def test_loan_payment_matches_published_pmt():
    sched = fin.loan_schedule(200_000, 0.075, 12 * 15, 0, 12 * 15 + 1)
    assert sched.payment[1] == pytest.approx(1854.0247200054619, rel=1e-13)
    assert npf.pmt(0.075 / 12, 12 * 15, 200_000) == pytest.approx(-1854.0247200054619, rel=1e-13)
    sched = fin.loan_schedule(55_000, 0.10, 60, 0, 3)
    assert round(sched.principal_repaid[1], 2) == 710.25  # npf.ppmt(0.1/12, 1, 60, 55000)
    assert fin.loan_schedule(15_000, 0.08, 60, 0, 2).payment[1] == pytest.approx(304.145914)
    assert fin.loan_schedule(2_000, 0.10, 24, 0, 2).interest[1] == pytest.approx(16.6666666667)


# --------------------------------------------------------------------- rates and NPV


def test_rate_conversions():
    assert fin.monthly_rate(1.01**12 - 1) == pytest.approx(0.01, rel=1e-14)
    assert fin.annual_rate(0.01) == pytest.approx(0.12682503013196977, rel=1e-14)
    r = np.array([[-0.5, 0.0], [0.08, 3.0]])
    np.testing.assert_allclose(fin.annual_rate(fin.monthly_rate(r)), r, rtol=1e-14, atol=1e-16)
    assert fin.monthly_rate(r).shape == (2, 2)
    assert fin.annual_rate(np.nan) != fin.annual_rate(np.nan)  # NaN propagates


def test_discount_factors():
    df = fin.discount_factors(np.array([0.0, 0.01]), 4)
    assert df.shape == (2, 4)
    np.testing.assert_allclose(df[0], 1.0)
    np.testing.assert_allclose(df[1], 1.01 ** -np.arange(4), rtol=1e-15)
    assert fin.discount_factors(0.02, 3).shape == (3,)


def test_npv_matches_numpy_financial_on_random_series():
    rng = np.random.default_rng(1)
    cf = rng.normal(0.0, 1e4, (200, 61))
    rates = rng.uniform(-0.05, 0.2, 200)
    ours = fin.npv(rates, cf)
    ref = np.array([npf.npv(r, c) for r, c in zip(rates, cf, strict=True)])
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12 * np.abs(cf).sum(axis=1).max())
    np.testing.assert_allclose(fin.npv(0.01, cf), [npf.npv(0.01, c) for c in cf], rtol=1e-12,
                               atol=1e-8)


def test_npv_broadcasts_rate_over_batch():
    cf = np.arange(2 * 3 * 5, dtype=float).reshape(2, 3, 5) - 10.0
    rates = np.array([0.0, 0.01, 0.02])  # one rate per site, shared across trials
    out = fin.npv(rates, cf)
    assert out.shape == (2, 3)
    assert out[1, 2] == pytest.approx(npf.npv(0.02, cf[1, 2]), rel=1e-13)
    np.testing.assert_array_equal(fin.npv(0.0, cf), cf.sum(axis=-1))


# --------------------------------------------------------------------- IRR


def test_irr_matches_numpy_financial_and_pyxirr_on_unique_roots():
    import pyxirr
    rng = np.random.default_rng(7)
    cf = _realistic(rng, 300)
    ours = fin.irr(cf)
    assert not np.isnan(ours).any()
    ref_npf = np.array([npf.irr(c) for c in cf])
    ref_pyx = np.array([pyxirr.irr(c) for c in cf])
    np.testing.assert_allclose(ours, ref_npf, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours, ref_pyx, rtol=0, atol=1e-9)


def test_irr_matches_numpy_financial_on_short_random_series():
    rng = np.random.default_rng(3)
    for n in (2, 3, 5, 13, 25):
        cf = np.abs(rng.normal(50.0, 30.0, (100, n)))
        cf[:, 0] = -rng.uniform(10.0, 50.0 * n, 100)  # one sign change: unique root
        ref = np.array([npf.irr(c) for c in cf])
        inside = ref > -0.99  # the documented search range is [-0.99, 1e4]
        assert inside.sum() > 90
        np.testing.assert_allclose(fin.irr(cf[inside]), ref[inside], rtol=0, atol=1e-9)
        assert np.isnan(fin.irr(cf[~inside])).all()


@pytest.mark.parametrize(
    ("rates", "expected"),
    [
        ([0.1, 0.2], 0.1),
        ([0.05, -0.03, 0.2], -0.03),
        ([-0.5, 0.3, 0.04, 0.9], 0.04),
        ([0.02, 0.021], 0.02),  # close roots, still 0.1 %/month apart
        ([-0.2, 0.15, 0.5], 0.15),
    ],
)
def test_multiple_roots_return_root_nearest_zero(rates, expected):
    cf = _from_rates(rates)
    assert fin.irr(cf) == pytest.approx(expected, abs=1e-10)
    assert fin.irr(cf) == pytest.approx(npf.irr(cf), abs=1e-9)


def test_multiple_roots_textbook_case_and_tie_rule():
    # -100 (1+r)^2 + 230 (1+r) - 132 = 0  ->  1 + r = (230 +- 10) / 200: r = 10 % or 20 %
    assert fin.irr([-100.0, 230.0, -132.0]) == pytest.approx(0.1, abs=1e-12)
    # nearest to zero by absolute value, whichever side it is on
    assert fin.irr(_from_rates([0.1, -0.11])) == pytest.approx(0.1, abs=1e-12)
    assert fin.irr(_from_rates([-0.1, 0.11])) == pytest.approx(-0.1, abs=1e-12)


def test_irr_failure_policy_returns_nan_never_raises():
    rows = np.array([
        [-1.0, -2.0, -3.0, 0.0],  # no sign change
        [0.0, 0.0, 0.0, 0.0],  # all zero
        [1.0, 2.0, 0.0, 3.0],  # all positive
        [-1.0, np.nan, 2.0, 1.0],  # non-finite
        [-1.0, np.inf, 2.0, 1.0],
        [-100.0, 50.0, 50.0, 0.0],  # exactly zero rate
    ])
    out = fin.irr(rows)
    assert np.isnan(out[:5]).all()
    assert out[5] == 0.0
    assert np.isnan(fin.irr([5.0]))
    assert fin.irr(np.zeros((0, 7))).shape == (0,)
    assert np.isnan(fin.irr(_from_rates([0.1, 0.1])))  # double root: NPV touches zero only


def test_irr_handles_leading_and_trailing_zeros_and_large_rates():
    assert fin.irr([0.0, 0.0, -100.0, 110.0, 0.0]) == pytest.approx(0.1, abs=1e-13)
    assert fin.irr([-1.0, 100.0]) == pytest.approx(99.0, rel=1e-12)
    assert fin.irr([-100.0, 2.0]) == pytest.approx(-0.98, rel=1e-12)
    assert np.isnan(fin.irr([-1000.0, 1.0]))  # -99.9 %/month: outside [-0.99, 1e4]
    assert np.isnan(fin.irr([-1.0, 1e5]))  # +99,999 %/month: outside as well


@pytest.mark.parametrize("n", [2, 13, 44, 61, 121])
@pytest.mark.parametrize("c", [1e-20, 1e-3, 2.0, 1e10])
def test_irr_closed_form_single_payoff(n, c):
    # -1 now, c at index n-1: (1 + r) ** (n-1) = c  (np.roots loses digits on these)
    expected = c ** (1.0 / (n - 1)) - 1.0
    if not -0.99 < expected < 1e4:  # outside the documented search range
        assert np.isnan(fin.irr(np.r_[-1.0, np.zeros(n - 2), c]))
    else:
        assert fin.irr(np.r_[-1.0, np.zeros(n - 2), c]) == pytest.approx(expected, rel=1e-13)
    assert fin.irr_annual([-100.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                           112.0]) == pytest.approx(0.12, rel=1e-12)


def test_irr_tolerance_and_maxiter_are_honoured():
    cf = _realistic(np.random.default_rng(11), 50)
    exact = fin.irr(cf)
    np.testing.assert_allclose(fin.irr(cf, tol=1e-6), exact, atol=1e-5)
    assert np.isnan(fin.irr(cf, maxiter=0)).all()


# --------------------------------------------------------------------- payback, funding, MOIC


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([-100.0, 50.0, 60.0], 2.0),
        ([-100.0, 100.0], 1.0),  # cumulative exactly 0 counts as paid back
        ([10.0, -20.0, 5.0, 10.0], 3.0),  # positive start, dips, recovers at index 3
        ([5.0, 5.0], 0.0),  # never negative
        ([0.0, 0.0], 0.0),
        ([-100.0, 10.0], np.nan),  # never recovers
        ([-10.0, 20.0, -30.0, 5.0], 1.0),  # first recovery; later dips do not move it
    ],
)
def test_payback_month(values, expected):
    got = fin.payback_month(values)
    assert (np.isnan(got) and np.isnan(expected)) or got == expected


def test_peak_funding_and_moic_and_cumulative():
    cf = np.array([[-100.0, 50.0, -80.0, 200.0], [10.0, 0.0, 5.0, 1.0]])
    np.testing.assert_array_equal(fin.cumulative(cf)[0], [-100.0, -50.0, -130.0, 70.0])
    np.testing.assert_array_equal(fin.peak_funding(cf), [130.0, 0.0])
    moic = fin.moic(cf)
    assert moic[0] == pytest.approx(250.0 / 180.0, rel=1e-15)
    assert np.isnan(moic[1])


# --------------------------------------------------------------------- vectorization


def test_batch_equals_row_by_row():
    rng = np.random.default_rng(5)
    cf = _realistic(rng, 12).reshape(3, 4, 61)
    cf[0, 0] = -np.abs(cf[0, 0])  # no sign change -> NaN row
    cf[2, 3, 40:] -= 9_000.0  # late losses: two sign changes
    for func in (fin.irr, fin.irr_annual, fin.payback_month, fin.peak_funding, fin.moic,
                 lambda v: fin.npv(0.01, v)):
        batch = func(cf)
        assert batch.shape == (3, 4)
        rows = np.array([[func(cf[i, j]) for j in range(4)] for i in range(3)])
        if func in (fin.irr, fin.irr_annual):
            # The IRR's grid is one matrix product: BLAS may add a matrix's terms in another
            # order than one row's (a 1-ulp difference on some CPUs, e.g. OpenBLAS's Haswell
            # kernels), never more than the solver's own tolerance.
            np.testing.assert_allclose(batch, rows, rtol=1e-13, atol=0)
            assert np.array_equal(np.isnan(batch), np.isnan(rows))
        else:
            np.testing.assert_array_equal(batch, rows)
    assert np.isnan(fin.irr(cf)[0, 0]) and not np.isnan(fin.irr(cf)[1:]).any()
    assert fin.irr(cf)[2, 3] == pytest.approx(npf.irr(cf[2, 3]), abs=1e-9)


# --------------------------------------------------------------------- properties

amounts = st.floats(-1e5, 1e5, allow_nan=False).map(lambda v: round(v, 2))
series = st.lists(amounts, min_size=2, max_size=61).map(np.array)


@st.composite
def investments(draw):
    """One sign change: outflows first, then non-negative inflows (a unique IRR)."""
    n = draw(st.integers(2, 61))
    k = draw(st.integers(1, n - 1))
    out = draw(st.lists(st.floats(1.0, 1e5), min_size=k, max_size=k))
    inflow_amount = st.one_of(st.just(0.0), st.floats(0.01, 1e5))
    inflow = draw(st.lists(inflow_amount, min_size=n - k, max_size=n - k))
    assume(max(inflow) > 0.0)
    return np.concatenate([-np.array(out), np.array(inflow)])


@settings(max_examples=300, deadline=None)
@given(series)
def test_npv_at_irr_is_zero(cf):
    r = fin.irr(cf)
    if np.isnan(r):
        return
    assert r > -1.0
    scale = np.abs(cf) @ fin.discount_factors(r, cf.size)
    assert abs(fin.npv(r, cf)) <= 1e-9 * scale


@settings(max_examples=200, deadline=None)
@given(investments())
def test_unique_root_is_always_found(cf):
    r = fin.irr(cf)
    assume(-0.98 < npf.irr(cf) < 1e3)  # well inside the documented range [-0.99, 1e4]
    assert abs(fin.npv(r, cf)) <= 1e-9 * (np.abs(cf) @ fin.discount_factors(r, cf.size))
    # npf (np.roots) itself can be off by ~1e-5 on sparse long series; ours by ~1e-12
    assert r == pytest.approx(npf.irr(cf), rel=1e-4)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 1e6), min_size=1, max_size=61), st.booleans())
def test_no_sign_change_gives_nan(flows, negate):
    cf = -np.array(flows) if negate else np.array(flows)
    assert np.isnan(fin.irr(cf))


@settings(max_examples=200, deadline=None)
@given(series, st.integers(-20, 20), st.floats(0.01, 1000.0))
def test_irr_is_scale_invariant(cf, power, k):
    r = fin.irr(cf)
    np.testing.assert_array_equal(fin.irr(cf * 2.0**power), r)  # exact: same floats
    if not np.isnan(r):
        r_k = fin.irr(cf * k)
        scale = np.abs(cf) @ fin.discount_factors(r_k, cf.size)
        assert abs(fin.npv(r_k, cf)) <= 1e-9 * scale


@settings(max_examples=200, deadline=None)
@given(investments(), st.floats(0.01, 1000.0))
def test_unique_irr_scale_invariant(cf, k):
    assume(-0.98 < npf.irr(cf) < 1e3)
    assert fin.irr(cf * k) == pytest.approx(fin.irr(cf), rel=1e-9, abs=1e-11)


@settings(max_examples=300, deadline=None)
@given(series)
def test_payback_consistent_with_cumsum(cf):
    cum = np.cumsum(cf)
    m = fin.payback_month(cf)
    if np.isnan(m):
        assert cum.min() < 0 and (cum[np.argmax(cum < 0):] < 0).all()
    elif m == 0 and cum[0] >= 0:
        assert (cum >= 0).all()
    else:
        m = int(m)
        assert cum[m] >= 0 and (cum[:m] < 0).any()
        first_neg = np.argmax(cum < 0)
        assert first_neg < m and (cum[first_neg:m] < 0).all()
    assert fin.peak_funding(cf) == max(0.0, -cum.min())


@settings(max_examples=200, deadline=None)
@given(series, st.floats(-0.5, 0.5), st.floats(-10.0, 10.0))
def test_npv_is_linear(cf, rate, a):
    other = np.roll(cf, 1) * 0.5
    lhs = fin.npv(rate, a * cf + other)
    rhs = a * fin.npv(rate, cf) + fin.npv(rate, other)
    scale = (np.abs(a * cf) + np.abs(other)) @ fin.discount_factors(rate, cf.size)
    assert abs(lhs - rhs) <= 1e-12 * max(scale, 1.0)


# --------------------------------------------------------------------- loans


def test_loan_schedule_by_hand():
    # 12,000 at 6 % APR over 12 months: i = 0.005 per month,
    # payment = 12000 * 0.005 / (1 - 1.005**-12) = 1,032.80 (1032.79732...).
    # m=1: interest 12000.00 * 0.005 = 60.00; principal 1032.80 - 60.00 = 972.80; bal 11027.20
    # m=2: interest 11027.20 * 0.005 = 55.14; principal 977.66; balance 10049.54
    # m=3: interest 10049.54 * 0.005 = 50.25; principal 982.55; balance  9066.99
    s = fin.loan_schedule(12_000.0, 0.06, 12, 0, 14)
    assert np.round(s.payment[1:13], 2).tolist() == [1032.80] * 12
    assert s.payment[0] == s.payment[13] == 0.0
    assert np.round(s.interest[1:4], 2).tolist() == [60.00, 55.14, 50.25]
    assert np.round(s.principal_repaid[1:4], 2).tolist() == [972.80, 977.66, 982.55]
    assert np.round(s.balance[:4], 2).tolist() == [12_000.00, 11_027.20, 10_049.54, 9_066.99]
    assert s.draw[0] == 12_000.0 and s.draw[1:].sum() == 0.0
    assert s.balance[12] == s.balance[13] == 0.0
    assert round(s.interest.sum(), 2) == 393.57  # 12 * 1032.79732 - 12000
    np.testing.assert_array_equal(s.cash_flow, s.draw - s.payment)


def test_loan_zero_rate_zero_principal_and_cut_off():
    s = fin.loan_schedule([12_000.0, 0.0], [0.0, 0.05], 12, [1, 2], 8)
    np.testing.assert_array_equal(s.payment[0], [0, 0, 1000, 1000, 1000, 1000, 1000, 1000])
    np.testing.assert_array_equal(s.interest[0], 0.0)
    np.testing.assert_array_equal(s.balance[0], [0, 12000, 11000, 10000, 9000, 8000, 7000, 6000])
    for arr in (s.draw[1], s.interest[1], s.principal_repaid[1], s.payment[1], s.balance[1]):
        np.testing.assert_array_equal(arr, 0.0)
    with pytest.raises(ValueError):
        fin.loan_schedule(1000.0, 0.05, 0, 0, 5)
    with pytest.raises(ValueError):
        fin.loan_schedule(1000.0, 0.05, 12, -1, 5)


def test_loan_broadcasts_over_trials_and_sites():
    principal = np.array([[100_000.0, 50_000.0, 0.0]])  # (1, sites)
    rate = np.array([[0.05], [0.09]])  # (trials, 1)
    s = fin.loan_schedule(principal, rate, 36, np.array([0, 3, 6]), 61)
    assert s.payment.shape == (2, 3, 61)
    one = fin.loan_schedule(50_000.0, 0.09, 36, 3, 61)
    for name in ("draw", "interest", "principal_repaid", "payment", "balance"):
        np.testing.assert_allclose(getattr(s, name)[1, 1], getattr(one, name), rtol=1e-13)


@settings(max_examples=200, deadline=None)
@given(st.floats(0.0, 5e6), st.one_of(st.just(0.0), st.floats(1e-4, 0.4)), st.integers(1, 120),
       st.integers(0, 12))
def test_loan_properties(principal, apr, term, start):
    n = start + term + 1
    s = fin.loan_schedule(principal, apr, term, start, n)
    tol = 1e-9 * max(principal, 1.0)
    assert abs(s.principal_repaid.sum() - principal) <= tol
    np.testing.assert_allclose(s.interest + s.principal_repaid, s.payment, rtol=0, atol=tol)
    assert s.balance[-1] == 0.0 and s.balance[start] == principal
    np.testing.assert_allclose(np.diff(s.balance)[start:], -s.principal_repaid[start + 1:],
                               rtol=0, atol=tol)
    assert abs(fin.npv(apr / 12.0, s.cash_flow)) <= tol
    assert (s.payment >= 0).all() and (s.interest >= -tol).all()
