//! The least-squares slope of a series: a soak's verdict on whether a
//! figure settles (≈ 0) or grows without bound.

/// The least-squares slope of `y` over `x`; `None` with fewer than two
/// points or with every point at the same `x`.
pub fn slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let (mean_x, mean_y) = points.iter().fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x / n, sy + y / n));
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, y) in points {
        sxy += (x - mean_x) * (y - mean_y);
        sxx += (x - mean_x) * (x - mean_x);
    }
    (sxx > 0.0).then(|| sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_gives_its_slope() {
        let points: Vec<(f64, f64)> = (0..10).map(|i| (f64::from(i), 3.0 * f64::from(i) + 7.0)).collect();
        assert!((slope(&points).unwrap() - 3.0).abs() < 1e-12);
    }

    #[test]
    fn a_flat_series_has_slope_zero() {
        let points: Vec<(f64, f64)> = (0..10).map(|i| (f64::from(i), 42.0)).collect();
        assert_eq!(slope(&points), Some(0.0));
    }

    #[test]
    fn noise_around_a_line_keeps_its_slope() {
        let points: Vec<(f64, f64)> =
            (0..100).map(|i| (f64::from(i), -0.5 * f64::from(i) + if i % 2 == 0 { 1.0 } else { -1.0 })).collect();
        assert!((slope(&points).unwrap() + 0.5).abs() < 0.01);
    }

    #[test]
    fn one_point_or_one_x_has_no_slope() {
        assert_eq!(slope(&[(1.0, 2.0)]), None);
        assert_eq!(slope(&[(1.0, 2.0), (1.0, 5.0)]), None);
    }
}
